import { onBeforeUnmount, onMounted, ref } from 'vue'
import { API_BASE } from '@/api/http'

export interface LiveEvent {
  id: string
  name: string
  org_id: string | null
  payload: Record<string, unknown>
  at: string
}

/**
 * The console's live domain events (`GET /api/v1/events`, Server-Sent Events, cookie session):
 * `onEvent` is called for each event whose name is listed (the server already drops what the
 * member may not read). The browser reconnects by itself; `connected` says whether it is open.
 */
export function useLiveEvents(names: string[], onEvent: (e: LiveEvent) => void) {
  const connected = ref(false)
  let source: EventSource | null = null

  function handle(raw: MessageEvent) {
    try {
      onEvent(JSON.parse(String(raw.data)) as LiveEvent)
    } catch {
      /* a malformed frame is skipped */
    }
  }

  onMounted(() => {
    if (typeof EventSource === 'undefined') return
    source = new EventSource(`${API_BASE}/events`, { withCredentials: true })
    source.onopen = () => (connected.value = true)
    source.onerror = () => (connected.value = false)
    for (const n of names) source.addEventListener(n, handle as EventListener)
  })
  onBeforeUnmount(() => {
    source?.close()
    source = null
  })
  return { connected }
}

/** Calls `fn` at most once per `ms`, the last call winning (bursts of events → one reload). */
export function throttled(fn: () => void, ms = 400) {
  let timer: ReturnType<typeof setTimeout> | null = null
  return () => {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      fn()
    }, ms)
  }
}
