// Backs up VMs through the provider into the repository: checkpoint → frozen chain → chunks → manifest → reference point.
import { HvbcError, toErrorData } from '../../../shared/errors';
import type {
  BackupRequest,
  BackupRunResult,
  DiskBackupOutcome,
  VmBackupOutcome,
} from '../../../shared/backup';
import type { Vm } from '../../../shared/model';
import type { TaskProgress } from '../../../shared/tasks';
import { backupCreatedBy, isOwnedByJob } from '../planner/rules/checkpoints';
import type { EstateProvider } from '../providers/types';
import { chunkRangesFor } from '../repository/chunking';
import type { PointSummary, Repository } from '../repository/repository';
import type { TaskContext } from '../tasks/task-manager';
import { openChain } from '../vhdx';
import { bytesIn, copyChunks, dataChunks } from './read-disk';
import { repoSpaceWarning } from './repo-space';

type Item = TaskProgress['items'][number];

/** What the previous point of a VM tells an incremental: its reference point and the disks it holds. */
interface BaseInfo {
  pointId: string;
  referencePointId: string | null;
  diskKeys: Set<string>;
}

async function baseFor(repo: Repository, vmId: string): Promise<BaseInfo | null> {
  const points = (await repo.listPoints({ vmId })).sort((a, b) => a.time.localeCompare(b.time));
  const last = points[points.length - 1];
  if (!last) return null;
  const manifest = await repo.getPoint(last.id);
  const rp = manifest.meta.referencePointId;
  return {
    pointId: last.id,
    referencePointId: typeof rp === 'string' ? rp : null,
    diskKeys: new Set(Object.keys(manifest.disks)),
  };
}

function fileName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

export interface BackupDeps {
  provider: EstateProvider;
  repo: Repository;
  /** Ids of the tasks running in this process (their checkpoints are not left over). */
  runningTaskIds?: () => string[];
}

/** Run a backup of several VMs, one after another; a failed VM does not stop the others. */
export async function runBackup(
  deps: BackupDeps,
  req: BackupRequest,
  ctx: TaskContext,
): Promise<BackupRunResult> {
  const inv = await deps.provider.inventory();
  const named = req.vmIds.map((id) => {
    const vm = inv.vms.find((v) => v.id === id || v.name.toLowerCase() === id.toLowerCase());
    if (!vm)
      throw new HvbcError(
        'NOT_FOUND',
        `No VM "${id}" in ${inv.cluster.name}. Check the name with "hvbc inventory".`,
      );
    return vm;
  });
  // A VM named twice (by name and id, or in another case) is backed up once.
  const vms = named.filter((vm, i) => named.findIndex((v) => v.id === vm.id) === i);
  const items: Item[] = vms.flatMap((vm) =>
    vm.disks
      .filter((d) => d.attachment === 'virtual')
      .map((d) => ({
        key: `${vm.id}/${d.id}`,
        label: `${vm.name} · ${fileName(d.chain[0]?.path ?? d.path)}`,
        phase: 'waiting',
        fraction: 0,
        bytesDone: 0,
        bytesTotal: d.virtualSize,
        state: 'queued' as const,
      })),
  );
  const started = Date.now();
  const counters = { bytesRead: 0, bytesWritten: 0, vmsDone: 0, vmsFailed: 0 };
  const push = (message: string, phase: string) => {
    const total = items.reduce((s, i) => s + i.bytesTotal, 0);
    const done = items.reduce((s, i) => s + i.bytesDone, 0);
    const secs = (Date.now() - started) / 1000;
    const throughput = secs > 0.5 ? counters.bytesRead / secs : null;
    ctx.progress({
      phase,
      message,
      fraction: total > 0 ? Math.min(1, done / total) : null,
      items: items.map((i) => ({ ...i })),
      counters: { ...counters },
      throughput,
      etaSeconds: throughput ? Math.max(0, (total - done) / Math.max(throughput, 1)) : null,
    });
  };

  const outcomes: VmBackupOutcome[] = [];
  for (const vm of vms) {
    if (ctx.signal.aborted) {
      outcomes.push(skipped(vm, req, 'canceled'));
      continue;
    }
    const o = await backupOneVm(deps, vm, req, ctx, items, counters, push);
    outcomes.push(o);
    if (o.status === 'succeeded') counters.vmsDone++;
    else counters.vmsFailed++;
    for (const f of o.cleanupFailures) ctx.warn(f);
    push(`${vm.name}: ${o.status}`, 'running');
  }
  // Not beside a run that already failed for want of space: its error says it.
  const low = repoSpaceWarning(await deps.repo.space(), counters.bytesWritten);
  if (low && !outcomes.some((o) => o.error?.code === 'OUT_OF_SPACE')) ctx.warn(low);
  const ok = outcomes.filter((o) => o.status === 'succeeded').length;
  const status: BackupRunResult['status'] =
    ctx.signal.aborted && ok < outcomes.length
      ? 'canceled'
      : ok === outcomes.length
        ? 'succeeded'
        : ok === 0
          ? 'failed'
          : 'partial';
  const result: BackupRunResult = { status, vms: outcomes, overrides: req.overrides };
  if (status !== 'succeeded') {
    const failed = outcomes.filter((o) => o.status !== 'succeeded');
    const code =
      status === 'canceled' ? 'CANCELED' : ((failed[0]?.error?.code as never) ?? 'INTERNAL');
    throw Object.assign(
      new HvbcError(
        code,
        `${failed.length} of ${outcomes.length} VM backups did not succeed: ${failed.map((f) => `${f.vmName} (${f.error?.message ?? f.status})`).join('; ')}`,
      ),
      { partialResult: result },
    );
  }
  return result;
}

