// Job history query: finished jobs with their figures, oldest first (for charts and audits).
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';

export const jobKeys = {
  all: ['jobs'] as const,
  history: (limit: number) => [...jobKeys.all, 'history', limit] as const,
};

export const historyQuery = (limit = 500) =>
  queryOptions({
    queryKey: jobKeys.history(limit),
    queryFn: () => api().call('jobs.history', { limit }),
  });

export function useJobHistory(limit = 500) {
  return useQuery(historyQuery(limit));
}
