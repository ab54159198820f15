import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRunResult, RestoreResult } from '../../../shared/backup';
import { BackupRequest, RestoreRequest } from '../../../shared/backup';
import { startBackup, startRestore } from '../../../electron/services/engine/operations';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { createServices, type Services } from '../../../electron/services/services';
import { DEFAULT_CHUNK } from '../../../electron/services/repository';
import { tableDigest } from '../../../electron/services/repository/digest';
import { openChain } from '../../../electron/services/vhdx';
import { tempDir } from '../../helpers/tmp';

/** The content digest of a VHDX chain, computed here independently of the engine (plain SHA-256 chunk ids). */
async function chainDigest(path: string): Promise<string> {
  const c = await openChain(path);
  const table = Buffer.alloc(Math.ceil(c.virtualSize / DEFAULT_CHUNK) * 32);
  for (let o = 0, i = 0; o < c.virtualSize; o += DEFAULT_CHUNK, i++) {
    const chunk = await c.read(o, Math.min(DEFAULT_CHUNK, c.virtualSize - o));
    if (chunk.some((b) => b !== 0))
      createHash('sha256')
        .update(chunk)
        .digest()
        .copy(table, i * 32);
  }
  await c.close();
  return tableDigest(table, DEFAULT_CHUNK, c.virtualSize);
}

