import { defineStore } from 'pinia'
import { getEnums, getPermissionCatalogue, type EnumName, type EnumOption, type Enums, type PermissionGroup } from '@/api/meta'
import { getLocale } from '@/i18n'

/** Enums and the permission catalogue, fetched once per session; labels picked by the current language. */
export const useMetaStore = defineStore('meta', () => {
  const enums = ref<Enums>({})
  const groups = ref<PermissionGroup[]>([])
  let enumsPromise: Promise<void> | null = null
  let permsPromise: Promise<void> | null = null

  function loadEnums(force = false) {
    if (!enumsPromise || force) {
      enumsPromise = getEnums()
        .then((r) => {
          enums.value = r
        })
        .catch((e) => {
          enumsPromise = null
          throw e
        })
    }
    return enumsPromise
  }

  function loadPermissions() {
    if (!permsPromise) {
      permsPromise = getPermissionCatalogue()
        .then((r) => {
          groups.value = r.groups
        })
        .catch((e) => {
          permsPromise = null
          throw e
        })
    }
    return permsPromise
  }

  function options(name: EnumName | string): EnumOption[] {
    return enums.value[name] ?? []
  }

  function label(o: { zh: string; en: string } | undefined | null, fallback = ''): string {
    if (!o) return fallback
    return getLocale() === 'en' ? o.en || o.zh : o.zh || o.en
  }

  function find(name: EnumName | string, value: string | null | undefined): EnumOption | undefined {
    if (value == null) return undefined
    return options(name).find((o) => o.value === value)
  }

  function text(name: EnumName | string, value: string | null | undefined): string {
    return label(find(name, value), value ?? '')
  }

  /** value/label pairs for selects and radios */
  function selectOptions(name: EnumName | string) {
    return options(name).map((o) => ({ value: o.value, label: label(o), color: o.color }))
  }

  function permissionLabel(key: string): string {
    for (const g of groups.value) {
      const p = g.permissions.find((x) => x.key === key)
      if (p) return label(p)
    }
    return key
  }

  /** A seal's type label: the API's localized type_name, else the enum label. */
  function sealTypeName(s: { type: string; type_name?: { zh: string; en: string } | string | null }): string {
    const n = s.type_name
    if (n && typeof n === 'object') return label(n, s.type)
    if (typeof n === 'string' && n) return n
    return text('seal_type', s.type)
  }

  function reset() {
    enumsPromise = null
    permsPromise = null
  }

  return { enums, groups, loadEnums, loadPermissions, options, label, find, text, selectOptions, permissionLabel, sealTypeName, reset }
})
