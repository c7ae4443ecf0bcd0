import axios, { AxiosError, type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import { ElMessage } from 'element-plus'
import { getLocale } from '@/i18n'

/** One problem+json error (RFC 9457) as the API returns it; `title` is already localized. */
export interface Problem {
  type?: string
  title: string
  status: number
  detail?: string
  code?: string
  errors?: { loc: (string | number)[] | string; msg: string }[]
  /** Seconds to wait before trying again (429): the `Retry-After` header, else the body's member. */
  retry_after?: number
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail?: string
  readonly errors: { loc: (string | number)[] | string; msg: string }[]
  /** Seconds before another attempt may succeed (429 and some 409s), when the API says. */
  readonly retryAfter?: number

  constructor(p: Problem) {
    super(p.detail ? `${p.title}: ${p.detail}` : p.title)
    this.status = p.status
    this.code = p.code ?? ''
    this.title = p.title
    this.detail = p.detail
    this.errors = p.errors ?? []
    this.retryAfter = p.retry_after
  }

  /** Field errors keyed by the last element of `loc` (e.g. body.phone → phone). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.errors) {
      const loc = Array.isArray(e.loc) ? e.loc : String(e.loc).split('.')
      const key = String(loc[loc.length - 1] ?? '')
      if (key && !out[key]) out[key] = e.msg
    }
    return out
  }
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Do not pop an ElMessage for this request's errors; the caller handles them. */
    silent?: boolean
    /** Do not redirect to the login page on 401. */
    noAuthRedirect?: boolean
  }
}

export const CSRF_COOKIE = 'sealhub_csrf'
let csrfFallback = ''

export function setCsrfToken(token: string) {
  csrfFallback = token
}

function readCookie(name: string): string {
  const m = document.cookie.match(new RegExp('(?:^|;\\s*)' + name + '=([^;]*)'))
  return m ? decodeURIComponent(m[1]) : ''
}

/** Whether a session may exist: the readable CSRF cookie (or a token from the last sign-in) is present. */
export function hasSessionHint(): boolean {
  return !!(readCookie(CSRF_COOKIE) || csrfFallback)
}

let onUnauthorized: (() => void) | null = null
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn
}

export const API_BASE = '/api/v1'

export const http = axios.create({
  baseURL: API_BASE,
  withCredentials: true,
  timeout: 60_000,
  paramsSerializer: { indexes: null },
})

http.interceptors.request.use((config: InternalAxiosRequestConfig) => {
  config.headers.set('Accept-Language', getLocale() === 'en' ? 'en' : 'zh-CN')
  const method = (config.method ?? 'get').toLowerCase()
  if (!['get', 'head', 'options'].includes(method)) {
    const token = readCookie(CSRF_COOKIE) || csrfFallback
    if (token) config.headers.set('X-CSRF-Token', token)
  }
  return config
})

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date). */
function retryAfterOf(err: AxiosError): number | undefined {
  const raw = err.response?.headers?.['retry-after'] as unknown
  if (raw === undefined || raw === null || raw === '') return undefined
  const n = Number(raw)
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n))
  const at = Date.parse(String(raw))
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}

function toProblem(err: AxiosError): Problem {
  const data = err.response?.data as unknown
  if (data && typeof data === 'object' && 'title' in (data as object)) {
    const p = data as Problem
    const fromBody = typeof p.retry_after === 'number' ? p.retry_after : undefined
    return { ...p, status: p.status ?? err.response?.status ?? 0, retry_after: retryAfterOf(err) ?? fromBody }
  }
  if (data && typeof data === 'object' && 'detail' in (data as object)) {
    // FastAPI default error shape, just in case
    const d = (data as { detail: unknown }).detail
    return {
      title: typeof d === 'string' ? d : err.message,
      status: err.response?.status ?? 0,
      errors: Array.isArray(d) ? (d as Problem['errors']) : undefined,
    }
  }
  const offline = getLocale() === 'en' ? 'Network error, please retry' : '网络异常，请稍后重试'
  return { title: err.response ? `HTTP ${err.response.status}` : offline, status: err.response?.status ?? 0 }
}

export function showError(e: unknown) {
  if (e instanceof ApiError) {
    const extra = e.errors.length && !e.detail ? e.errors.map((x) => x.msg).join('；') : ''
    ElMessage({ type: 'error', message: [e.title, e.detail || extra].filter(Boolean).join('：'), grouping: true })
  } else if (e instanceof Error) {
    ElMessage({ type: 'error', message: e.message, grouping: true })
  }
}

http.interceptors.response.use(
  (r) => r,
  async (err: AxiosError) => {
    if (axios.isCancel(err)) return Promise.reject(err)
    // Blob responses (downloads) carry the problem as a Blob
    if (err.response?.data instanceof Blob) {
      try {
        err.response.data = JSON.parse(await err.response.data.text())
      } catch {
        /* keep as is */
      }
    }
    const apiErr = new ApiError(toProblem(err))
    const cfg = (err.config ?? {}) as AxiosRequestConfig
    if (apiErr.status === 401 && !cfg.noAuthRedirect && onUnauthorized) {
      onUnauthorized()
    } else if (!cfg.silent) {
      showError(apiErr)
    }
    return Promise.reject(apiErr)
  },
)

/** A page of a server-side paginated list. */
export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface ListQuery {
  page?: number
  page_size?: number
  sort?: string
  q?: string
  [k: string]: unknown
}

/** Drop empty filter values so the query string stays clean. */
export function clean<T extends object>(q: T): Partial<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(q)) {
    if (v === '' || v === null || v === undefined) continue
    if (Array.isArray(v) && v.length === 0) continue
    out[k] = v
  }
  return out as Partial<T>
}

export async function get<T>(url: string, params?: object, cfg?: AxiosRequestConfig): Promise<T> {
  return (await http.get<T>(url, { params: params ? clean(params) : undefined, ...cfg })).data
}
export async function post<T>(url: string, body?: unknown, cfg?: AxiosRequestConfig): Promise<T> {
  return (await http.post<T>(url, body ?? {}, cfg)).data
}
export async function put<T>(url: string, body?: unknown, cfg?: AxiosRequestConfig): Promise<T> {
  return (await http.put<T>(url, body ?? {}, cfg)).data
}
export async function patch<T>(url: string, body?: unknown, cfg?: AxiosRequestConfig): Promise<T> {
  return (await http.patch<T>(url, body ?? {}, cfg)).data
}
export async function del<T = void>(url: string, cfg?: AxiosRequestConfig): Promise<T> {
  return (await http.delete<T>(url, cfg)).data
}

/** Upload one file as multipart field `file`, reporting progress 0–100. */
export async function upload<T>(
  url: string,
  file: File | Blob,
  onProgress?: (percent: number) => void,
  cfg?: AxiosRequestConfig,
): Promise<T> {
  const form = new FormData()
  form.append('file', file)
  const r = await http.post<T>(url, form, {
    ...cfg,
    onUploadProgress: (e) => {
      if (onProgress && e.total) onProgress(Math.round((e.loaded / e.total) * 100))
    },
  })
  return r.data
}

/** Build an absolute API URL with a query string (for download links). */
export function apiUrl(path: string, params?: object): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params ? clean(params) : {})) {
    if (Array.isArray(v)) v.forEach((x) => qs.append(k, String(x)))
    else qs.append(k, String(v))
  }
  const s = qs.toString()
  return `${API_BASE}${path}${s ? '?' + s : ''}`
}
