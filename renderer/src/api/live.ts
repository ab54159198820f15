// Pushed events → cache: estate changes invalidate the estate, task updates patch the task caches live.
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { TERMINAL_TASK_STATES, type TaskRecord } from '../../../shared/tasks';
import { estateKeys } from '../features/estate/queries';
import { taskKeys } from '../features/tasks/queries';
import { api } from './client';

/** What a finished task of each kind makes stale. */
const STALE_AFTER: Record<string, ReadonlyArray<readonly string[]>> = {
  backup: [['repo'], ['jobs'], ['estate'], ['planner'], ['policies']],
  restore: [['jobs'], ['repo']],
  drill: [['drills'], ['jobs'], ['repo']],
  'repo-check': [['repo'], ['jobs']],
  'repo-gc': [['repo'], ['jobs']],
  'repo-forget': [['repo'], ['jobs']],
};

export function applyTaskUpdate(qc: QueryClient, t: TaskRecord): void {
  const before =
    qc.getQueryData<TaskRecord>(taskKeys.detail(t.id)) ??
    qc.getQueryData<TaskRecord[]>(taskKeys.list())?.find((x) => x.id === t.id);
  qc.setQueryData<TaskRecord[]>(taskKeys.list(), (old) => {
    if (!old) return old;
    const i = old.findIndex((x) => x.id === t.id);
    return i < 0 ? [t, ...old] : old.map((x) => (x.id === t.id ? t : x));
  });
  qc.setQueryData<TaskRecord>(taskKeys.detail(t.id), t);
  const nowDone = TERMINAL_TASK_STATES.includes(t.state);
  const wasDone = before ? TERMINAL_TASK_STATES.includes(before.state) : false;
  if (nowDone && !wasDone) {
    for (const key of STALE_AFTER[t.kind] ?? [['jobs']])
      void qc.invalidateQueries({ queryKey: key });
  }
}

const RANK: Record<TaskRecord['state'], number> = {
  queued: 0,
  running: 1,
  canceling: 2,
  canceled: 3,
  succeeded: 3,
  failed: 3,
};

/** Seed the cache with a record a call returned, unless pushed events already brought a newer one. */
export function seedTask(qc: QueryClient, t: TaskRecord): void {
  const cached = qc.getQueryData<TaskRecord>(taskKeys.detail(t.id));
  if (cached && RANK[cached.state] >= RANK[t.state]) return;
  applyTaskUpdate(qc, t);
}

/** Estate changes come in bursts (a backup changes checkpoints VM after VM): refetch at most this often. */
const ESTATE_COALESCE_MS = 250;

/** Subscribe once at the app root. */
export function useLiveUpdates(): void {
  const qc = useQueryClient();
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const estateChanged = () => {
      pending ??= setTimeout(() => {
        pending = null;
        void qc.invalidateQueries({ queryKey: estateKeys.all });
      }, ESTATE_COALESCE_MS);
    };
    const offs = [
      api().on('estate.changed', estateChanged),
      api().on('task.updated', (t) => applyTaskUpdate(qc, t)),
      api().onReconnect(() => void qc.invalidateQueries()),
    ];
    return () => {
      offs.forEach((off) => off());
      if (pending) clearTimeout(pending);
    };
  }, [qc]);
}
