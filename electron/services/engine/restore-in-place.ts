// In-place restore (embedded lab only): every disk of a point is restored beside the VM's current disk and verified by
// hash; only when all are staged does the lab swap them in (old files kept in .hvbc-replaced, checkpoints removed).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RestoreRequest, RestoreResult, RestoredDisk } from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import { LabProvider } from '../providers/lab/provider';
import {
  planError,
  type InPlaceDiskRequest,
  type InPlacePlan,
} from '../providers/lab/restore-in-place';
import type { EstateProvider } from '../providers/types';
import type { PointManifest, Repository } from '../repository/repository';
import type { TaskContext } from '../tasks/task-manager';
import { restoreDiskTo } from './restore';

/** The lab provider, or UNSUPPORTED: real hosts have no in-place restore yet. */
export function labFor(provider: EstateProvider | undefined): LabProvider {
  if (provider instanceof LabProvider) return provider;
  throw new HvbcError(
    'UNSUPPORTED',
    'In-place restore is only available on the embedded lab for now. Restore as a new VM instead (the default), check it, then swap the disks in Hyper-V yourself.',
    { provider: provider?.kind ?? null },
  );
}

/** The typed confirmation must be the point's VM name, exactly. */
export function checkConfirmation(vmName: string, typed: string | undefined): void {
  if (typed === undefined || typed === '') {
    throw new HvbcError(
      'VALIDATION',
      `Type the VM name '${vmName}' to confirm the in-place restore: it replaces the VM's disks and removes its checkpoints. Nothing was changed.`,
      { vmName },
    );
  }
  if (typed !== vmName) {
    throw new HvbcError(
      'VALIDATION',
      `"${typed}" is not the VM name: type '${vmName}' exactly (same case) to confirm the in-place restore. Nothing was changed.`,
      { vmName, typed },
    );
  }
}

function checkpointOf(point: PointManifest): string | undefined {
  const cp = point.meta.checkpointId;
  return typeof cp === 'string' ? cp : undefined;
}

function diskRequests(point: PointManifest): InPlaceDiskRequest[] {
  const cp = checkpointOf(point);
  return Object.entries(point.disks).map(([key, d]) => ({
    diskRef: key,
    virtualSize: d.virtualSize,
    ...(cp === undefined ? {} : { fromCheckpointId: cp }),
  }));
}

export interface InPlacePreview {
  point: { id: string; vmId: string; vmName: string; createdAt: string; kind: string };
  plan: InPlacePlan;
}

/** What an in-place restore of a point would replace and remove, and what stands in its way. Changes nothing. */
export async function previewInPlace(
  repo: Repository,
  provider: EstateProvider | undefined,
  pointId: string,
): Promise<InPlacePreview> {
  const lab = labFor(provider);
  const point = await repo.getPoint(pointId);
  const plan = await lab.planInPlaceRestore(point.vmId, diskRequests(point));
  if (plan.vmId.toLowerCase() !== point.vmId.toLowerCase()) {
    throw new HvbcError(
      'NOT_FOUND',
      `The VM ${point.vmName} (${point.vmId}) no longer exists in the lab, so there is nothing to restore in place. Restore it as a new VM instead.`,
      { vmId: point.vmId },
    );
  }
  return {
    point: {
      id: point.id,
      vmId: point.vmId,
      vmName: point.vmName,
      createdAt: point.createdAt,
      kind: point.kind,
    },
    plan,
  };
}

/**
 * Everything an in-place restore checks before it writes anything: the lab, the typed VM name, the VM (still there,
 * off), its disks (same ones, same sizes) and the lab's record of the point's checkpoint. Throws the first refusal.
 */
export async function assertInPlacePossible(
  repo: Repository,
  provider: EstateProvider | undefined,
  pointId: string,
  confirmVmName: string | undefined,
): Promise<InPlacePreview> {
  labFor(provider);
  const point = await repo.getPoint(pointId);
  checkConfirmation(point.vmName, confirmVmName);
  const preview = await previewInPlace(repo, provider, pointId);
  const refused = planError(preview.plan);
  if (refused) throw refused;
  return preview;
}

