import { apiUrl, get, put, type ListQuery, type Page } from './http'
import type { ID } from './types'

export interface TreeHead {
  size: number
  root: string
  note: string
  created_at: string
}

export interface Witness {
  id: ID
  kind: 'webhook' | 'file'
  target: string
  pushed_size: number
  last_error: string | null
  created_at: string
}

export interface StoreAudit {
  at: string
  ok: boolean
  checked: number
  findings: { kind: string; record: string; detail: string }[]
}

export interface LogKey {
  name: string
  ed25519_key_id: string
  mldsa65_key_id: string
  created_at: string
  retires_at: string | null
}

export interface RecordPosition {
  index: number | null
  kind: string
  record_id: string
  what: string | null
  at: string | null
  leaf_hash: string
  in_signed_head: boolean
}

export const listHeads = (q: ListQuery) => get<Page<TreeHead>>('/evidence/heads', q)
export const latestHead = () => get<TreeHead | null>('/evidence/heads/latest')
export const listWitnesses = () => get<Witness[]>('/evidence/witnesses')
export const setWitnesses = (witnesses: { kind: string; target: string }[]) =>
  put<Witness[]>('/evidence/witnesses', { witnesses })
export const lastAudit = () => get<StoreAudit | null>('/evidence/audit')
export const listKeys = () => get<LogKey[]>('/evidence/keys')
export const requestPositions = (id: ID) => get<RecordPosition[]>(`/requests/${id}/evidence`)
export const packageUrl = (id: ID) => apiUrl(`/requests/${id}/evidence/package`)
