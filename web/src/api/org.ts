import { del, get, patch, post, put, upload } from './http'
import type { ID, UserRef } from './types'

export interface Supervisor {
  title: string
  users: UserRef[]
}

export interface OrgUnit {
  id: ID
  parent_id: ID | null
  name: string
  code: string
  kind?: string
  sort: number
  description?: string | null
  path?: string
  created_at: string
  updated_at?: string
  logo_url?: string | null
  supervisors: Supervisor[]
}

export interface OrgUnitBody {
  parent_id?: ID | null
  name: string
  code?: string
  kind?: string
  sort?: number
  description?: string
}

export interface Organization {
  id: ID
  name: string
  code: string
  settings?: Record<string, unknown>
  [k: string]: unknown
}

/** GET /org/units answers the whole tree as a flat list (no paging); wrapped for callers. */
export const listUnits = async (): Promise<{ items: OrgUnit[] }> => {
  const r = await get<OrgUnit[] | { items: OrgUnit[] }>('/org/units')
  return { items: Array.isArray(r) ? r : r.items }
}
export const getUnit = (id: ID) => get<OrgUnit>(`/org/units/${id}`)
export const createUnit = (body: OrgUnitBody) => post<OrgUnit>('/org/units', body)
export const updateUnit = (id: ID, body: Partial<OrgUnitBody>) => patch<OrgUnit>(`/org/units/${id}`, body)
export const deleteUnit = (id: ID) => del(`/org/units/${id}`)
export const moveUnit = (id: ID, parent_id: ID) => post<OrgUnit>(`/org/units/${id}/move`, { parent_id })
export const setSupervisors = (id: ID, titles: { title: string; user_ids: ID[] }[]) =>
  put<OrgUnit>(`/org/units/${id}/supervisors`, { titles })
export const uploadLogo = (id: ID, file: File, onProgress?: (p: number) => void) =>
  upload<OrgUnit>(`/org/units/${id}/logo`, file, onProgress)
export const getOrganization = () => get<Organization>('/org')
export const updateOrganization = (body: Partial<Organization>) => patch<Organization>('/org', body)

export interface UnitTreeNode extends OrgUnit {
  children: UnitTreeNode[]
}

/** Turn the flat unit list into a sorted tree. */
export function buildTree(units: OrgUnit[]): UnitTreeNode[] {
  const map = new Map<ID, UnitTreeNode>()
  units.forEach((u) => map.set(u.id, { ...u, children: [] }))
  const roots: UnitTreeNode[] = []
  for (const n of map.values()) {
    const parent = n.parent_id ? map.get(n.parent_id) : undefined
    if (parent) parent.children.push(n)
    else roots.push(n)
  }
  const sortRec = (xs: UnitTreeNode[]) => {
    xs.sort((a, b) => (a.sort ?? 0) - (b.sort ?? 0) || a.name.localeCompare(b.name, 'zh-CN'))
    xs.forEach((x) => sortRec(x.children))
  }
  sortRec(roots)
  return roots
}
