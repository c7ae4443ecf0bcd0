import { del, get, patch, post, upload, apiUrl, type ListQuery, type Page } from './http'
import type { ID, NamedRef } from './types'

export interface Member {
  id: ID
  user_id: ID
  real_name: string
  phone: string
  status: string
  registered_at: string
  roles: (NamedRef & { builtin_key?: string | null })[]
  /** the first is the primary unit */
  units: (NamedRef & { code?: string })[]
  primary_unit_id?: ID | null
}

export interface MemberQuery extends ListQuery {
  unit_id?: ID
  role_id?: ID
  status?: string
}

export interface MemberBody {
  phone: string
  real_name: string
  role_ids: ID[]
  unit_ids: ID[]
  password?: string
}

export interface ImportedRow {
  row: number
  member_id: ID
  real_name: string
  phone: string
  temporary_password?: string | null
}

export interface ImportResult {
  created: ImportedRow[] | number
  errors: { row: number; message: string }[]
}

export type MemberPatch = Partial<Pick<MemberBody, 'real_name' | 'role_ids' | 'unit_ids'>>

export const listMembers = (q: MemberQuery = {}) => get<Page<Member>>('/members', q)
export const getMember = (id: ID) => get<Member>(`/members/${id}`)
export const createMember = (body: MemberBody) => post<Member & { temporary_password?: string | null }>('/members', body)
export const updateMember = (id: ID, body: MemberPatch) => patch<Member>(`/members/${id}`, body)
export const deleteMember = (id: ID) => del(`/members/${id}`)
export const resetMemberPassword = (id: ID) => post<{ temporary_password: string }>(`/members/${id}/reset-password`)
export const approveMember = (id: ID) => post<Member>(`/members/${id}/approve`)
export const disableMember = (id: ID) => post<Member>(`/members/${id}/disable`)
export const enableMember = (id: ID) => post<Member>(`/members/${id}/enable`)
export const importTemplateUrl = () => apiUrl('/members/import-template')
export const importMembers = (file: File, onProgress?: (p: number) => void) =>
  upload<ImportResult>('/members/import', file, onProgress)
