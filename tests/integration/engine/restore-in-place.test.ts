import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRunResult, RestoreResult } from '../../../shared/backup';
import { BackupRequest, RestoreRequest } from '../../../shared/backup';
import { DrillRequest, type DrillRecord } from '../../../shared/drills';
import type { TaskRecord } from '../../../shared/tasks';
import { runCli } from '../../../electron/cli/main';
import { startDrill } from '../../../electron/services/drills/operations';
import { startBackup, startRestore } from '../../../electron/services/engine/operations';
import { scanLive } from '../../../electron/services/planner/doctor-live';
import { digestVhdx, restorePoint } from '../../../electron/services/engine/restore';
import { verifyChain } from '../../../electron/services/providers/lab/model';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { createLabFile, readLabFile } from '../../../electron/services/providers/lab/store';
import type { Repository } from '../../../electron/services/repository/repository';
import { createServices, type Services } from '../../../electron/services/services';
import { tempDir } from '../../helpers/tmp';
import { chainHash, expectAllDisksMatchModel, MiB, sha, smallLab } from '../lab/helpers';

/** Plain SHA-256 of a point's disk as the repository hands it out (what the restored file must hold). */
async function pointSha(repo: Repository, pointId: string, key: string): Promise<string> {
  const h = createHash('sha256');
  await repo.readDisk(pointId, key, async (_o, data, length) => {
    h.update(data ?? Buffer.alloc(length));
  });
  return h.digest('hex');
}

/** Every file under the lab's storage (path → SHA-256 of the bytes), to prove a refusal changed nothing. */
async function storageFiles(labDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const root = path.join(labDir, 'ClusterStorage');
  for (const rel of (await fs.readdir(root, { recursive: true })) as string[]) {
    const abs = path.join(root, rel);
    if ((await fs.stat(abs)).isFile()) out[rel] = sha(abs);
  }
  return out;
}

