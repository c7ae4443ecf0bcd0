import { get } from './http'

export interface EnumOption {
  value: string
  zh: string
  en: string
  color?: string
}

export type EnumName =
  | 'request_status'
  | 'seal_status'
  | 'seal_kind'
  | 'seal_type'
  | 'member_status'
  | 'invitation_status'
  | 'data_scope'
  | 'urgency'
  | 'task_status'

export type Enums = Partial<Record<EnumName, EnumOption[]>> & Record<string, EnumOption[]>

export interface PermissionGroup {
  key: string
  zh: string
  en: string
  permissions: { key: string; zh: string; en: string }[]
}

export const getEnums = () => get<Enums>('/meta/enums')
export const getPermissionCatalogue = () => get<{ groups: PermissionGroup[] }>('/permissions')
