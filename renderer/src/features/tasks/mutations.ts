// Task mutations: cancel a running task (it moves to canceling, then canceled).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { seedTask } from '../../api/live';
import { notifyError } from '../../state/notices';

export function useCancelTask() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api().call('tasks.cancel', { id }),
    onSuccess: (t) => seedTask(qc, t),
    onError: (e) => notifyError('Could not cancel the task', e),
  });
}
