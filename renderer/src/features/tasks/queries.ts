// Task queries: the list of tasks and one task by id, both patched live by 'task.updated' events.
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';

export const taskKeys = {
  all: ['tasks'] as const,
  list: () => [...taskKeys.all, 'list'] as const,
  detail: (id: string) => [...taskKeys.all, 'detail', id] as const,
};

export const tasksQuery = () =>
  queryOptions({ queryKey: taskKeys.list(), queryFn: () => api().call('tasks.list', {}) });

export const taskQuery = (id: string) =>
  queryOptions({
    queryKey: taskKeys.detail(id),
    queryFn: () => api().call('tasks.get', { id }),
    staleTime: Infinity,
  });

export function useTasks() {
  return useQuery(tasksQuery());
}

/** One task, live: the first read resyncs with tasks.get (e.g. after a reload), then events keep it current. */
export function useTask(id: string | null) {
  return useQuery({ ...taskQuery(id ?? ''), enabled: id !== null });
}
