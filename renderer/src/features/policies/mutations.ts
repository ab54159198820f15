// Policy mutations: save (create or replace), delete and run now; each refreshes the policy list.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { ParamsFor } from '../../api/methods';
import { notify, notifyError } from '../../state/notices';
import { policyKeys } from './queries';

export function useSavePolicy() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: ParamsFor<'policies.save'>) => api().call('policies.save', p),
    onSuccess: (s) => {
      void qc.invalidateQueries({ queryKey: policyKeys.all });
      notify(
        'Policy saved',
        `${s.policy.name}: next run ${s.nextRun ? new Date(s.nextRun).toLocaleString() : 'not scheduled'}`,
      );
    },
  });
}

export function useDeletePolicy() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api().call('policies.delete', { id }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: policyKeys.all }),
    onError: (e) => notifyError('Could not delete the policy', e),
  });
}

export function useRunPolicyNow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api().call('policies.runNow', { id }),
    onSuccess: (run) => {
      void qc.invalidateQueries({ queryKey: policyKeys.all });
      notify(
        run.status === 'running' ? 'Policy run started' : `Policy run ${run.status}`,
        run.message,
        run.status === 'failed' || run.status === 'skipped-overlap' ? 'info' : 'ok',
      );
    },
    onError: (e) => notifyError('Could not run the policy', e),
  });
}
