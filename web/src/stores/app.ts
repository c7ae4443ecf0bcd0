import { defineStore } from 'pinia'
import { getLocale, setLocale as applyLocale, type Locale } from '@/i18n'

export const useAppStore = defineStore('app', () => {
  const locale = ref<Locale>(getLocale())
  const collapsed = ref(localStorage.getItem('sealhub.menuCollapsed') === '1')
  const pendingCount = ref(0)

  function setLocale(l: Locale) {
    applyLocale(l)
    locale.value = l
  }

  function toggleCollapsed() {
    collapsed.value = !collapsed.value
    localStorage.setItem('sealhub.menuCollapsed', collapsed.value ? '1' : '0')
  }

  return { locale, collapsed, pendingCount, setLocale, toggleCollapsed }
})
