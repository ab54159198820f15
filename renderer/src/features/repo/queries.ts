// Repository queries: where it is and what it holds (repo.info), and restore points per VM (repo.points).
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';

export const repoKeys = {
  all: ['repo'] as const,
  info: () => [...repoKeys.all, 'info'] as const,
  points: (vmId: string | null) => [...repoKeys.all, 'points', vmId ?? 'all'] as const,
};

export const repoInfoQuery = () =>
  queryOptions({ queryKey: repoKeys.info(), queryFn: () => api().call('repo.info', {}) });

export const pointsQuery = (vmId: string | null) =>
  queryOptions({
    queryKey: repoKeys.points(vmId),
    queryFn: () => api().call('repo.points', vmId ? { vmId } : {}),
  });

export function useRepoInfo() {
  return useQuery(repoInfoQuery());
}

/** Restore points (newest last); only asked once the repository exists. */
export function usePoints(vmId: string | null, enabled = true) {
  return useQuery({ ...pointsQuery(vmId), enabled });
}
