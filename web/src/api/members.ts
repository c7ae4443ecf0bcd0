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
  /** rows whose phone already has an account: invited, added once they accept */
  invited?: { row: number; invitation_id: ID; real_name: string; phone: string }[]
}

/** An organisation's invitation to a person who already has an account. */
export interface Invitation {
  id: ID
  org_id: ID
  org_name: string
  real_name: string
  phone: string
  status: string
  roles: (NamedRef & { builtin_key?: string | null })[]
  units: (NamedRef & { code?: string })[]
  invited_by?: NamedRef | null
  created_at: string
  expires_at: string
  decided_at?: string | null
  membership_id?: ID | null
}

export type Created = (Member & { temporary_password?: string | null }) | Invitation
export const isInvitation = (c: Created): c is Invitation => 'org_name' in c

export type MemberPatch = Partial<Pick<MemberBody, 'real_name' | 'role_ids' | 'unit_ids'>>

export const listMembers = (q: MemberQuery = {}) => get<Page<Member>>('/members', q)
export const getMember = (id: ID) => get<Member>(`/members/${id}`)
export const createMember = (body: MemberBody) => post<Created>('/members', body)
export const updateMember = (id: ID, body: MemberPatch) => patch<Member>(`/members/${id}`, body)
export const deleteMember = (id: ID) => del(`/members/${id}`)
/** a first password only for an account this organisation opened and nobody used; else a code is texted to the owner */
export const resetMemberPassword = (id: ID) =>
  post<{ temporary_password: string | null; code_sent: boolean }>(`/members/${id}/reset-password`)
export const listInvitations = (q: ListQuery = {}) => get<Page<Invitation>>('/members/invitations', q)
export const cancelInvitation = (id: ID) => del(`/members/invitations/${id}`)
export const myInvitations = () => get<Invitation[]>('/me/invitations')
export const acceptInvitation = (id: ID) => post<Invitation>(`/me/invitations/${id}/accept`)
export const declineInvitation = (id: ID) => post<Invitation>(`/me/invitations/${id}/decline`)
export const approveMember = (id: ID) => post<Member>(`/members/${id}/approve`)
export const disableMember = (id: ID) => post<Member>(`/members/${id}/disable`)
export const enableMember = (id: ID) => post<Member>(`/members/${id}/enable`)
export const importTemplateUrl = () => apiUrl('/members/import-template')
export const importMembers = (file: File, onProgress?: (p: number) => void) =>
  upload<ImportResult>('/members/import', file, onProgress)
