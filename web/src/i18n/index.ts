import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'
import { MODULES } from '@/modules'

export type Locale = 'zh-CN' | 'en'
const KEY = 'sealhub.locale'

function initialLocale(): Locale {
  const saved = localStorage.getItem(KEY)
  return saved === 'en' ? 'en' : 'zh-CN'
}

/** The core messages with each console module's top-level keys added (typed as the core). */
function merged<T extends object>(core: T, locale: Locale): T {
  return Object.assign({}, core, ...MODULES.map((m) => m.messages?.[locale] ?? {})) as T
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: {
    'zh-CN': merged(zhCN, 'zh-CN'),
    en: merged(en, 'en'),
  },
})

export function getLocale(): Locale {
  return i18n.global.locale.value as Locale
}

export function setLocale(l: Locale) {
  i18n.global.locale.value = l
  localStorage.setItem(KEY, l)
  document.documentElement.lang = l
}

document.documentElement.lang = initialLocale()

/** Shorthand for code outside components. */
export const t = (key: string, args?: Record<string, unknown>) => i18n.global.t(key, args ?? {})
