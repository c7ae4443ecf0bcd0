import { del, get, post, put, type ListQuery, type Page } from './http'
import type { ID } from './types'

export type ApproverKind = 'unit_supervisor' | 'role_in_chain' | 'role' | 'users' | 'seal_keeper'
export type StepMode = 'any' | 'all'

/** Who approves a step: the kind decides which of title / role_id / user_ids applies. */
export interface ApproverRule {
  kind: ApproverKind
  title?: string | null
  role_id?: ID | null
  user_ids?: ID[]
}

export interface FlowStep {
  name: string
  mode: StepMode
  approver: ApproverRule
}

export interface FlowConditions {
  seal_types: string[]
  seal_kinds?: string[]
  min_presses?: number | null
  max_presses?: number | null
  unit_ids: ID[]
}

export interface Flow {
  /** the flow family's stable id */
  id: ID
  version_id?: ID
  version: number
  name: string
  description?: string
  priority: number
  active: boolean
  conditions: FlowConditions
  steps: FlowStep[]
  created_at?: string
  created_by?: ID | null
}

export interface FlowBody {
  name: string
  description?: string
  priority: number
  active: boolean
  conditions: FlowConditions
  steps: FlowStep[]
}

export interface FlowPreview {
  flow: { id: ID; name: string; version?: number } | null
  steps: {
    index?: number
    name: string
    mode: StepMode
    approver_kind?: ApproverKind
    approvers: { user_id: ID; real_name: string }[]
  }[]
}

/**
 * GET /flows pages by `include_inactive`, `sort` (created_at, name, priority) only: it has no `q`,
 * so a name filter is applied here over the first 100 flows (organisations hold a handful).
 */
export const listFlows = async (q: ListQuery & { include_inactive?: boolean } = {}): Promise<Page<Flow>> => {
  const { q: text, ...rest } = q
  if (!text) return get<Page<Flow>>('/flows', rest)
  const all = await get<Page<Flow>>('/flows', { ...rest, page: 1, page_size: 100 })
  const needle = text.toLowerCase()
  const items = all.items.filter((f) => f.name.toLowerCase().includes(needle) || (f.description ?? '').toLowerCase().includes(needle))
  return { items, total: items.length, page: 1, page_size: Math.max(items.length, 1) }
}
export const getFlow = (id: ID) => get<Flow>(`/flows/${id}`)
export const createFlow = (body: FlowBody) => post<Flow>('/flows', body)
export const saveFlow = (id: ID, body: FlowBody) => put<Flow>(`/flows/${id}`, body)
export const deleteFlow = (id: ID) => del(`/flows/${id}`)
export const previewFlow = (seal_ids: ID[], presses: number, unit_id?: ID) =>
  post<FlowPreview>('/flows/preview', { seal_ids, presses, ...(unit_id ? { unit_id } : {}) }, { silent: true })
