import dayjs from 'dayjs'

export function fmtTime(v?: string | null, withSeconds = false): string {
  if (!v) return '—'
  const d = dayjs(v)
  return d.isValid() ? d.format(withSeconds ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD HH:mm') : String(v)
}

export function fmtDate(v?: string | null): string {
  if (!v) return '—'
  const d = dayjs(v)
  return d.isValid() ? d.format('YYYY-MM-DD') : String(v)
}

export function fmtSize(n?: number | null): string {
  if (n == null) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export const PHONE_RE = /^1[3-9]\d{9}$/
export const PASSWORD_RE = /^(?=.*[A-Za-z])(?=.*\d).{8,64}$/
