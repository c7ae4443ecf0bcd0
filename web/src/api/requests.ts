import { get, post, upload, type ListQuery, type Page } from './http'
import type { DocumentInfo } from './documents'
import type { ID } from './types'

export type Box = 'mine' | 'pending' | 'decided' | 'all'

export interface SealRef {
  seal_id: ID
  seal_name: string
  seal_kind: string
  presses: number
}

export interface RequestSummary {
  id: ID
  number: string
  name: string
  status: string
  urgency: string
  applicant_id: ID
  applicant_name: string
  unit_id?: ID | null
  valid_from: string
  valid_until: string
  total_presses: number
  seals: SealRef[]
  photos_owed?: boolean
  created_at: string
  updated_at?: string
}

export interface RequestItem {
  id: ID
  seal_id: ID
  seal_name: string
  seal_kind: string
  seal_type?: string
  /** the seal as it is now (null when it is gone); keeper_ids are user ids */
  seal?: { id: ID; name: string; code: string; kind: string; type: string; status: string; unit_id: ID; keeper_ids: ID[] } | null
  presses: number
  presses_used: number
  pages?: string | null
  handed_out?: boolean
}

export interface Amendment {
  id: ID
  item_id: ID
  presses: number
  reason: string
  status: 'pending' | 'approved' | 'rejected' | 'cancelled'
  current_step: number
  created_by: ID
  created_at: string
  decided_at: string | null
}

export interface Photo {
  id: ID
  filename: string
  sha256: string
  size: number
  content_type: string
  uploaded_by: ID
  created_at: string
}

export interface RequestTask {
  id: ID
  amendment_id?: ID | null
  step_index: number
  step_name: string
  mode?: string
  assignee_id: ID
  assignee_name: string
  status: string
  origin?: string
  comment?: string | null
  created_at?: string
  decided_at?: string | null
}

export interface TimelineEntry {
  id?: ID
  at: string
  actor_name?: string | null
  action: string
  from_status?: string | null
  to_status?: string | null
  comment?: string | null
}

export interface RequestCan {
  approve?: boolean
  reject?: boolean
  transfer?: boolean
  add_approver?: boolean
  withdraw?: boolean
  submit?: boolean
  end?: boolean
  change_window?: boolean
  add_presses?: boolean
  upload_photos?: boolean
  archive?: boolean
}

export interface RequestDetail extends RequestSummary {
  reason: string
  flow?: { id: ID; name: string; version: number; steps: { name: string }[] } | null
  current_step?: number | null
  submitted_at?: string | null
  decided_at?: string | null
  finished_at?: string | null
  end_reason?: string
  items: RequestItem[]
  documents: (Pick<DocumentInfo, 'id' | 'filename'> & Partial<DocumentInfo>)[]
  tasks: RequestTask[]
  timeline: TimelineEntry[]
  amendments: Amendment[]
  photos: Photo[]
  can: RequestCan
}

export interface RequestBody {
  name: string
  reason: string
  urgency: string
  valid_from: string
  valid_until: string
  document_ids: ID[]
  items: { seal_id: ID; presses: number; pages?: string | null }[]
  unit_id?: ID | null
  submit: boolean
}

export interface RequestQuery extends ListQuery {
  box?: Box
  status?: string
  seal_id?: ID
  urgency?: string
}

export const listRequests = (q: RequestQuery) => get<Page<RequestSummary>>('/requests', q)
export const getRequest = (id: ID) => get<RequestDetail>(`/requests/${id}`)
export const createRequest = (body: RequestBody, idempotencyKey?: string) =>
  post<RequestDetail>('/requests', body, idempotencyKey ? { headers: { 'Idempotency-Key': idempotencyKey } } : undefined)
export const approveRequest = (id: ID, comment: string) => post(`/requests/${id}/approve`, { comment })
export const rejectRequest = (id: ID, comment: string) => post(`/requests/${id}/reject`, { comment })
export const transferRequest = (id: ID, to_user_id: ID, comment: string) =>
  post(`/requests/${id}/transfer`, { to_user_id, comment })
export const addApprover = (id: ID, user_id: ID, comment: string) =>
  post(`/requests/${id}/add-approver`, { user_id, comment })
export const withdrawRequest = (id: ID) => post(`/requests/${id}/withdraw`)
export const submitRequest = (id: ID) => post<RequestDetail>(`/requests/${id}/submit`)
export const endRequest = (id: ID, reason: string) => post<RequestDetail>(`/requests/${id}/end`, { reason })
export const changeWindow = (id: ID, valid_from: string, valid_until: string) =>
  post<RequestDetail>(`/requests/${id}/window`, { valid_from, valid_until })
export const addPresses = (id: ID, item_id: ID, presses: number, reason: string) =>
  post<RequestDetail>(`/requests/${id}/add-presses`, { item_id, presses, reason })
export const archiveRequest = (id: ID) => post<RequestDetail>(`/requests/${id}/archive`)
export const uploadRequestPhoto = (id: ID, file: File, onProgress?: (p: number) => void) =>
  upload<Photo>(`/requests/${id}/photos`, file, onProgress)
export const photoContentUrl = (id: ID, photoId: ID) => `/api/v1/requests/${id}/photos/${photoId}/content`
