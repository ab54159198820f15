// Restores a point as a new VM: each disk into a new dynamic VHDX, verified by hash, plus the VM configuration.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RestoreRequest, RestoreResult, RestoredDisk } from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import type { Repository } from '../repository/repository';
import type { TaskContext } from '../tasks/task-manager';
import { createVhdx, openChain } from '../vhdx';
import { BatchedWriter } from './batched-writer';

/** SHA-256 of a VHDX's whole virtual content, read sequentially. */
export async function hashVhdx(file: string, signal?: AbortSignal): Promise<string> {
  const chain = await openChain(file);
  try {
    const h = createHash('sha256');
    const step = 8 * 1024 * 1024;
    for (let off = 0; off < chain.virtualSize; off += step) {
      if (signal?.aborted) throw new HvbcError('CANCELED', 'Verification was canceled.');
      h.update(await chain.read(off, Math.min(step, chain.virtualSize - off)));
    }
    return h.digest('hex');
  } finally {
    await chain.close();
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

export async function restorePoint(
  repo: Repository,
  req: RestoreRequest,
  opts: { dataDir: string; ctx: TaskContext },
): Promise<RestoreResult> {
  const { ctx } = opts;
  const t0 = Date.now();
  if (req.inPlace) {
    throw new HvbcError(
      'UNSUPPORTED',
      'In-place restore is not available yet: restore as a new VM (the default), then swap disks after checking it.',
    );
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
    const vhdx = await createVhdx(file, { type: 'dynamic', virtualSize: d.virtualSize });
    let read: { sha256: string };
    const out = new BatchedWriter(vhdx);
    try {
      read = await repo.readDisk(
        req.pointId,
        key,
        async (offset, data, length) => {
          if (data) await out.add(offset, data);
          ctx.progress({
            phase: 'restore',
            message: `Writing ${path.basename(file)}`,
            fraction: total ? (doneBefore + offset + length) / total : null,
            counters: { bytesRestored: doneBefore + offset + length },
          });
        },
        { signal: ctx.signal },
      );
      await out.finish();
    } finally {
      await vhdx.close();
    }
    ctx.progress({ phase: 'verify', message: `Verifying ${path.basename(file)}` });
    const sha256 = await hashVhdx(file, ctx.signal);
    const expected = d.sha256 ?? read.sha256;
    const verified = sha256 === read.sha256 && (d.sha256 === undefined || d.sha256 === sha256);
    disks.push({
      diskKey: key,
      path: file,
      virtualSize: d.virtualSize,
      sha256,
      expectedSha256: expected,
      verified,
    });
    if (!verified) {
      throw new HvbcError(
        'REPO_CORRUPT',
        `The restored ${path.basename(file)} does not match the restore point (hash ${sha256.slice(0, 12)}…, expected ${expected.slice(0, 12)}…). Run "hvbc repo check --read-data".`,
      );
    }
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
