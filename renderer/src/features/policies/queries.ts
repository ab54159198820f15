// Policy queries: backup policies with next and last runs, and the runs of one policy.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';

export const policyKeys = {
  all: ['policies'] as const,
  list: () => [...policyKeys.all, 'list'] as const,
  runs: (policyId: string | null) => [...policyKeys.all, 'runs', policyId ?? 'all'] as const,
};

export const policiesQuery = () =>
  queryOptions({ queryKey: policyKeys.list(), queryFn: () => api().call('policies.list', {}) });

export const policyRunsQuery = (policyId: string | null) =>
  queryOptions({
    queryKey: policyKeys.runs(policyId),
    queryFn: () => api().call('policies.runs', policyId ? { policyId, limit: 50 } : { limit: 50 }),
  });

export function usePolicies() {
  return useQuery(policiesQuery());
}

export function usePolicyRuns(policyId: string | null, enabled = true) {
  return useQuery({ ...policyRunsQuery(policyId), enabled });
}
