import { del, get, patch, post, type ListQuery, type Page } from './http'
import type { ID } from './types'

export interface Role {
  id: ID
  name: string
  builtin_key?: string | null
  description?: string | null
  permissions: string[]
  data_scope: string
  created_at: string
  updated_at?: string | null
  member_count?: number
  created_by?: { id: ID; real_name: string } | null
  updated_by?: { id: ID; real_name: string } | null
  created_by_name?: string | null
  updated_by_name?: string | null
}

export interface RoleBody {
  name: string
  description?: string
  permissions?: string[]
  data_scope?: string
}

export const listRoles = (q: ListQuery = {}) => get<Page<Role>>('/roles', q)
export const getRole = (id: ID) => get<Role>(`/roles/${id}`)
export const createRole = (body: RoleBody) => post<Role>('/roles', body)
export const updateRole = (id: ID, body: Partial<RoleBody>) => patch<Role>(`/roles/${id}`, body)
export const deleteRole = (id: ID) => del(`/roles/${id}`)
