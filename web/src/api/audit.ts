import { apiUrl, get, type ListQuery, type Page } from './http'
import type { ID } from './types'

export interface AuditEntry {
  id: ID
  at: string
  actor_name?: string | null
  action: string
  target_type?: string | null
  target_id?: string | null
  summary?: string | null
  ip?: string | null
}

export interface AuditQuery extends ListQuery {
  actor_id?: ID
  action?: string
  target_type?: string
  since?: string
  until?: string
}

export const listAudit = (q: AuditQuery) => get<Page<AuditEntry>>('/audit', q)
export const auditExportUrl = (q: AuditQuery) => {
  const { page: _p, page_size: _s, ...filters } = q
  return apiUrl('/audit/export.csv', filters)
}
