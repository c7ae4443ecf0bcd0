import { http, upload } from './http'
import type { ID } from './types'

export interface DocumentInfo {
  id: ID
  sha256: string
  filename: string
  size: number
  pages: number | null
  uploaded_by?: string
  created_at?: string
  content_type: string
}

export const uploadDocument = (file: File, onProgress?: (p: number) => void) =>
  upload<DocumentInfo>('/documents', file, onProgress)

export const documentContentUrl = (id: ID) => `/api/v1/documents/${id}/content`

export async function fetchDocumentContent(id: ID): Promise<ArrayBuffer> {
  const r = await http.get<ArrayBuffer>(`/documents/${id}/content`, { responseType: 'arraybuffer', silent: true })
  return r.data
}
