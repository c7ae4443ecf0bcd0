import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuthStore } from '@/stores/auth'
import { setUnauthorizedHandler } from '@/api/http'
import { t } from '@/i18n'
import { MODULES } from '@/modules'

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title */
    title?: string
    /** pages reachable without a session */
    public?: boolean
    /** any one of these permissions grants access */
    perm?: string | string[]
    /** menu key to highlight */
    menu?: string
  }
}

const MainLayout = () => import('@/layouts/MainLayout.vue')
const AuthLayout = () => import('@/layouts/AuthLayout.vue')

export const routes: RouteRecordRaw[] = [
  // sign-in pages, each under the plain AuthLayout (a shared '/' parent would swallow '/')
  ...[
    { path: '/login', name: 'login', component: () => import('@/views/auth/LoginView.vue'), title: 'auth.login' },
    { path: '/register', name: 'register', component: () => import('@/views/auth/RegisterView.vue'), title: 'auth.register' },
    { path: '/forgot-password', name: 'forgot', component: () => import('@/views/auth/ForgotView.vue'), title: 'auth.forgot' },
    { path: '/terms', name: 'terms', component: () => import('@/views/auth/TermsView.vue'), title: 'auth.termsTitle' },
  ].map(
    ({ path, name, component, title }): RouteRecordRaw => ({
      path,
      component: AuthLayout,
      children: [{ path: '', name, component, meta: { public: true, title } }],
    }),
  ),
  ...MODULES.flatMap((m) => m.publicRoutes ?? []),
  {
    path: '/',
    component: MainLayout,
    children: [
      { path: '', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: 'menu.dashboard' } },
      { path: 'apply', name: 'apply', component: () => import('@/views/requests/ApplyView.vue'), meta: { title: 'menu.apply', perm: 'request.create' } },
      { path: 'requests/mine', name: 'mine', component: () => import('@/views/requests/RequestListView.vue'), props: { box: 'mine' }, meta: { title: 'menu.mine', perm: 'request.create' } },
      { path: 'requests/pending', name: 'pending', component: () => import('@/views/requests/RequestListView.vue'), props: { box: 'pending' }, meta: { title: 'menu.pending' } },
      { path: 'requests/all', name: 'all-requests', component: () => import('@/views/requests/RequestListView.vue'), props: { box: 'all' }, meta: { title: 'menu.all', perm: 'request.read' } },
      { path: 'requests/decided', name: 'decided', component: () => import('@/views/requests/RequestListView.vue'), props: { box: 'decided' }, meta: { title: 'menu.decided' } },
      { path: 'seals', name: 'seals', component: () => import('@/views/seals/SealListView.vue'), meta: { title: 'menu.seals', perm: 'seal.read' } },
      { path: 'seals/:id', name: 'seal', component: () => import('@/views/seals/SealDetailView.vue'), props: true, meta: { title: 'seal.detail', perm: 'seal.read', menu: '/seals' } },
      { path: 'flows', name: 'flows', component: () => import('@/views/flows/FlowListView.vue'), meta: { title: 'menu.flows', perm: 'flow.read' } },
      { path: 'flows/new', name: 'flow-new', component: () => import('@/views/flows/FlowEditorView.vue'), meta: { title: 'flow.newFlow', perm: 'flow.manage', menu: '/flows' } },
      { path: 'flows/:id', name: 'flow', component: () => import('@/views/flows/FlowEditorView.vue'), props: true, meta: { title: 'flow.editFlow', perm: 'flow.read', menu: '/flows' } },
      { path: 'org', name: 'org', component: () => import('@/views/org/OrgView.vue'), meta: { title: 'menu.org', perm: 'org.read' } },
      { path: 'roles', name: 'roles', component: () => import('@/views/roles/RoleListView.vue'), meta: { title: 'menu.roles', perm: 'role.read' } },
      { path: 'members', name: 'members', component: () => import('@/views/members/MemberListView.vue'), meta: { title: 'menu.members', perm: 'member.read' } },
      { path: 'invitations', name: 'my-invitations', component: () => import('@/views/members/MyInvitationsView.vue'), meta: { title: 'invitation.mine' } },
      { path: 'audit', name: 'audit', component: () => import('@/views/audit/AuditView.vue'), meta: { title: 'menu.audit', perm: 'audit.read' } },
      ...MODULES.flatMap((m) => m.routes ?? []),
      { path: '403', name: 'forbidden', component: () => import('@/views/ErrorView.vue'), props: { code: 403 }, meta: { title: 'error.forbidden' } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/views/ErrorView.vue'), props: { code: 404 }, meta: { title: 'error.notFound' } },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  if (!auth.loaded) await auth.fetchMe()
  if (to.meta.public) {
    if (auth.loggedIn && (to.name === 'login' || to.name === 'register')) return { path: '/' }
    return true
  }
  if (!auth.loggedIn) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  if (!auth.can(to.meta.perm)) return { name: 'forbidden' }
  return true
})

router.afterEach((to) => {
  const title = to.meta.title ? t(to.meta.title) : ''
  document.title = title ? `${title} - ${t('app.name')}` : t('app.name')
})

// A 401 from any API call means the session is gone: back to the login page.
setUnauthorizedHandler(() => {
  const auth = useAuthStore()
  auth.clear()
  const cur = router.currentRoute.value
  if (!cur.meta.public) router.replace({ name: 'login', query: { redirect: cur.fullPath } })
})