/**
 * Restore a point over its VM's disks: lab only, confirmed by the VM name, VM off, same disks and sizes. Each disk is
 * written to `<base>.hvbc-restore-<stamp>.vhdx` beside the base file and verified by SHA-256; on any failure or
 * cancel the staged files are deleted and the VM is untouched. Then the lab swaps them in (its own crash-safe step).
 */
export async function restoreInPlace(
  repo: Repository,
  req: RestoreRequest,
  opts: { ctx: TaskContext; provider?: EstateProvider },
): Promise<RestoreResult> {
  const { ctx } = opts;
  const t0 = Date.now();
  const lab = labFor(opts.provider);
  ctx.progress({ phase: 'check', message: 'Checking the VM and its disks', fraction: null });
  const { plan } = await assertInPlacePossible(repo, lab, req.pointId, req.confirmVmName);
  const point = await repo.getPoint(req.pointId);
  const fromCheckpointId = checkpointOf(point);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const entries = Object.entries(point.disks);
  const total = entries.reduce((s, [, d]) => s + d.virtualSize, 0);
  const staged: string[] = [];
  const disks: RestoredDisk[] = [];
  let doneBefore = 0;
  try {
    for (const [i, [key, d]] of entries.entries()) {
      ctx.throwIfCanceled();
      const target = plan.disks[i];
      if (!target) throw new HvbcError('INTERNAL', `no in-place target for disk ${key}`);
      const stem = path.basename(target.basePath).replace(/\.vhdx$/i, '');
      const file = path.join(path.dirname(target.basePath), `${stem}.hvbc-restore-${stamp}.vhdx`);
      staged.push(file);
      disks.push(
        await restoreDiskTo(repo, point.id, key, d, file, {
          ctx,
          doneBefore,
          total,
          blockSize: target.blockSize,
        }),
      );
      doneBefore += d.virtualSize;
    }
    // Once the swap starts it runs to its end (the lab's own crash-safe step): a cancel now would report a
    // restore that did happen as canceled.
    ctx.pointOfNoReturn(`the disks of ${point.vmName} are being swapped in`);
    ctx.progress({
      phase: 'swap',
      message: `Replacing the disks of ${point.vmName}`,
      fraction: 1,
    });
    const swap = await lab.replaceDisksInPlace(
      point.vmId,
      entries.map(([key], i) => ({
        diskRef: key,
        stagedFile: staged[i] ?? '',
        ...(fromCheckpointId === undefined ? {} : { fromCheckpointId }),
      })),
      { taskId: ctx.id, source: `restore point ${point.id} (${point.createdAt})` },
    );
    const restored = disks.map((x) => ({
      ...x,
      path: swap.disks.find((s) => s.diskId === x.diskKey)?.path ?? x.path,
    }));
    const dirs = swap.replacedFilesDirs;
    return {
      pointId: point.id,
      vmId: point.vmId,
      newVmId: point.vmId,
      vmName: point.vmName,
      targetDir: path.dirname(restored[0]?.path ?? plan.configPath),
      configPath: plan.configPath,
      disks: restored,
      durationSeconds: (Date.now() - t0) / 1000,
      inPlace: {
        replacedFilesDir: dirs[0] ?? '',
        replacedFilesDirs: dirs,
        movedFiles: swap.disks.flatMap((x) => x.movedFiles),
        checkpointsRemoved: swap.checkpointsRemoved.length,
        removedCheckpoints: swap.checkpointsRemoved,
        changeTrackingReset: swap.changeTrackingReset,
      },
    };
  } catch (e) {
    // Staged files that were not swapped in are ours: remove them (a swapped one no longer has this name).
    await Promise.all(staged.map((f) => fs.rm(f, { force: true })));
    throw e;
  }
}
