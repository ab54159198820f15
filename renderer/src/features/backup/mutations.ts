// Backup and restore mutations: each starts a task and returns its record at once.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { seedTask } from '../../api/live';
import type { ParamsFor } from '../../api/methods';

export function useStartBackup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: ParamsFor<'backup.start'>) => api().call('backup.start', p),
    onSuccess: (t) => seedTask(qc, t),
  });
}

export function useStartRestore() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: ParamsFor<'restore.start'>) => api().call('restore.start', p),
    onSuccess: (t) => seedTask(qc, t),
  });
}
