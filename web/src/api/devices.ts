import { del, get, post, upload, type ListQuery, type Page } from './http'
import type { ID } from './types'

/** The last state a device reported (its heartbeat), as the platform keeps it. */
export interface Twin {
  battery?: number
  ink_presses?: number
  ink_capacity?: number
  ink_left?: number
  firmware?: string
  location?: { lat: number; lon: number; src: string; acc_m: number } | null
  lock?: 'locked' | 'unlocked'
  mode?: 'application' | 'fingerprint'
  camera?: boolean
  signal?: number
  storage_free_kb?: number
  [k: string]: unknown
}

export interface Device {
  id: ID
  serial: string
  name: string
  model: string
  unit_id: ID
  status: string
  status_reason: string
  seal_id: ID | null
  online: boolean
  last_seen_at: string | null
  protocol_version: string
  firmware: string
  capabilities: string[]
  twin: Twin
  journal_seq: number
  public_key_hex: string
  created_at: string
  updated_at: string
}

export interface Credentials {
  broker_url: string
  mqtt_username: string
  mqtt_password: string
  ed25519_seed_hex: string | null
  platform_public_key_hex: string
  device_secret_hex: string
}

export interface Provisioned {
  device: Device
  credentials: Credentials
}

export interface ProvisionBody {
  serial?: string
  claim_code?: string
  qr?: string
  name: string
  model?: string
  unit_id: ID
}

export interface Command {
  id: ID
  device_id: ID
  kind: string
  params: Record<string, unknown>
  state: string
  request_id: ID | null
  item_id: ID | null
  created_at: string
  created_by: ID | null
  sent_at: string | null
  acked_at: string | null
  finished_at: string | null
  timeout_at: string | null
  attempts: number
  result: Record<string, unknown> | null
  error: string
}

export interface DeviceEvent {
  id: ID
  device_id: ID
  seq: number
  kind: string
  at: string
  received_at: string
  request_id: ID | null
  item_id: ID | null
  seal_id: ID | null
  entry_hash: string
  source: string
  body: Record<string, unknown>
}

export interface Telemetry {
  at: string
  battery: number | null
  ink_used: number | null
  ink_capacity: number | null
  signal: number | null
  readings: Record<string, unknown>
}

export interface Binding {
  id: ID
  device_id: ID
  seal_id: ID
  bound_at: string
  bound_by: ID | null
  unbound_at: string | null
  unbound_by: ID | null
  reason: string
}

export interface Fingerprint {
  id: ID
  device_id: ID
  slot: number
  user_id: ID
  enrolled_at: string | null
  command_id: ID | null
}

export interface DeviceQuery extends ListQuery {
  status?: string
  online?: boolean | ''
  unit_id?: string
  seal_id?: string
}

export const listDevices = (q: DeviceQuery) => get<Page<Device>>('/devices', q)
export const getDevice = (id: ID) => get<Device>(`/devices/${id}`)
export const provisionDevice = (body: ProvisionBody) => post<Provisioned>('/devices', body)
export const deviceAction = (id: ID, action: 'suspend' | 'resume' | 'decommission', reason: string) =>
  post<Device>(`/devices/${id}/${action}`, { reason })
export const bindSeal = (id: ID, sealId: ID, reason = '') => post<Device>(`/devices/${id}/bind`, { seal_id: sealId, reason })
export const unbindSeal = (id: ID, reason = '') => post<Device>(`/devices/${id}/unbind`, { reason })
export const deviceBindings = (id: ID) => get<Binding[]>(`/devices/${id}/bindings`)
export const deviceTelemetry = (id: ID, since?: string, limit = 500) => get<Telemetry[]>(`/devices/${id}/telemetry`, { since, limit })
export const deviceEvents = (id: ID, q: ListQuery & { kind?: string }) => get<Page<DeviceEvent>>(`/devices/${id}/events`, q)
export const requestDeviceEvents = (requestId: ID, q: ListQuery = {}) =>
  get<Page<DeviceEvent>>(`/requests/${requestId}/device-events`, q, { silent: true })
export const deviceCommands = (id: ID, q: ListQuery & { state?: string }) => get<Page<Command>>(`/devices/${id}/commands`, q)
export const sendCommand = (id: ID, kind: string, params: Record<string, unknown> = {}, timeoutSeconds = 300) =>
  post<Command>(`/devices/${id}/commands`, { kind, params, timeout_seconds: timeoutSeconds })
export const cancelCommand = (id: ID, commandId: ID) => post<Command>(`/devices/${id}/commands/${commandId}/cancel`)
export const retryCommand = (id: ID, commandId: ID) => post<Command>(`/devices/${id}/commands/${commandId}/retry`)
export const deviceFingerprints = (id: ID) => get<Fingerprint[]>(`/devices/${id}/fingerprints`)
export const enrolFingerprint = (id: ID, slot: number, userId: ID) => post<Fingerprint>(`/devices/${id}/fingerprints`, { slot, user_id: userId })
export const deleteFingerprint = (id: ID, fpId: ID) => del<Command>(`/devices/${id}/fingerprints/${fpId}`)

export interface Imported {
  device_id: ID
  records: number
  stored: number
  already: number
  first: number
  last: number
}

/** Import an offline bundle (no-upload edition): verified in full, all or nothing. */
export const importBundle = (id: ID, file: File) => upload<Imported>(`/devices/${id}/bundles`, file)

/** Live event names about devices and their commands (the console's event stream). */
export const DEVICE_EVENTS = [
  'device.connected',
  'device.disconnected',
  'device.stamped',
  'device.alarmed',
  'device.seal_swapped',
  'command.updated',
]

/** Photos (SHA-256 hex) a stamp or unlock event carries. */
export function photosOf(e: DeviceEvent): string[] {
  const b = e.body ?? {}
  const list = Array.isArray(b.photos) ? (b.photos as unknown[]) : []
  const one = typeof b.photo === 'string' ? [b.photo] : []
  return [...list, ...one].map((p) => (typeof p === 'string' ? p : String((p as { sha256?: string }).sha256 ?? ''))).filter(Boolean)
}

/** Where the console fetches a photo a device uploaded (stamped page, unlock), by its SHA-256. */
export const mediaUrl = (deviceId: ID, sha256: string) => `/api/v1/devices/${deviceId}/photo?sha256=${sha256}`
