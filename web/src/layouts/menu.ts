import type { Component } from 'vue'
import { MODULES } from '@/modules'
import { Odometer, Stamp, Document, Finished, Share, OfficeBuilding, Setting, User, Lock, Tickets, EditPen, Bell } from '@element-plus/icons-vue'

export interface MenuItem {
  path?: string
  key: string
  title: string
  icon?: Component
  perm?: string | string[]
  children?: MenuItem[]
}

const CORE: MenuItem[] = [
  { path: '/', key: 'dashboard', title: 'menu.dashboard', icon: Odometer },
  {
    key: 'usage',
    title: 'menu.usage',
    icon: Document,
    children: [
      { path: '/apply', key: 'apply', title: 'menu.apply', icon: EditPen, perm: 'request.create' },
      { path: '/requests/mine', key: 'mine', title: 'menu.mine', icon: Tickets, perm: 'request.create' },
      { path: '/requests/pending', key: 'pending', title: 'menu.pending', icon: Bell },
      { path: '/requests/decided', key: 'decided', title: 'menu.decided', icon: Finished },
      { path: '/requests/all', key: 'all', title: 'menu.all', icon: Document, perm: 'request.read' },
    ],
  },
  { path: '/seals', key: 'seals', title: 'menu.seals', icon: Stamp, perm: 'seal.read' },
  { path: '/flows', key: 'flows', title: 'menu.flows', icon: Share, perm: 'flow.read' },
  {
    key: 'system',
    title: 'menu.system',
    icon: Setting,
    children: [
      { path: '/org', key: 'org', title: 'menu.org', icon: OfficeBuilding, perm: 'org.read' },
      { path: '/roles', key: 'roles', title: 'menu.roles', icon: Lock, perm: 'role.read' },
      { path: '/members', key: 'members', title: 'menu.members', icon: User, perm: 'member.read' },
    ],
  },
  { path: '/audit', key: 'audit', title: 'menu.audit', icon: Document, perm: 'audit.read' },
]

/** The core entries in order (0, 10, 20, ...) with the modules' entries placed by their `order`. */
export const MENU: MenuItem[] = [
  ...CORE.map((item, i) => ({ order: i * 10, item })),
  ...MODULES.flatMap((m) => m.menu ?? []),
]
  .sort((a, b) => a.order - b.order)
  .map((e) => e.item)

/** The menu with the items the member may not open removed (and groups left empty dropped). */
export function filterMenu(items: MenuItem[], can: (p?: string | string[]) => boolean): MenuItem[] {
  const out: MenuItem[] = []
  for (const it of items) {
    if (it.children) {
      const kids = filterMenu(it.children, can)
      if (kids.length) out.push({ ...it, children: kids })
    } else if (can(it.perm)) {
      out.push(it)
    }
  }
  return out
}
