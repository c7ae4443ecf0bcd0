import { get } from './http'

export interface Overview {
  pending_approvals: number
  requests_this_week: number
  seals_by_status: { status: string; count: number }[]
  trend: { date: string; count: number }[]
}

export const getOverview = () => get<Overview>('/dashboard/overview')
