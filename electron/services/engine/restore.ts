// Restores a point as a new VM: each disk into a new dynamic VHDX, verified by content digest, plus the VM configuration.
// In place (lab only) is restore-in-place.ts.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RestoreRequest, RestoreResult, RestoredDisk } from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import type { EstateProvider } from '../providers/types';
import type { DiskManifest, Repository } from '../repository/repository';
import type { TaskContext } from '../tasks/task-manager';
import { createVhdx, openChain } from '../vhdx';
import { ioError } from '../vhdx/errors';
import {
  assertEmptyTarget,
  assertOutsideRepository,
  markIncomplete,
  restoreTargetProblem,
  targetVolume,
  VHDX_OVERHEAD,
} from './restore-target';

/** Content digest of a VHDX (or chain) as the repository computes it for a point's disk. */
export async function digestVhdx(
  repo: Repository,
  file: string,
  signal?: AbortSignal,
): Promise<string> {
  const chain = await openChain(file);
  try {
    return await repo.digestOf(chain, signal ? { signal } : {});
  } finally {
    await chain.close();
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

/**
 * Write one disk of a point into a new dynamic VHDX at `file` and verify it by content digest against what the repository
 * read and what the point recorded (REPO_CORRUPT when they differ). Progress counts from `doneBefore` of `total`.
 */
export async function restoreDiskTo(
  repo: Repository,
  pointId: string,
  key: string,
  d: DiskManifest,
  file: string,
  opts: { ctx: TaskContext; doneBefore: number; total: number; blockSize?: number },
): Promise<RestoredDisk> {
  const { ctx, doneBefore, total } = opts;
  const vhdx = await createVhdx(file, {
    type: 'dynamic',
    virtualSize: d.virtualSize,
    directIo: true,
    ...(opts.blockSize === undefined ? {} : { blockSize: opts.blockSize }),
  });
  let read: { digest: string };
  try {
    read = await repo.readDiskTo(pointId, key, vhdx, {
      signal: ctx.signal,
      onProgress: (done) =>
        ctx.progress({
          phase: 'restore',
          message: `Writing ${path.basename(file)}`,
          fraction: total ? (doneBefore + done) / total : null,
          counters: { bytesRestored: doneBefore + done },
        }),
    });
    await vhdx.close();
  } catch (e) {
    // The file goes with the rest of the failed restore, so it is dropped without writing its metadata.
    await vhdx.abandon().catch(() => undefined);
    throw ioError(e, file); // out of space, file too large… named for the file being written
  }
  ctx.progress({ phase: 'verify', message: `Verifying ${path.basename(file)}` });
  const digest = await digestVhdx(repo, file, ctx.signal);
  const expected = d.digest ?? read.digest;
  const verified = digest === read.digest && (d.digest === undefined || d.digest === digest);
  if (!verified) {
    throw new HvbcError(
      'REPO_CORRUPT',
      `The restored ${path.basename(file)} does not match the restore point (digest ${digest.slice(0, 12)}…, expected ${expected.slice(0, 12)}…). Run "hvbc repo check --read-data".`,
    );
  }
  return {
    diskKey: key,
    path: file,
    virtualSize: d.virtualSize,
    digest,
    expectedDigest: expected,
    verified,
  };
}

/**
 * Remove what a failed restore wrote (`created`: the folders and files it made) and return the error to throw:
 * the same error, its message saying the partial files are gone, or, when they could not be removed, where.
 */
async function removePartialRestore(
  e: unknown,
  ctx: TaskContext,
  created: string[],
): Promise<unknown> {
  const left: string[] = [];
  for (const dir of created) {
    await fs.rm(dir, { recursive: true, force: true }).catch((err: unknown) => {
      left.push(`${dir} (${(err as Error).message})`);
    });
  }
  const note = left.length
    ? `The partly written restore could not be removed: delete ${left.join(', ')} by hand.`
    : `The partly written files were removed.`;
  if (left.length || isCanceled(e)) ctx.warn(note);
  if (e instanceof HvbcError) return new HvbcError(e.code, `${e.message} ${note}`, e.details);
  if (e instanceof Error && !isCanceled(e)) e.message = `${e.message} ${note}`;
  return e;
}

function isCanceled(e: unknown): boolean {
  return (
    (e instanceof HvbcError && e.code === 'CANCELED') ||
    (e instanceof Error && e.name === 'AbortError')
  );
}

export async function restorePoint(
  repo: Repository,
  req: RestoreRequest,
  opts: { dataDir: string; ctx: TaskContext; provider?: EstateProvider },
): Promise<RestoreResult> {
  const { ctx } = opts;
  const t0 = Date.now();
  if (req.inPlace) {
    // Imported on use: restore-in-place.ts builds on this module's functions.
    const { restoreInPlace } = await import('./restore-in-place');
    return restoreInPlace(repo, req, opts);
  }
  const point = await repo.getPoint(req.pointId);
  const stamp = point.createdAt.replace(/[:.]/g, '-');
  const targetDir = path.resolve(
    req.targetDir ?? path.join(opts.dataDir, 'restores', `${safeName(point.vmName)}-${stamp}`),
  );
  assertOutsideRepository(targetDir, repo.dir);
  await assertEmptyTarget(targetDir);
  const diskDir = path.join(targetDir, 'Virtual Hard Disks');
  const entries = Object.entries(point.disks).map(([key, d]) => {
    const meta = (d.meta ?? {}) as { file?: string };
    const base = safeName((meta.file ?? `${key}.vhdx`).replace(/\.(a?vhdx|vhds)$/i, ''));
    return { key, d, file: path.join(diskDir, `${base}.vhdx`) };
  });
  const volume = await targetVolume(targetDir);
  const problem =
    volume &&
    restoreTargetProblem(
      targetDir,
      entries.map((e) => ({ file: e.file, bytes: e.d.stats.dataBytes + VHDX_OVERHEAD })),
      volume,
    );
  if (problem) throw new HvbcError('OUT_OF_SPACE', problem, { targetDir });
  const newVmId = req.newId ? randomUUID() : point.vmId;
  const disks: RestoredDisk[] = [];
  const total = entries.reduce((s, e) => s + e.d.virtualSize, 0);
  const cfgDir = path.join(targetDir, 'Virtual Machines');
  const configPath = path.join(cfgDir, `${newVmId}.json`);
  // Only what this restore made is removed if it fails: the target folder itself when it was new.
  const made = await fs.mkdir(targetDir, { recursive: true });
  let marker: string | null = null;
  try {
    marker = await markIncomplete(targetDir, `${point.vmName} from ${point.createdAt}`);
    await fs.mkdir(diskDir, { recursive: true });
    let doneBefore = 0;
    for (const { key, d, file } of entries) {
      ctx.throwIfCanceled();
      disks.push(await restoreDiskTo(repo, req.pointId, key, d, file, { ctx, doneBefore, total }));
      doneBefore += d.virtualSize;
    }
    const vmConfig = (point.meta.vmConfig ?? {}) as Record<string, unknown>;
    const config = {
      ...vmConfig,
      id: newVmId,
      name: req.newId
        ? `${point.vmName} (restored ${point.createdAt.slice(0, 16).replace('T', ' ')})`
        : point.vmName,
      restoredFrom: { pointId: point.id, vmId: point.vmId, time: point.createdAt },
      disks: disks.map((x) => ({ id: x.diskKey, path: x.path, virtualSize: x.virtualSize })),
    };
    await fs.mkdir(cfgDir, { recursive: true });
    await fs.writeFile(configPath, JSON.stringify(config, null, 2));
    await fs.rm(marker); // the last step: the folder now holds a finished, verified restore
  } catch (e) {
    // A failed or canceled restore leaves no half-written VM behind, so the same folder can be used again.
    const mine = made === undefined ? [diskDir, cfgDir, ...(marker ? [marker] : [])] : [targetDir];
    throw await removePartialRestore(e, ctx, mine);
  }
  return {
    pointId: point.id,
    vmId: point.vmId,
    newVmId,
    vmName: point.vmName,
    targetDir,
    configPath,
    disks,
    durationSeconds: (Date.now() - t0) / 1000,
  };
}
