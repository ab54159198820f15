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
  } finally {
    await vhdx.close();
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
  const existing = await fs.readdir(targetDir).catch(() => []);
  if (existing.length > 0) {
    throw new HvbcError(
      'CONFLICT',
      `${targetDir} is not empty. Choose an empty or new folder; nothing was written.`,
      { targetDir },
    );
  }
  const diskDir = path.join(targetDir, 'Virtual Hard Disks');
  await fs.mkdir(diskDir, { recursive: true });
  const newVmId = req.newId ? randomUUID() : point.vmId;
  const disks: RestoredDisk[] = [];
  const entries = Object.entries(point.disks);
  const total = entries.reduce((s, [, d]) => s + d.virtualSize, 0);
  let doneBefore = 0;
  for (const [key, d] of entries) {
    ctx.throwIfCanceled();
    const meta = (d.meta ?? {}) as { file?: string };
    const base = safeName((meta.file ?? `${key}.vhdx`).replace(/\.(a?vhdx|vhds)$/i, ''));
    const file = path.join(diskDir, `${base}.vhdx`);
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
  const cfgDir = path.join(targetDir, 'Virtual Machines');
  await fs.mkdir(cfgDir, { recursive: true });
  const configPath = path.join(cfgDir, `${newVmId}.json`);
  await fs.writeFile(configPath, JSON.stringify(config, null, 2));
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
