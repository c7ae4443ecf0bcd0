import { get, post, put, upload, http, type ListQuery, type Page } from './http'
import type { ID } from './types'

export interface SealDesign {
  shape: 'round' | 'oval' | 'square'
  org_name: string
  title: string
  code: string
  size_mm: number
}

export interface EsealApplication {
  id: ID
  unit_id: ID
  applicant_id: ID
  applicant_name: string
  seal_type: string
  seal_name: string
  seal_code: string
  design: SealDesign
  reason: string
  status: string
  reviewer_id?: ID | null
  reviewed_at?: string | null
  review_comment: string
  seal_id?: ID | null
  certificate_id?: ID | null
  created_at: string
}

export interface ApplicationBody {
  seal_type: string
  seal_name: string
  seal_code: string
  unit_id: ID
  design: SealDesign
  licence_object_id: ID
  authorisation_object_id: ID
  reason: string
}

export interface Certificate {
  id: ID
  seal_id: ID
  seal_name: string
  serial: string
  subject: string
  algorithm: string
  key_ref: string
  status: string
  not_before: string
  not_after: string
  revoked_at?: string | null
  revocation_reason: string
  previous_id?: ID | null
  created_at: string
}

export interface Placement {
  seal_id: ID
  mode: 'position' | 'keyword' | 'straddle'
  page: number
  x: number
  y: number
  keyword: string
}

export interface Sealing {
  id: ID
  request_id: ID
  document_id: ID
  placements: Record<string, unknown>[]
  willingness_method: string
  willingness_at: string
  sha256: string
  verify_token: string
  created_at: string
}

export interface SignatureReport {
  index: number
  field_name?: string | null
  signer?: { common_name?: string | null; organisation?: string | null; serial: string; issuer?: string | null } | null
  signing_time?: string | null
  timestamp?: string | null
  intact: boolean
  valid: boolean
  trusted: boolean
  revocation: string
  revoked_at?: string | null
  covers_whole_file: boolean
  changes_after_signing: boolean
  ok: boolean
  problems: string[]
  seal_name: string
}

export interface VerifyReport {
  sha256: string
  readable: boolean
  error?: string | null
  signed: boolean
  ok: boolean
  trusted: boolean
  signatures: SignatureReport[]
  sealing_id?: ID | null
}

export async function previewSeal(design: SealDesign): Promise<Blob> {
  const r = await http.post<Blob>('/esign/preview', design, { responseType: 'blob', silent: true })
  return r.data
}
export const uploadMaterial = (file: File) => upload<{ id: ID; filename: string }>('/esign/materials', file)
export const listApplications = (q: ListQuery & { status?: string }) =>
  get<Page<EsealApplication>>('/esign/applications', q)
export const applyEseal = (body: ApplicationBody) => post<EsealApplication>('/esign/applications', body)
export const reviewApplication = (id: ID, approve: boolean, comment: string) =>
  post<EsealApplication>(`/esign/applications/${id}/review`, { approve, comment })
export const materialUrl = (id: ID, which: 'licence' | 'authorisation') =>
  `/api/v1/esign/applications/${id}/material?which=${which}`

export const listCertificates = (q: ListQuery & { status?: string }) =>
  get<Page<Certificate>>('/esign/certificates', q)
export const revokeCertificate = (id: ID, reason: string) =>
  post<Certificate>(`/esign/certificates/${id}/revoke`, { reason })
export const renewCertificate = (id: ID) => post<Certificate>(`/esign/certificates/${id}/renew`)
export const getCa = () => get<{ id: ID; name: string; crl_number: number; tsa_url: string } | null>('/esign/ca')
export const setTsa = (tsa_url: string) => put('/esign/ca/tsa', { tsa_url })

export const sealImageUrl = (sealId: ID) => `/api/v1/esign/seals/${sealId}/image`
export const sendWillingnessCode = () => post<{ resend_after: number }>('/esign/willingness/sms')
export const sealDocument = (
  requestId: ID,
  body: { document_id: ID; placements: Placement[]; willingness: { method: string; secret: string }; qr: boolean },
) => post<Sealing>(`/esign/requests/${requestId}/sealings`, body)
export const listSealings = (requestId: ID) => get<Sealing[]>(`/esign/requests/${requestId}/sealings`)
export const sealedFileUrl = (id: ID) => `/api/v1/esign/sealings/${id}/file`

export async function verifyFile(file: File): Promise<VerifyReport> {
  const form = new FormData()
  form.append('file', file)
  const r = await http.post<VerifyReport>('/esign/verify', form, { noAuthRedirect: true })
  return r.data
}
export const verifyToken = (token: string) =>
  get<VerifyReport>(`/esign/verify/${encodeURIComponent(token)}`, undefined, { noAuthRedirect: true })
