// Long operations started as tasks (backup, restore, check, gc, retention), shared by handlers, CLI and scheduler.
import type {
  BackupRequest,
  BackupRunResult,
  ForgetResult,
  JobHistoryRecord,
  RestoreRequest,
} from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import type { TaskRecord } from '../../../shared/tasks';
import type { Repository } from '../repository/repository';
import { selectRetention } from '../repository/retention';
import type { Services } from '../services';
import type { TaskContext } from '../tasks/task-manager';
import { runBackup } from './backup';
import { historyRecordOf } from './job-history';
import { restorePoint } from './restore';
import { assertTargetTyped } from './restore-target';
import { assertInPlacePossible } from './restore-in-place';

/** Bytes a finished backup read and stored, for the history charts (nothing for other tasks). */
function backupFigures(t: TaskRecord): Partial<JobHistoryRecord> {
  const r = t.result as Partial<BackupRunResult> | undefined;
  const disks = (r?.vms ?? []).flatMap((v) => v.disks ?? []);
  if (disks.length === 0) return {};
  const read = disks.reduce((a, d) => a + d.bytesRead, 0);
  const stored = disks.reduce((a, d) => a + d.bytesStored, 0);
  return {
    bytesRead: read,
    bytesWritten: stored,
    logicalBytes: disks.reduce((a, d) => a + d.virtualSize, 0),
    changedBytes: disks.reduce((a, d) => a + d.changedBytes, 0),
    dedupeRatio: stored > 0 ? read / stored : null,
  };
}

/** Record a task in the job history when it ends; a failed write is reported, never an unhandled rejection. */
export function recordWhenDone(
  s: Services,
  rec: TaskRecord,
  vmIds: string[],
  extra: (t: TaskRecord) => Partial<JobHistoryRecord> = () => ({}),
): TaskRecord {
  s.tasks
    .wait(rec.id)
    .then((t) => s.history.append(historyRecordOf(t, { vmIds, ...backupFigures(t), ...extra(t) })))
    .catch((e: unknown) =>
      process.emitWarning(
        `Could not record task ${rec.id} in the job history: ${(e as Error).message}`,
      ),
    );
  return rec;
}

/**
 * Run a task body on the repository. If its chunk workers failed to start before and no other task is running,
 * they are started again first; if the work still ran without them, the task's log says so (SLOW PATH).
 */
export async function onRepo<T>(
  s: Services,
  repo: Repository,
  ctx: TaskContext,
  body: () => Promise<T>,
): Promise<T> {
  if (!s.tasks.activeIds().some((id) => id !== ctx.id)) await repo.retryWorkers();
  try {
    return await body();
  } finally {
    const w = await repo.slowPathWarning();
    if (w) ctx.warn(w);
  }
}

export async function startBackup(s: Services, req: BackupRequest): Promise<TaskRecord> {
  const repo = await s.repos.get();
  const inv = await s.provider.inventory();
  const names = req.vmIds.map(
    (id) =>
      inv.vms.find((v) => v.id === id || v.name.toLowerCase() === id.toLowerCase())?.name ?? id,
  );
  const title = `Back up ${names.length <= 3 ? names.join(', ') : `${names.length} VMs`}${req.full ? ' (full)' : ''}`;
  const rec = s.tasks.start('backup', title, (ctx) =>
    onRepo(s, repo, ctx, () =>
      runBackup(
        { provider: s.provider, repo, runningTaskIds: () => s.tasks.activeIds() },
        req,
        ctx,
      ),
    ),
  );
  return recordWhenDone(s, rec, req.vmIds);
}

