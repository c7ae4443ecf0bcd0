import type { AxiosRequestConfig } from 'axios'
import { get, patch, post, upload, type ListQuery, type Page } from './http'
import type { ID, UserRef } from './types'

export interface Seal {
  id: ID
  name: string
  code: string
  kind: string
  type: string
  custom_type_name?: string | null
  /** localized name of the type (the custom name for type "custom") */
  type_name?: { zh: string; en: string } | string | null
  status: string
  status_reason?: string
  unit_id?: ID | null
  unit_name?: string | null
  keeper_ids?: ID[]
  /** only on the detail */
  keepers?: UserRef[]
  has_image?: boolean
  image_url?: string | null
  description?: string | null
  created_at: string
}

export interface SealQuery extends ListQuery {
  kind?: string
  type?: string
  status?: string
}

export interface SealBody {
  name: string
  code: string
  kind: string
  type: string
  custom_type_name?: string | null
  unit_id: ID
  keeper_ids?: ID[]
  description?: string
}

export interface SealHistoryEntry {
  id?: ID
  at: string
  actor_name?: string | null
  action: string
  from_status?: string | null
  to_status?: string | null
  reason?: string | null
  summary?: string | null
  request_number?: string | null
}

export interface CustodyRecord {
  id: ID
  seal_id?: ID
  seal_name?: string
  request_id?: ID | null
  request_number?: string | null
  seal_code?: string
  holder_id?: ID
  holder_name?: string | null
  handed_out_by_name?: string | null
  handed_out_at: string
  expected_return_at?: string | null
  returned_at?: string | null
  returned_to_name?: string | null
  carried_out?: boolean
  note?: string | null
  return_note?: string | null
  presses?: number | null
  overdue?: boolean
}

export interface HandOutBody {
  request_id: ID
  holder_id: ID
  expected_return_at: string
  carried_out: boolean
  note?: string
}

type MaybePage<T> = Page<T> | { items: T[] } | T[]
/** History/custody endpoints may answer a bare list or a page; accept both. */
export function itemsOf<T>(r: MaybePage<T>): T[] {
  return Array.isArray(r) ? r : r.items
}

export const listSeals = (q: SealQuery = {}) => get<Page<Seal>>('/seals', q)
/** Active seals an applicant may name in an application (needs only request.create). */
export const sealOptions = (q: { kind?: string; q?: string } = {}) => get<Seal[]>('/seals/options', q)
export const uploadSealImage = (id: ID, file: File, onProgress?: (p: number) => void) =>
  upload<Seal>(`/seals/${id}/image`, file, onProgress)
export const getSeal = (id: ID) => get<Seal>(`/seals/${id}`)
export const createSeal = (body: SealBody) => post<Seal>('/seals', body)
export const updateSeal = (id: ID, body: Partial<Omit<SealBody, 'kind'>>) => patch<Seal>(`/seals/${id}`, body)
export const setSealStatus = (id: ID, status: string, reason: string) =>
  post<Seal>(`/seals/${id}/status`, { status, reason })
export const sealHistory = async (id: ID, q: ListQuery = {}) =>
  itemsOf(await get<MaybePage<SealHistoryEntry>>(`/seals/${id}/history`, q))
export const sealCustody = async (id: ID, q: ListQuery & { open_only?: boolean } = {}, cfg?: AxiosRequestConfig) =>
  itemsOf(await get<MaybePage<CustodyRecord>>(`/seals/${id}/custody`, q, cfg))
export const handOut = (id: ID, body: HandOutBody) => post<CustodyRecord>(`/seals/${id}/hand-out`, body)
export const returnCustody = (custodyId: ID, note: string, presses?: number | null) =>
  post<CustodyRecord>(`/custody/${custodyId}/return`, presses == null ? { note } : { note, presses })
export const overdueCustody = async (q: ListQuery = {}) =>
  itemsOf(await get<MaybePage<CustodyRecord>>('/custody/overdue', q))
