import { API_BASE, get, put } from './http'
import type { ID } from './types'

export interface Difference {
  kind: 'changed' | 'inserted' | 'deleted'
  original: string
  photo: string
  /** x0, y0, x1, y1 as fractions of the page */
  original_box: number[] | null
  photo_box: number[] | null
}

export interface InspectionResult {
  id: ID
  request_id: ID
  photo_id: ID
  status: 'pending' | 'done' | 'failed'
  verdict: string | null
  document_id: ID | null
  page: number | null
  similarity: number | null
  precision: string
  engine: string
  details: {
    problems?: string[]
    notes?: string[]
    differences?: Difference[]
    imprints?: { box: number[]; shape: string }[]
  }
  seconds: number | null
  inspected_at: string | null
}

export const listInspection = (requestId: ID) =>
  get<InspectionResult[]>(`/requests/${requestId}/inspection`)
export const inspectionImageUrl = (requestId: ID, photoId: ID, side: 'photo' | 'original') =>
  `${API_BASE}/requests/${requestId}/inspection/${photoId}/image?side=${side}`
export const inspectionReportPdfUrl = (requestId: ID) =>
  `${API_BASE}/requests/${requestId}/inspection/report.pdf`
export const getInspectionSettings = () => get<{ precision: string }>('/inspection/settings')
export const setInspectionSettings = (precision: string) =>
  put<{ precision: string }>('/inspection/settings', { precision })
