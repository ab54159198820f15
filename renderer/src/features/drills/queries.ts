// Drill queries: drill records and the recovery-time trend, per VM or for the whole estate.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';

export const drillKeys = {
  all: ['drills'] as const,
  list: (vmId: string | null) => [...drillKeys.all, 'list', vmId ?? 'all'] as const,
  trend: (vmId: string | null) => [...drillKeys.all, 'trend', vmId ?? 'all'] as const,
};

export const drillsQuery = (vmId: string | null) =>
  queryOptions({
    queryKey: drillKeys.list(vmId),
    queryFn: () => api().call('drills.list', vmId ? { vmId } : {}),
  });

export const drillTrendQuery = (vmId: string | null) =>
  queryOptions({
    queryKey: drillKeys.trend(vmId),
    queryFn: () => api().call('drills.trend', vmId ? { vmId } : {}),
  });

export function useDrills(vmId: string | null) {
  return useQuery(drillsQuery(vmId));
}

export function useDrillTrend(vmId: string | null) {
  return useQuery(drillTrendQuery(vmId));
}
