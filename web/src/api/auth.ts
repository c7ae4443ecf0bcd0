import { get, post } from './http'
import type { ID } from './types'

export type SmsPurpose = 'register' | 'reset' | 'login'

export interface Membership {
  org_id: ID
  org_name: string
  org_code: string
  status: string
}

export interface Me {
  user: { id: ID; phone: string; totp_enabled: boolean }
  /** null when the user has no current organisation */
  member: { id: ID; real_name: string; status: string } | null
  organization: { id: ID; name: string; code: string } | null
  permissions: string[]
  data_scope: string | null
  unit_ids?: ID[]
  memberships: Membership[]
}

export interface RegisterBody {
  phone: string
  code: string
  password: string
  real_name: string
  org_code?: string
  create_org?: { name: string }
}

export interface RegisterResult {
  status: 'active' | 'pending'
  organization: { id: ID; name: string; code: string }
  token?: string | null
  csrf_token?: string | null
}

export interface LoginResult {
  token: string
  csrf_token: string
  current_org_id: ID | null
  expires_at?: string
}

export const sendSmsCode = (phone: string, purpose: SmsPurpose) =>
  post<{ resend_after: number }>('/auth/sms-codes', { phone, purpose })

export const register = (body: RegisterBody) => post<RegisterResult>('/auth/register', body)

export const login = (phone: string, password: string, totp_code?: string) =>
  post<LoginResult>('/auth/login', { phone, password, ...(totp_code ? { totp_code } : {}) }, { silent: true, noAuthRedirect: true })

/** Sign in with an SMS code (purpose `login`): still open while password sign-in waits. */
export const loginSms = (phone: string, code: string, totp_code?: string) =>
  post<LoginResult>('/auth/login/sms', { phone, code, ...(totp_code ? { totp_code } : {}) }, { silent: true, noAuthRedirect: true })

export const logout = () => post<void>('/auth/logout', {}, { silent: true, noAuthRedirect: true })

export const resetPassword = (phone: string, code: string, new_password: string) =>
  post<void>('/auth/password-reset', { phone, code, new_password })

export const me = () => get<Me>('/auth/me', undefined, { silent: true, noAuthRedirect: true })

export const switchOrg = (org_id: ID) => post<LoginResult | '' | void>('/auth/switch-org', { org_id })
