import { get, post, type ListQuery, type Page } from './http'
import type { ID } from './types'

/** One alert: a condition on an object, however often it repeated while unresolved. */
export interface Alert {
  id: ID
  kind: string
  severity: 'info' | 'warning' | 'critical'
  subject_type: string
  subject_id: string
  request_id: ID | null
  status: 'open' | 'acknowledged' | 'resolved'
  details: Record<string, unknown>
  count: number
  first_at: string
  last_at: string
  acknowledged_at: string | null
  acknowledged_by: ID | null
  acknowledged_by_name: string
  acknowledge_comment: string
  resolved_at: string | null
  resolved_by: ID | null
  resolved_by_name: string
  resolve_comment: string
  /** what the caller may do next: acknowledge, resolve */
  actions: string[]
}

export interface AlertCounts {
  open: number
  acknowledged: number
  unresolved: number
  by_severity: Record<string, number>
}

export interface AlertQuery extends ListQuery {
  status?: string[]
  kind?: string
  severity?: string
  subject_type?: string
  subject_id?: string
  request_id?: string
  since?: string
  until?: string
}

export const listAlerts = (q: AlertQuery) => get<Page<Alert>>('/alerts', q)
export const getAlert = (id: ID) => get<Alert>(`/alerts/${id}`)
export const alertCounts = () => get<AlertCounts>('/alerts/counts', undefined, { silent: true })
export const acknowledgeAlert = (id: ID, comment: string) => post<Alert>(`/alerts/${id}/acknowledge`, { comment })
export const resolveAlert = (id: ID, comment: string) => post<Alert>(`/alerts/${id}/resolve`, { comment })

/** Live event names of alerts (the console's event stream). */
export const ALERT_EVENTS = ['alert.raised', 'alert.acknowledged', 'alert.resolved']
