import type { RouteRecordRaw } from 'vue-router'
import type { MenuItem } from '@/layouts/menu'

/**
 * A console module: one file per capability in `src/modules/` (devices.ts, esign.ts, ...),
 * found by name, so capabilities add pages without editing the router, menu or message files.
 */
export interface ConsoleModule {
  /** pages inside the main layout (signed in), paths relative to '/' */
  routes?: RouteRecordRaw[]
  /** top-level pages outside the main layout (e.g. a public verification page) */
  publicRoutes?: RouteRecordRaw[]
  /** menu entries; `order` places them among the core entries (dashboard 0 ... audit 100) */
  menu?: { order: number; item: MenuItem }[]
  /** messages merged under their top-level keys; the key names must be unique across modules */
  messages?: { 'zh-CN': Record<string, unknown>; en: Record<string, unknown> }
}

export function defineModule(m: ConsoleModule): ConsoleModule {
  return m
}

const found = import.meta.glob<{ default: ConsoleModule }>('./*.ts', { eager: true })

/** Every module file except this index, by file name. */
export const MODULES: ConsoleModule[] = Object.entries(found)
  .filter(([path]) => !path.endsWith('/index.ts'))
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([, mod]) => mod.default)
