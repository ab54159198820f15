// react-query hooks over the API client; pushed events invalidate or update the cache.
import { QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { TaskRecord } from '../../../shared/tasks';
import { api } from './client';

export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 } },
});

export const keys = {
  inventory: ['estate', 'inventory'] as const,
  events: ['estate', 'events'] as const,
  tasks: ['tasks'] as const,
};

export function useInventory() {
  return useQuery({ queryKey: keys.inventory, queryFn: () => api().call('estate.inventory', {}) });
}

export function useTasks() {
  return useQuery({ queryKey: keys.tasks, queryFn: () => api().call('tasks.list', {}) });
}

export function useEstateEvents(vmId?: string) {
  return useQuery({
    queryKey: [...keys.events, vmId ?? 'all'],
    queryFn: () => api().call('estate.events', vmId ? { vmId, limit: 500 } : { limit: 500 }),
  });
}

/** Subscribe once at the app root: estate changes invalidate the inventory, task updates patch the task list. */
export function useLiveUpdates(): void {
  const qc = useQueryClient();
  useEffect(() => {
    const offs = [
      api().on('estate.changed', () => void qc.invalidateQueries({ queryKey: ['estate'] })),
      api().on('task.updated', (t: TaskRecord) => {
        qc.setQueryData<TaskRecord[]>(keys.tasks, (old) => {
          const list = old ?? [];
          const i = list.findIndex((x) => x.id === t.id);
          return i < 0 ? [t, ...list] : list.map((x) => (x.id === t.id ? t : x));
        });
      }),
      api().onReconnect(() => void qc.invalidateQueries()),
    ];
    return () => offs.forEach((off) => off());
  }, [qc]);
}