export async function startRestore(s: Services, req: RestoreRequest): Promise<TaskRecord> {
  const repo = await s.repos.get();
  const point = await repo.getPoint(req.pointId);
  // In place: refuse at once (no task) what the restore would refuse before writing anything; the task checks again.
  if (req.inPlace) await assertInPlacePossible(repo, s.provider, point.id, req.confirmVmName);
  else if (req.targetDir !== undefined) await assertTargetTyped(req.targetDir);
  const title = `Restore ${point.vmName}${req.inPlace ? ' in place' : ''} from ${point.createdAt}`;
  const rec = s.tasks.start('restore', title, (ctx) =>
    onRepo(s, repo, ctx, () =>
      restorePoint(repo, req, { dataDir: s.dataDir, ctx, provider: s.provider }),
    ),
  );
  return recordWhenDone(s, rec, [point.vmId]);
}

export async function startCheck(s: Services, readData: boolean): Promise<TaskRecord> {
  const repo = await s.repos.get();
  const checkBody = async (ctx: TaskContext) => {
    const r = await repo.check({
      readData,
      signal: ctx.signal,
      onProgress: (done, total) =>
        ctx.progress({
          phase: 'check',
          fraction: total ? done / total : null,
          counters: { chunksChecked: done },
        }),
    });
    if (!r.ok) {
      throw Object.assign(
        new HvbcError(
          'REPO_CORRUPT',
          `Repository check found ${r.missingChunks.length} missing and ${r.corruptChunks.length} corrupt chunks affecting ${r.affectedPoints.length} restore points: ${r.affectedPoints.join(', ') || 'none'}. ${r.errors.slice(0, 3).join(' ')}`,
        ),
        { partialResult: r },
      );
    }
    return r;
  };
  const rec = s.tasks.start(
    'repo-check',
    readData ? 'Verify repository data (re-hash every chunk)' : 'Check repository structure',
    (ctx) => onRepo(s, repo, ctx, () => checkBody(ctx)),
  );
  return recordWhenDone(s, rec, []);
}

export async function startGc(s: Services): Promise<TaskRecord> {
  const repo = await s.repos.get();
  return recordWhenDone(
    s,
    s.tasks.start('repo-gc', 'Garbage collection', (ctx) => repo.gc({ signal: ctx.signal })),
    [],
  );
}

export interface ForgetOptions {
  keepLast?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  vmId?: string;
  dryRun: boolean;
}

/**
 * Apply retention per VM over the points that read: one that cannot be read is not counted (it could not be restored,
 * so it never takes a good point's place) and is named in a warning.
 */
export async function startForget(s: Services, o: ForgetOptions): Promise<TaskRecord> {
  const repo = await s.repos.get();
  if (!o.keepLast && !o.daily && !o.weekly && !o.monthly && !o.yearly) {
    throw new HvbcError(
      'VALIDATION',
      'Give a retention policy: keep-last N, and/or how many daily, weekly, monthly or yearly points to keep (each 1 or more); nothing was removed.',
    );
  }
  const rec = s.tasks.start(
    'repo-forget',
    o.dryRun ? 'Retention (dry run)' : 'Apply retention',
    async (ctx) => {
      const points = await repo.listPoints({
        ...(o.vmId ? { vmId: o.vmId } : {}),
        onUnreadable: (id, why) =>
          ctx.warn(
            `Restore point ${id} cannot be read, so retention did not count it (nor remove it): ${why}`,
          ),
      });
      const byVm = new Map<string, typeof points>();
      for (const p of points) byVm.set(p.vmId, [...(byVm.get(p.vmId) ?? []), p]);
      const removed: string[] = [];
      const kept: string[] = [];
      for (const list of byVm.values()) {
        const sel = selectRetention(
          list.map((p) => ({ id: p.id, time: p.time })),
          o,
        );
        kept.push(...sel.keep);
        if (!o.dryRun) for (const id of sel.remove) await repo.deletePoint(id);
        removed.push(...sel.remove);
      }
      const result: ForgetResult = { dryRun: o.dryRun, removed, kept };
      return result;
    },
  );
  return recordWhenDone(s, rec, o.vmId ? [o.vmId] : []);
}
