// Repository mutations: init, open, and the maintenance tasks (check, verify, gc, retention).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { ParamsFor } from '../../api/methods';
import { seedTask } from '../../api/live';
import { notifyError } from '../../state/notices';
import { repoKeys } from './queries';

export function useRepoInit() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: ParamsFor<'repo.init'>) => api().call('repo.init', p),
    onSuccess: (info) => {
      qc.setQueryData(repoKeys.info(), info);
      void qc.invalidateQueries({ queryKey: repoKeys.all });
    },
  });
}

export function useRepoOpen() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: ParamsFor<'repo.open'>) => api().call('repo.open', p),
    onSuccess: (info) => {
      qc.setQueryData(repoKeys.info(), info);
      void qc.invalidateQueries({ queryKey: repoKeys.all });
    },
  });
}

export function useRepoCheck() {
  const qc = useQueryClient();
  return useMutation({
    onSuccess: (t) => seedTask(qc, t),
    mutationFn: (readData: boolean) => api().call('repo.check', { readData }),
    onError: (e) => notifyError('Could not start the repository check', e),
  });
}

export function useRepoGc() {
  const qc = useQueryClient();
  return useMutation({
    onSuccess: (t) => seedTask(qc, t),
    mutationFn: () => api().call('repo.gc', {}),
    onError: (e) => notifyError('Could not start garbage collection', e),
  });
}

export function useRepoForget() {
  const qc = useQueryClient();
  return useMutation({
    onSuccess: (t) => seedTask(qc, t),
    mutationFn: (p: ParamsFor<'repo.forget'>) => api().call('repo.forget', p),
    onError: (e) => notifyError('Could not start retention', e),
  });
}

/** Move a point whose manifest is damaged aside; the figures are read again. */
export function useQuarantinePoint() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (pointId: string) => api().call('repo.quarantinePoint', { pointId }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: repoKeys.all }),
    onError: (e) => notifyError('Could not move the restore point aside', e),
  });
}
