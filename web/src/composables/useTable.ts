import { reactive, ref, shallowRef } from 'vue'
import type { ListQuery, Page } from '@/api/http'

export interface TableState<T> {
  items: T[]
  total: number
  page: number
  pageSize: number
  sort: string
  loading: boolean
  loadedOnce: boolean
  error: string
}

/**
 * Server-side paginated, sortable list. `filters` is a reactive object merged into each query.
 * Call `search()` after changing filters (goes to page 1), `load()` to reload the current page.
 */
export function useTable<T, F extends object = Record<string, unknown>>(
  fetcher: (q: ListQuery & F) => Promise<Page<T>>,
  opts: { filters?: F; sort?: string; pageSize?: number } = {},
) {
  const defaults = { ...(opts.filters ?? ({} as F)) }
  const filters = reactive({ ...defaults }) as F
  const state = reactive({
    items: [] as T[],
    total: 0,
    page: 1,
    pageSize: opts.pageSize ?? 20,
    sort: opts.sort ?? '',
    loading: false,
    loadedOnce: false,
    error: '',
  }) as TableState<T>
  const lastQuery = shallowRef<ListQuery & F>()
  const seq = ref(0)

  async function load() {
    const my = ++seq.value
    state.loading = true
    state.error = ''
    const q = { ...(filters as object), page: state.page, page_size: state.pageSize, sort: state.sort || undefined } as ListQuery & F
    lastQuery.value = q
    try {
      const r = await fetcher(q)
      if (my !== seq.value) return
      state.items = r.items
      state.total = r.total
    } catch (e) {
      if (my !== seq.value) return
      state.error = e instanceof Error ? e.message : String(e)
    } finally {
      if (my === seq.value) {
        state.loading = false
        state.loadedOnce = true
      }
    }
  }

  function search() {
    state.page = 1
    return load()
  }

  function resetFilters() {
    Object.assign(filters as object, defaults)
    return search()
  }

  /** el-table @sort-change handler (columns use sortable="custom"). */
  function onSortChange({ prop, order }: { prop: string; order: 'ascending' | 'descending' | null }) {
    state.sort = !order ? opts.sort ?? '' : order === 'descending' ? `-${prop}` : prop
    return search()
  }

  function onPageChange(p: number) {
    state.page = p
    return load()
  }

  function onSizeChange(s: number) {
    state.pageSize = s
    return search()
  }

  /** el-table default-sort prop derived from the sort string */
  function defaultSort() {
    const s = opts.sort ?? ''
    if (!s) return undefined
    return s.startsWith('-') ? { prop: s.slice(1), order: 'descending' as const } : { prop: s, order: 'ascending' as const }
  }

  return { state, filters, load, search, resetFilters, onSortChange, onPageChange, onSizeChange, defaultSort, lastQuery }
}

export type UseTable<T> = ReturnType<typeof useTable<T>>
