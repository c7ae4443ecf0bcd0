import { onBeforeUnmount, ref } from 'vue'

const query = '(max-width: 768px)'
const state = ref(typeof window !== 'undefined' && window.matchMedia(query).matches)
let listeners = 0
let mql: MediaQueryList | null = null
const onChange = (e: MediaQueryListEvent) => (state.value = e.matches)

/** True at phone width (≤ 768 px); shared, reactive. */
export function useIsMobile() {
  if (listeners++ === 0) {
    mql = window.matchMedia(query)
    state.value = mql.matches
    mql.addEventListener('change', onChange)
  }
  onBeforeUnmount(() => {
    if (--listeners === 0 && mql) mql.removeEventListener('change', onChange)
  })
  return state
}
