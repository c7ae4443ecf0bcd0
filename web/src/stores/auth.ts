import { defineStore } from 'pinia'
import * as authApi from '@/api/auth'
import { hasSessionHint, setCsrfToken } from '@/api/http'
import type { ID } from '@/api/types'

export const useAuthStore = defineStore('auth', () => {
  const me = ref<authApi.Me | null>(null)
  const loaded = ref(false)

  const permissions = computed(() => new Set(me.value?.permissions ?? []))
  const loggedIn = computed(() => !!me.value)

  function can(perm?: string | string[]): boolean {
    if (!perm || (Array.isArray(perm) && perm.length === 0)) return true
    const p = permissions.value
    if (p.has('*')) return true
    return Array.isArray(perm) ? perm.some((x) => p.has(x)) : p.has(perm)
  }

  async function fetchMe(): Promise<authApi.Me | null> {
    // No CSRF cookie means no session (both cookies share one lifetime): skip the call
    // instead of provoking a 401 the browser would log as a failed resource.
    if (!hasSessionHint()) {
      me.value = null
      loaded.value = true
      return null
    }
    try {
      me.value = await authApi.me()
    } catch {
      me.value = null
    } finally {
      loaded.value = true
    }
    return me.value
  }

  /** After sign-up the API may already have opened a session. */
  function adoptCsrf(token?: string | null) {
    if (token) setCsrfToken(token)
  }

  async function login(phone: string, password: string, totp?: string) {
    const r = await authApi.login(phone, password, totp)
    if (r?.csrf_token) setCsrfToken(r.csrf_token)
    await fetchMe()
  }

  async function loginSms(phone: string, code: string, totp?: string) {
    const r = await authApi.loginSms(phone, code, totp)
    if (r?.csrf_token) setCsrfToken(r.csrf_token)
    await fetchMe()
  }

  async function logout() {
    try {
      await authApi.logout()
    } finally {
      me.value = null
      setCsrfToken('')
    }
  }

  async function switchOrg(orgId: ID) {
    const r = await authApi.switchOrg(orgId)
    if (r && typeof r === 'object' && r.csrf_token) setCsrfToken(r.csrf_token)
    await fetchMe()
  }

  function clear() {
    me.value = null
    setCsrfToken('')
  }

  return { me, loaded, loggedIn, permissions, can, fetchMe, login, loginSms, logout, switchOrg, clear, adoptCsrf }
})
