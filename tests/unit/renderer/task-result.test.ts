// The task result view shows a task's warnings whatever its kind (restore, check, drill…), not only for backups.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RestoreResult } from '../../../shared/backup';
import { emptyProgress, type TaskRecord } from '../../../shared/tasks';
import { TaskResult } from '../../../renderer/src/components/results/TaskResult';

const restored: RestoreResult = {
  pointId: 'p1',
  vmId: 'vm-1',
  newVmId: 'vm-2',
  vmName: 'SQL01',
  targetDir: '/restores/SQL01',
  configPath: '/restores/SQL01/Virtual Machines/vm-2.json',
  disks: [],
  durationSeconds: 1.5,
};

function task(kind: string, result: unknown, warnings: string[]): TaskRecord {
  return {
    id: 't1',
    kind,
    title: kind,
    state: 'succeeded',
    createdAt: '2026-12-04T00:00:00.000Z',
    startedAt: '2026-12-04T00:00:00.000Z',
    endedAt: '2026-12-04T00:00:02.000Z',
    progress: emptyProgress(),
    error: null,
    result,
    warnings,
  };
}

const html = (t: TaskRecord) => renderToStaticMarkup(createElement(TaskResult, { task: t }));

describe('TaskResult', () => {
  it('lists the warnings of a restore and of a plain task', () => {
    const w = 'SLOW PATH: the chunk worker threads could not start (EAGAIN)';
    for (const t of [task('restore', restored, [w]), task('repo-gc', undefined, [w])]) {
      const out = html(t);
      expect(out).toContain('data-testid="task-warnings"');
      expect(out).toContain(w);
    }
    expect(html(task('restore', restored, []))).not.toContain('task-warnings');
  });
});