describe('in-place restore on the lab', () => {
  const tmp = tempDir('hvbc-inplace-');
  const labDir = path.join(tmp.dir, 'lab');
  let s: Services;
  let lab: LabProvider;
  let vmId = '';
  /** The older (full) point and the one restored in place (incremental). */
  let older = { id: '', checkpointId: '' };
  let point = { id: '', checkpointId: '' };
  /** Per disk id: the SHA-256 of the live disk just before the restore (what the quarantined chain must still hold). */
  const before: Record<string, string> = {};

  const diskState = async () => (await readLabFile(labDir)).state.disks;
  const activeFile = async (did: string) => {
    const d = (await diskState())[did];
    return path.join(labDir, d?.files[d.active]?.path ?? 'missing');
  };
  const backup = async (extra: Partial<BackupRequest> = {}) => {
    const t = await s.tasks.wait(
      (await startBackup(s, BackupRequest.parse({ vmIds: [vmId], ...extra }))).id,
    );
    expect(t.state).toBe('succeeded');
    return (t.result as BackupRunResult).vms[0];
  };
  const inPlace = (confirmVmName?: string, pointId = point.id) =>
    RestoreRequest.parse({
      pointId,
      inPlace: true,
      newId: false,
      ...(confirmVmName === undefined ? {} : { confirmVmName }),
    });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e as { code: string; message: string },
    );

  beforeAll(async () => {
    await createLabFile(labDir, smallLab('2019'));
    s = await createServices({ dataDir: tmp.dir, labDir });
    lab = s.provider as LabProvider;
    vmId = (await s.provider.inventory()).vms.find((v) => v.name === 'APP')?.id ?? '';
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('backs up APP (full, then incremental), then the guest writes on and a checkpoint is taken', async () => {
    const full = await backup();
    expect(full?.disks.every((d) => d.mode === 'full')).toBe(true);
    older = { id: full?.pointId ?? '', checkpointId: full?.checkpointId ?? '' };
    await lab.ioBurst(vmId, { bytes: 2 * MiB, seed: 11 });
    const inc = await backup();
    expect(inc?.disks.every((d) => d.mode === 'incremental')).toBe(true);
    point = { id: inc?.pointId ?? '', checkpointId: inc?.checkpointId ?? '' };
    await lab.ioBurst(vmId, { bytes: 2 * MiB, seed: 12 });
    await lab.createCheckpoint(vmId, { type: 'standard', consistency: 'crash', name: 'before' });
    await lab.ioBurst(vmId, { bytes: 2 * MiB, seed: 13 });
    const repo = await s.repos.get();
    for (const did of Object.keys((await repo.getPoint(point.id)).disks)) {
      before[did] = await chainHash(await activeFile(did));
      expect(before[did]).not.toBe(await pointSha(repo, point.id, did));
    }
  });

  it('refuses while the VM runs, a wrong or missing confirmation, and a non-lab estate — changing nothing', async () => {
    const files = await storageFiles(labDir);
    const state = JSON.stringify((await readLabFile(labDir)).state);

    const running = await refusal(startRestore(s, inPlace('APP')));
    expect(running.code).toBe('CONFLICT');
    expect(running.message).toMatch(/'APP' is running: turn it off first/);
    const wrong = await refusal(startRestore(s, inPlace('app')));
    expect(wrong.code).toBe('VALIDATION');
    expect(wrong.message).toMatch(/type 'APP' exactly/);
    const missing = await refusal(startRestore(s, inPlace()));
    expect(missing.code).toBe('VALIDATION');
    expect(missing.message).toMatch(/Type the VM name 'APP'/);

    // The task path checks the same things (a caller that skips startRestore).
    const repo = await s.repos.get();
    const run = (provider: Services['provider'] | undefined): Promise<TaskRecord> =>
      s.tasks.wait(
        s.tasks.start('restore', 'direct', (ctx) =>
          restorePoint(repo, inPlace('APP'), {
            dataDir: s.dataDir,
            ctx,
            ...(provider ? { provider } : {}),
          }),
        ).id,
      );
    const t = await run(s.provider);
    expect(t.state).toBe('failed');
    expect(t.error?.code).toBe('CONFLICT');
    const other = await run(undefined);
    expect(other.error?.code).toBe('UNSUPPORTED');
    expect(other.error?.message).toMatch(/only available on the embedded lab.*new VM/);

    expect(await storageFiles(labDir)).toEqual(files);
    expect(JSON.stringify((await readLabFile(labDir)).state)).toBe(state);
  });

  it('a canceled in-place restore leaves the VM as it was and no staged file behind', async () => {
    await lab.powerOff(vmId);
    const files = await storageFiles(labDir);
    const state = JSON.stringify((await readLabFile(labDir)).state);
    const rec = await startRestore(s, inPlace('APP'));
    s.tasks.cancel(rec.id);
    const t = await s.tasks.wait(rec.id);
    expect(t.state).toBe('canceled');
    expect(await storageFiles(labDir)).toEqual(files);
    expect(JSON.stringify((await readLabFile(labDir)).state)).toBe(state);
  });

  it('turned off, restores in place: the disks hold the point, old files are kept, checkpoints are gone', async () => {
    await lab.powerOff(vmId);
    const repo = await s.repos.get();
    const manifest = await repo.getPoint(point.id);
    const pathsBefore = Object.fromEntries(
      Object.entries(await diskState()).map(([id, d]) => [id, d.files.base?.path]),
    );
    const rec = await startRestore(s, inPlace('APP'));
    expect(rec.title).toMatch(/in place/);
    const t = await s.tasks.wait(rec.id);
    expect(t.error ?? null).toBeNull();
    expect(t.state).toBe('succeeded');
    const r = t.result as RestoreResult;
    expect(r.newVmId).toBe(vmId);
    expect(r.disks).toHaveLength(2);
    expect(r.inPlace?.checkpointsRemoved).toBe(1);
    expect(r.inPlace?.removedCheckpoints.map((c) => c.name)).toEqual(['before']);
    expect(r.inPlace?.changeTrackingReset).toBe(true);

    const disks = await diskState();
    for (const d of r.disks) {
      expect(d.verified).toBe(true);
      const st = disks[d.diskKey];
      // Only the base file is left, at the same path as before; every older file id resolves to it.
      expect(Object.keys(st?.files ?? {})).toEqual(['base']);
      expect(st?.active).toBe('base');
      expect(st?.files.base?.path).toBe(pathsBefore[d.diskKey]);
      expect(Object.values(st?.merged ?? {})).toContain('base');
      const active = await activeFile(d.diskKey);
      expect(d.path).toBe(active);
      // Byte for byte the point's content, and the restore verified it against the point's recorded digest.
      expect(await chainHash(active)).toBe(await pointSha(repo, point.id, d.diskKey));
      expect(d.digest).toBe(manifest.disks[d.diskKey]?.digest ?? d.expectedDigest);
      expect(d.digest).toBe(await digestVhdx(repo, active));
      // The lab's model agrees: now, and as of the point's checkpoint.
      expect((await verifyChain(labDir, d.diskKey, active)).ok).toBe(true);
      const v = await lab.verifyRestoredDisk(
        vmId,
        d.diskKey,
        { checkpointId: point.checkpointId },
        active,
      );
      expect(v.match).toBe(true);
    }

    // Nothing was deleted: each old chain is in the quarantine folder and still reads as the disk did before.
    const moved = r.inPlace?.movedFiles ?? [];
    expect(moved.length).toBe(4); // two disks: base + the checkpoint's .avhdx each
    for (const m of moved) {
      expect(m.to).toContain(`${path.sep}.hvbc-replaced${path.sep}`);
      await expect(fs.access(m.to)).resolves.toBeUndefined();
      if (m.from.endsWith('.avhdx')) await expect(fs.access(m.from)).rejects.toThrow();
    }
    for (const [did, hash] of Object.entries(before)) {
      const leaf = moved.find(
        (m) =>
          m.to.endsWith('.avhdx') &&
          path.dirname(m.from) === path.dirname(r.disks.find((d) => d.diskKey === did)?.path ?? ''),
      );
      expect(leaf).toBeDefined();
      expect(await chainHash(leaf?.to ?? '')).toBe(hash);
    }
    expect(r.inPlace?.replacedFilesDirs).toHaveLength(2);
    expect(r.targetDir).toBe(path.dirname(r.disks[0]?.path ?? ''));

    const vm = (await s.provider.inventory()).vms.find((v) => v.id === vmId);
    expect(vm?.checkpoints.filter((c) => c.type !== 'reference-point')).toEqual([]);
    expect(vm?.disks.every((d) => d.chain.length === 1)).toBe(true);
    const events = await s.provider.events({ vmId });
    expect(events.some((e) => e.id === 60023 && /restored in place/.test(e.message))).toBe(true);
    expect(events.some((e) => e.id === 60022 && /in-place restore/.test(e.message))).toBe(true);

    // No staged file left behind, and the lab sees no orphan (the quarantine is kept on purpose).
    for (const d of r.disks)
      expect(
        (await fs.readdir(path.dirname(d.path))).filter((n) => /hvbc-restore/.test(n)),
      ).toEqual([]);
    const check = await lab.reconcile();
    expect(check.orphans).toEqual([]);
    expect(check.missing).toEqual([]);
    // Nor does the checkpoint doctor offer to move the replaced files.
    // (a week from now, so the files are not skipped as too young to judge)
    const { report } = await scanLive(lab, {
      now: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    expect(report.listingAvailable).toBe(true);
    expect(report.findings.filter((f) => /hvbc-replaced/i.test(JSON.stringify(f)))).toEqual([]);
  });

  it('a cancel asked once the swap has begun is refused: the restore finishes and says so', async () => {
    await lab.powerOff(vmId);
    const repo = await s.repos.get();
    const rec = s.tasks.start('restore', 'in place, canceled during the swap', (ctx) =>
      restorePoint(repo, inPlace('APP'), {
        dataDir: s.dataDir,
        provider: s.provider,
        ctx: {
          ...ctx,
          progress: (u) => {
            ctx.progress(u);
            if (u.phase === 'swap') s.tasks.cancel(ctx.id); // just before the lab swaps the disks in
          },
        },
      }),
    );
    const t = await s.tasks.wait(rec.id);
    expect(t.state).toBe('succeeded');
    expect(t.warnings.join(' ')).toMatch(
      /Cancel was asked while the disks of APP are being swapped in: too late to stop safely/,
    );
    const r = t.result as RestoreResult;
    for (const d of r.disks)
      expect(await chainHash(d.path)).toBe(await pointSha(repo, point.id, d.diskKey));
  });

  it('the next backup is full and says change tracking was reset by the in-place restore', async () => {
    const after = await backup();
    expect(after?.disks.every((d) => d.mode === 'full')).toBe(true);
    for (const d of after?.disks ?? []) expect(d.fullReason).toMatch(/in-place restore of APP\//);
    await lab.powerOn(vmId);
    await lab.ioBurst(vmId, { bytes: MiB, seed: 14 });
    const inc = await backup();
    expect(inc?.disks.every((d) => d.mode === 'incremental')).toBe(true);
    await lab.createCheckpoint(vmId, { type: 'standard', consistency: 'crash' });
    await lab.ioBurst(vmId, { bytes: MiB, seed: 15 });
    expect(await expectAllDisksMatchModel(labDir)).toBeGreaterThan(0);
  });

  it('a drill of the older point still matches the model of its own time', async () => {
    const t = await s.tasks.wait(
      (await startDrill(s, DrillRequest.parse({ vmIds: [vmId], pointIds: { [vmId]: older.id } })))
        .id,
    );
    const rec = t.result as DrillRecord;
    const content = rec.steps.find((x) => x.id === 'content-match');
    expect(content?.status).toBe('passed');
    expect(rec.status).toBe('passed');
  });

  it('the older point restores in place too, over the first restore (a reset after a reset)', async () => {
    await lab.powerOff(vmId);
    const t = await s.tasks.wait((await startRestore(s, inPlace('APP', older.id))).id);
    expect(t.state).toBe('succeeded');
    const r = t.result as RestoreResult;
    const repo = await s.repos.get();
    const manifest = await repo.getPoint(older.id);
    for (const d of r.disks) {
      expect(manifest.disks[d.diskKey]?.digest).toBeDefined();
      expect(await digestVhdx(repo, d.path)).toBe(manifest.disks[d.diskKey]?.digest);
      expect(await chainHash(d.path)).toBe(await pointSha(repo, older.id, d.diskKey));
      expect((await verifyChain(labDir, d.diskKey, d.path)).ok).toBe(true);
      expect((await verifyChain(labDir, d.diskKey, d.path, older.checkpointId)).ok).toBe(true);
    }
    expect(r.inPlace?.checkpointsRemoved).toBe(1);
    expect(await expectAllDisksMatchModel(labDir)).toBeGreaterThan(0);
  });
  it('on the command line: a preview without --confirm (exit 2, nothing changed), then the restore with it', async () => {
    await lab.createCheckpoint(vmId, { type: 'standard', consistency: 'crash', name: 'cli' });
    const files = await storageFiles(labDir);
    const out: string[] = [];
    const err: string[] = [];
    const io = { log: (l: string) => out.push(l), error: (l: string) => err.push(l), isTTY: false };
    const env = process.env.HVBC_DATA_DIR;
    process.env.HVBC_DATA_DIR = tmp.dir;
    try {
      const args = ['restore', point.id, '--in-place', '--lab', labDir, '--repo', s.repos.path];
      expect(await runCli(args, io)).toBe(2);
      const text = out.join('\n');
      expect(text).toMatch(/In-place restore of APP .* would:/);
      expect(text).toMatch(/APP-os\.vhdx/);
      expect(text).toMatch(/remove 1 checkpoint\(s\): 'cli' \(standard\)/);
      expect(err.join('\n')).toMatch(/Nothing was changed\. Add --confirm APP/);
      expect(await storageFiles(labDir)).toEqual(files);

      out.length = 0;
      expect(await runCli([...args, '--confirm', 'APP', '--json'], io)).toBe(0);
      const done = JSON.parse(out.join('\n')) as { state: string; result: RestoreResult };
      expect(done.state).toBe('succeeded');
      expect(done.result.inPlace?.removedCheckpoints.map((c) => c.name)).toEqual(['cli']);
      expect(done.result.disks.every((d) => d.verified)).toBe(true);
    } finally {
      if (env === undefined) delete process.env.HVBC_DATA_DIR;
      else process.env.HVBC_DATA_DIR = env;
    }
    expect(await expectAllDisksMatchModel(labDir)).toBeGreaterThan(0);
  });
});