describe('backup engine on the lab', () => {
  const tmp = tempDir();
  let s: Services;
  let lab: LabProvider;
  const vmByName = async (n: string) => {
    const vm = (await s.provider.inventory()).vms.find((v) => v.name === n);
    if (!vm) throw new Error(n);
    return vm;
  };
  const backup = async (names: string[], extra: Partial<BackupRequest> = {}) => {
    const ids = await Promise.all(names.map(async (n) => (await vmByName(n)).id));
    const t = await s.tasks.wait(
      (await startBackup(s, BackupRequest.parse({ vmIds: ids, ...extra }))).id,
    );
    return { task: t, result: t.result as BackupRunResult };
  };

  beforeAll(async () => {
    s = await createServices({ dataDir: tmp.dir });
    lab = s.provider as LabProvider;
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('takes a full backup, then an incremental that reads only changed chunks, and leaves no checkpoint', async () => {
    const full = await backup(['SQL01']);
    expect(full.task.state).toBe('succeeded');
    expect(full.result.status).toBe('succeeded');
    // The worker threads started here: no slow-path warning (slow-path.test.ts makes them fail).
    expect(full.task.warnings).toEqual([]);
    const v1 = full.result.vms[0];
    expect(v1?.disks.every((d) => d.mode === 'full')).toBe(true);
    expect(v1?.consistencyReached).toBe('application');
    expect(v1?.referencePointId).toBeTruthy();

    await lab.ioBurst((await vmByName('SQL01')).id, { bytes: 2 * 1024 * 1024, seed: 11 });
    const inc = await backup(['SQL01']);
    expect(inc.task.state).toBe('succeeded');
    const v2 = inc.result.vms[0];
    expect(v2?.disks.every((d) => d.mode === 'incremental')).toBe(true);
    const read = v2?.disks.reduce((a, d) => a + d.bytesRead, 0) ?? 0;
    const full1 = v1?.disks.reduce((a, d) => a + d.bytesRead, 0) ?? 0;
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(full1);
    const vm = await vmByName('SQL01');
    expect(vm.checkpoints.filter((c) => c.type !== 'reference-point')).toEqual([]);
    // Only the newest reference point is kept as the next base.
    expect((await s.provider.listReferencePoints(vm.id)).map((r) => r.id)).toEqual([
      v2?.referencePointId,
    ]);
  });

  it('restores the newest point as a new VM whose disks equal the source byte for byte', async () => {
    const vm = await vmByName('SQL01');
    const points = await (await s.repos.get()).listPoints({ vmId: vm.id });
    const newest = points[points.length - 1];
    expect(newest?.kind).toBe('incremental');
    const t = await s.tasks.wait(
      (await startRestore(s, RestoreRequest.parse({ pointId: newest?.id }))).id,
    );
    expect(t.state).toBe('succeeded');
    const r = t.result as RestoreResult;
    expect(r.newVmId).not.toBe(vm.id);
    expect(r.disks.every((d) => d.verified)).toBe(true);
    // No guest I/O since that backup: the live disks still hold exactly the point's content.
    const disks = (await vmByName('SQL01')).disks;
    for (const d of r.disks) {
      const src = disks.find((x) => x.id === d.diskKey);
      expect(src).toBeDefined();
      const active = src?.chain[src.chain.length - 1]?.path ?? '';
      const local = path.join(s.labDir, ...active.replace(/^C:\\/, '').split('\\'));
      expect(await chainDigest(d.path)).toBe(d.digest);
      expect(await chainDigest(local)).toBe(d.digest);
    }
  });

  it('reports a lingering checkpoint loudly, then a partial failure honestly without adding checkpoints', async () => {
    const legacy = await vmByName('WEB01');
    await lab.setFault(legacy.id, 'avhdx-locked', true);
    // Seed 003, issue 1: this backup leaves its .avhdx locked, so the next one cannot take a checkpoint.
    const first = await backup(['WEB01']);
    expect(first.task.state).toBe('succeeded');
    expect(first.result.vms[0]?.cleanupFailures.join(' ')).toMatch(/CHECKPOINT LEFT BEHIND/);
    expect(first.task.warnings.join(' ')).toMatch(/did not merge/);
    const recoveryBefore = (await vmByName('WEB01')).checkpoints.filter(
      (c) => c.type === 'recovery',
    ).length;
    const r = await backup(['DC01', 'WEB01']);
    expect(r.task.state).toBe('failed');
    expect(r.result.status).toBe('partial');
    const bad = r.result.vms.find((v) => v.vmName === 'WEB01');
    expect(bad?.status).toBe('failed');
    expect(bad?.error?.code).toBe('FILE_LOCKED');
    expect(r.result.vms.find((v) => v.vmName === 'DC01')?.status).toBe('succeeded');
    expect(r.task.error?.message).toMatch(/1 of 2 VM backups did not succeed/);
    expect((await vmByName('WEB01')).checkpoints.filter((c) => c.type === 'recovery').length).toBe(
      recoveryBefore,
    );
    await lab.setFault(legacy.id, 'avhdx-locked', false);
  });

  it('fails instead of falling back when application consistency is required and a VSS writer failed', async () => {
    const vm = await vmByName('FILE01');
    await lab.setFault(vm.id, 'failed-vss-writer', true, 'SQLServerWriter');
    const strict = await backup(['FILE01'], { requireConsistency: true });
    expect(strict.task.state).toBe('failed');
    expect(strict.result.vms[0]?.error?.message).toMatch(/SQLServerWriter/);
    const lenient = await backup(['FILE01']);
    expect(lenient.task.state).toBe('succeeded');
    expect(lenient.result.vms[0]?.consistencyReached).not.toBe('application');
    expect(lenient.result.vms[0]?.fallbackReason).toBeTruthy();
    // Said where the admin looks, not only in the result's details.
    expect(lenient.task.warnings.join(' ')).toMatch(
      /FILE01: application-consistent was asked, (crash|file-system)-consistent is what this backup holds: .*SQLServerWriter/,
    );
    await lab.setFault(vm.id, 'failed-vss-writer', false);
  });

  it('warns about a recovery checkpoint a killed backup left behind, and leaves it to the doctor', async () => {
    const vm = await vmByName('DC01');
    const left = await lab.createCheckpoint(vm.id, {
      type: 'recovery',
      consistency: 'crash',
      name: 'Backup 2026-12-01T03:00:00.000Z',
      createdBy: 'backup task 0dead000-0000-4000-8000-000000000000',
    });
    const r = await backup(['DC01']);
    expect(r.task.state).toBe('succeeded');
    expect(r.task.warnings.join(' ')).toMatch(
      /DC01 still has a recovery checkpoint from a backup that did not finish \("Backup 2026-12-01T03:00:00.000Z"\).*hvbc doctor/,
    );
    // Only that one: the backup's own checkpoint is not reported, and is gone after it.
    expect(r.task.warnings.filter((w) => /did not finish/.test(w))).toHaveLength(1);
    expect((await vmByName('DC01')).checkpoints.map((c) => c.id)).toContain(left.checkpoint.id);
    await lab.removeCheckpoint(vm.id, left.checkpoint.id);
  });

  it('backs a VM named twice (name, other case, id) up once', async () => {
    const vm = await vmByName('DC01');
    const req = BackupRequest.parse({ vmIds: ['DC01', 'dc01', vm.id] });
    const t = await s.tasks.wait((await startBackup(s, req)).id);
    expect(t.state).toBe('succeeded');
    expect((t.result as BackupRunResult).vms.map((v) => v.vmName)).toEqual(['DC01']);
  });

  it('cancels a running backup and leaves no checkpoint behind', async () => {
    const vm = await vmByName('FILE01');
    const rec = await startBackup(s, BackupRequest.parse({ vmIds: [vm.id], full: true }));
    s.tasks.cancel(rec.id);
    const t = await s.tasks.wait(rec.id);
    expect(t.state).toBe('canceled');
    expect((await vmByName('FILE01')).checkpoints.filter((c) => c.type === 'recovery')).toEqual([]);
  });
});

describe('backup engine on a 2012 R2 lab', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('takes a full backup every time and says why, and refuses a VM without SCSI (event 10103)', async () => {
    const { createLabFile } = await import('../../../electron/services/providers/lab/store');
    const { scenario2012R2 } = await import('../../../electron/services/providers/lab/scenarios');
    const labDir = path.join(tmp.dir, 'lab');
    await createLabFile(labDir, scenario2012R2());
    const s = await createServices({ dataDir: tmp.dir, labDir });
    try {
      const inv = await s.provider.inventory();
      const dc = inv.vms.find((v) => v.name === 'DC01')?.id ?? '';
      const legacy = inv.vms.find((v) => v.name === 'LEGACY01')?.id ?? '';
      for (let i = 0; i < 2; i++) {
        const t = await s.tasks.wait(
          (await startBackup(s, BackupRequest.parse({ vmIds: [dc] }))).id,
        );
        expect(t.state).toBe('succeeded');
        const d = (t.result as BackupRunResult).vms[0]?.disks[0];
        expect(d?.mode).toBe('full');
        if (i === 1) expect(d?.fullReason).toMatch(/no native change tracking/);
      }
      expect((await s.provider.inventory()).vms.find((v) => v.id === dc)?.checkpoints).toEqual([]);
      const t = await s.tasks.wait(
        (await startBackup(s, BackupRequest.parse({ vmIds: [legacy] }))).id,
      );
      expect(t.state).toBe('failed');
      expect(t.error?.message).toMatch(/no SCSI controllers/);
      const events = await s.provider.events({ vmId: legacy });
      expect(events.map((e) => e.id)).toContain(10103);
    } finally {
      await s.close();
    }
  });
});