function skipped(vm: Vm, req: BackupRequest, status: 'canceled' | 'failed'): VmBackupOutcome {
  const now = new Date().toISOString();
  return {
    vmId: vm.id,
    vmName: vm.name,
    status,
    consistencyRequested: req.consistency,
    disks: [],
    cleanupFailures: [],
    startedAt: now,
    endedAt: now,
    durationSeconds: 0,
    error: { code: 'CANCELED', message: 'Not started: the run was canceled.' },
  };
}

/** Say so when a backup that did not finish (a killed process) left a recovery checkpoint on the VM. */
function warnLeftovers(vm: Vm, running: string[], ctx: TaskContext): void {
  const left = vm.checkpoints.filter((c) => c.type === 'recovery' && !isOwnedByJob(c, [], running));
  if (left.length === 0) return;
  ctx.warn(
    `${vm.name} still has ${left.length === 1 ? 'a recovery checkpoint' : `${left.length} recovery checkpoints`} from a backup that did not finish (${left.map((c) => `"${c.name}"`).join(', ')}): each one deepens the disk chain. Remove ${left.length === 1 ? 'it' : 'them'} with "hvbc doctor" (Remove-VMSnapshot, which merges online) when no backup of ${vm.name} runs.`,
  );
}

async function backupOneVm(
  deps: BackupDeps,
  vm: Vm,
  req: BackupRequest,
  ctx: TaskContext,
  items: Item[],
  counters: { bytesRead: number; bytesWritten: number },
  push: (m: string, phase: string) => void,
): Promise<VmBackupOutcome> {
  const { provider, repo } = deps;
  const t0 = Date.now();
  const outcome: VmBackupOutcome = {
    vmId: vm.id,
    vmName: vm.name,
    status: 'failed',
    consistencyRequested: req.consistency,
    disks: [],
    cleanupFailures: [],
    startedAt: new Date(t0).toISOString(),
    endedAt: '',
    durationSeconds: 0,
  };
  const itemOf = (diskId: string) => items.find((i) => i.key === `${vm.id}/${diskId}`);
  const setPhase = (phase: string, state: Item['state'] = 'running') => {
    for (const i of items) if (i.key.startsWith(`${vm.id}/`)) Object.assign(i, { phase, state });
    push(`${vm.name}: ${phase}`, phase);
  };
  let checkpointId: string | null = null;
  let referencePointId: string | null = null;
  let writer: Awaited<ReturnType<Repository['beginPoint']>> | null = null;
  try {
    const base = req.full ? null : await baseFor(repo, vm.id);
    warnLeftovers(vm, deps.runningTaskIds?.() ?? [ctx.id], ctx);
    setPhase('checkpoint');
    const cp = await provider.createCheckpoint(vm.id, {
      type: 'recovery',
      consistency: req.consistency,
      requireConsistency: req.requireConsistency,
      name: `Backup ${new Date().toISOString()}`,
      createdBy: backupCreatedBy(ctx.id),
      taskId: ctx.id,
      signal: ctx.signal,
    });
    checkpointId = cp.checkpoint.id;
    outcome.checkpointId = checkpointId;
    outcome.consistencyReached = cp.consistencyReached;
    if (cp.fallbackReason) {
      outcome.fallbackReason = cp.fallbackReason;
      ctx.warn(
        `${vm.name}: ${req.consistency}-consistent was asked, ${cp.consistencyReached}-consistent is what this backup holds: ${cp.fallbackReason.replace(/\.$/, '')} (--require-consistency fails instead).`,
      );
    }
    const disks = await provider.frozenDisks(vm.id, checkpointId);
    const inv = await provider.inventory();
    const hostOs =
      inv.cluster.nodes.find((n) => n.name === vm.hostNode)?.osVersion ?? inv.cluster.osVersion;
    const rctHost = !['2008R2', '2012', '2012R2'].includes(hostOs);
    // Decide full or incremental per disk first, so the point's kind is known before it is written.
    const plans = [];
    for (const d of disks) {
      let changed: Array<{ offset: number; length: number }> | null = null;
      let fullReason: string | undefined;
      let baseIssue: string | null = null;
      if (req.full) fullReason = 'A full backup was requested.';
      else if (!base) fullReason = 'First backup of this VM in this repository.';
      else if (!base.diskKeys.has(d.diskId)) fullReason = 'This disk is new since the last backup.';
      else if ((baseIssue = await repo.baseProblem(base.pointId, d.diskId)))
        fullReason = `The last restore point ${base.pointId} ${baseIssue}: this backup reads the whole disk, so the new point does not inherit the damage.`;
      else if (!rctHost)
        fullReason = `${vm.hostNode} runs Windows Server ${hostOs}, which has no native change tracking (RCT arrived in 2016): every backup reads the whole disk.`;
      else if (!base.referencePointId)
        fullReason = 'The last backup left no reference point to compare against.';
      else {
        const ch = await provider.changedRanges(vm.id, d.diskId, base.referencePointId);
        if (ch.kind === 'ranges') changed = ch.ranges;
        else fullReason = ch.reason;
      }
      plans.push({
        d,
        changed,
        fullReason,
        mode: changed ? ('incremental' as const) : ('full' as const),
      });
    }
    const anyIncremental = plans.some((p) => p.mode === 'incremental');
    writer = await repo.beginPoint({
      vmId: vm.id,
      vmName: vm.name,
      kind: anyIncremental ? 'incremental' : 'full',
      tags: vm.tags,
      trigger: req.trigger,
    });
    for (const { d, changed, fullReason, mode } of plans) {
      ctx.throwIfCanceled();
      const item = itemOf(d.diskId);
      const invDisk = vm.disks.find((x) => x.id === d.diskId);
      const file = fileName(invDisk?.chain[0]?.path ?? d.chainPath);
      if (item) Object.assign(item, { phase: 'read', state: 'running' });
      const chain = await openChain(d.chainPath);
      try {
        const dw = await writer.beginDisk(d.diskId, {
          virtualSize: chain.virtualSize,
          ...(mode === 'incremental' && base ? { basePointId: base.pointId } : {}),
          meta: { file, chainPath: d.chainPath },
        });
        const cs = repo.chunkSize;
        const indices = changed
          ? chunkRangesFor(changed, cs, chain.virtualSize)
          : dataChunks(await chain.extents(), cs, chain.virtualSize);
        if (item)
          item.bytesTotal = indices.reduce(
            (s, i) => s + Math.min(cs, chain.virtualSize - i * cs),
            0,
          );
        let last = 0;
        await copyChunks(chain, dw, cs, indices, {
          markRestZero: mode === 'full',
          signal: ctx.signal,
          ...(d.readBytesPerSecond ? { readBytesPerSecond: d.readBytesPerSecond } : {}),
          onProgress: (done, total) => {
            counters.bytesRead += done - last;
            last = done;
            if (item)
              Object.assign(item, {
                bytesDone: done,
                fraction: total ? done / total : 1,
                phase: 'write',
              });
            push(`${vm.name}: reading ${file}`, 'read');
          },
        });
        const fin = await dw.finish();
        counters.bytesWritten += fin.bytesStored;
        const o: DiskBackupOutcome = {
          diskId: d.diskId,
          file,
          virtualSize: chain.virtualSize,
          mode,
          bytesRead: fin.bytesRead,
          bytesStored: fin.bytesStored,
          chunksNew: fin.chunksNew,
          chunksReused: fin.chunksReused,
          changedBytes: changed ? bytesIn(changed) : fin.bytesRead,
          ...(fullReason ? { fullReason } : {}),
          digest: fin.digest,
        };
        outcome.disks.push(o);
        if (item)
          Object.assign(item, {
            phase: 'done',
            state: 'succeeded',
            fraction: 1,
            bytesDone: item.bytesTotal,
            message: mode === 'incremental' ? 'incremental' : `full: ${fullReason ?? ''}`,
          });
      } finally {
        await chain.close();
      }
    }
    ctx.throwIfCanceled();
    setPhase('reference point');
    const frozenId: string = checkpointId;
    let rp: Awaited<ReturnType<EstateProvider['convertToReferencePoint']>> | null = null;
    try {
      rp = await provider.convertToReferencePoint(vm.id, frozenId);
      referencePointId = rp.id;
      outcome.referencePointId = rp.id;
    } catch (e) {
      // Hosts before 2016 have no reference points: remove the checkpoint; the next backup is full.
      if (toErrorData(e).code !== 'UNSUPPORTED') throw e;
      await provider.removeCheckpoint(vm.id, frozenId, { taskId: ctx.id });
    }
    checkpointId = null; // converted or removed: nothing of ours to clean up any more
    const after = (await provider.inventory()).vms.find((v) => v.id === vm.id);
    if (after?.checkpoints.some((c) => c.id === frozenId)) {
      outcome.cleanupFailures.push(
        `CHECKPOINT LEFT BEHIND: the recovery checkpoint ${frozenId} of ${vm.name} did not merge after the backup (see the Hyper-V events); the next backup may fail. Run "hvbc doctor" to repair it.`,
      );
    }
    const events = (await provider.events({ taskId: ctx.id })).slice(-50);
    const summary: PointSummary = await writer.commit({
      vmConfig: vm,
      checkpointId: outcome.checkpointId,
      referencePointId: rp?.id ?? null,
      rctIds: rp?.rctIds ?? {},
      consistencyRequested: req.consistency,
      consistencyReached: cp.consistencyReached,
      fallbackReason: cp.fallbackReason ?? null,
      overrides: req.overrides.filter((o) => o.vmId === undefined || o.vmId === vm.id),
      events,
      taskId: ctx.id,
      disks: outcome.disks,
    });
    writer = null;
    outcome.pointId = summary.id;
    // Keep only the newest reference point of this VM: older ones are no longer a base.
    for (const old of await provider.listReferencePoints(vm.id)) {
      if (old.id !== rp?.id)
        await provider
          .removeReferencePoint(vm.id, old.id)
          .catch((e: unknown) =>
            outcome.cleanupFailures.push(
              `Could not remove the old reference point ${old.id} of ${vm.name}: ${toErrorData(e).message}`,
            ),
          );
    }
    outcome.status = 'succeeded';
    setPhase('done', 'succeeded');
  } catch (e) {
    const err = toErrorData(e);
    outcome.status = err.code === 'CANCELED' || ctx.signal.aborted ? 'canceled' : 'failed';
    outcome.error = { code: ctx.signal.aborted ? 'CANCELED' : err.code, message: err.message };
    setPhase(outcome.status, outcome.status === 'canceled' ? 'canceled' : 'failed');
  } finally {
    if (writer) await writer.abort().catch(() => undefined);
    if (checkpointId) {
      try {
        await provider.removeCheckpoint(vm.id, checkpointId, { taskId: ctx.id });
      } catch (e) {
        outcome.cleanupFailures.push(
          `CHECKPOINT LEFT BEHIND: could not remove recovery checkpoint ${checkpointId} of ${vm.name}: ${toErrorData(e).message}. Remove it in Hyper-V Manager or with "hvbc doctor --repair".`,
        );
      }
    }
    if (referencePointId && outcome.status !== 'succeeded') {
      await provider
        .removeReferencePoint(vm.id, referencePointId)
        .catch((e: unknown) =>
          outcome.cleanupFailures.push(
            `Could not remove reference point ${referencePointId} of ${vm.name}: ${toErrorData(e).message}`,
          ),
        );
    }
    outcome.endedAt = new Date().toISOString();
    outcome.durationSeconds = (Date.now() - t0) / 1000;
  }
  return outcome;
}
