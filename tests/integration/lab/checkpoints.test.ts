import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../electron/services/providers/lab/model';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { openChain } from '../../../electron/services/vhdx';
import type { HyperVEvent } from '../../../shared/model';
import { tempDir } from '../../helpers/tmp';
import {
  diskFiles,
  expectAllDisksMatchModel,
  MiB,
  openSmall,
  sha,
  smallLab,
  vmOf,
} from './helpers';

let tmp: ReturnType<typeof tempDir>;
let dir: string;
let p: LabProvider;
beforeEach(() => {
  tmp = tempDir('hvbc-labcp-');
  dir = path.join(tmp.dir, 'lab');
});
afterEach(async () => {
  await p?.close();
  tmp.cleanup();
});

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (e) {
    return e as { code: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a failure');
}

const ids = (evs: HyperVEvent[]) => evs.map((e) => e.id);

describe('checkpoints on Windows Server 2016', () => {
  it('after a checkpoint the VM writes only to the new .avhdx: the parent is unchanged byte for byte', async () => {
    p = await openSmall(dir, '2016');
    const app = await vmOf(p, 'APP');
    const d0 = app.disks[0]?.id ?? '';
    const before = await diskFiles(dir, d0);
    const cp = await p.createCheckpoint('APP', {
      type: 'standard',
      consistency: 'crash',
      name: 'before-change',
    });
    const after = await diskFiles(dir, d0);
    expect(after.active).toMatch(/APP-os_[0-9A-F-]{36}\.avhdx$/);
    expect(path.dirname(after.active)).toBe(path.dirname(before.active));
    const parentHash = sha(before.active);
    await p.ioBurst('APP', { bytes: 3 * MiB, seed: 11 });
    expect(sha(before.active)).toBe(parentHash);
    const [frozen] = await p.frozenDisks('APP', cp.checkpoint.id);
    expect(frozen?.chainPath).toBe(before.active);
    // The frozen chain still reads the disk as of the checkpoint; the live chain has the new writes on top.
    expect((await verifyChain(dir, d0, frozen?.chainPath ?? '', cp.checkpoint.id)).ok).toBe(true);
    expect((await verifyChain(dir, d0, after.active)).ok).toBe(true);
    const c1 = await openChain(frozen?.chainPath ?? '');
    const c2 = await openChain(after.active);
    let differs = false;
    for (let o = 0; o < c1.virtualSize && !differs; o += MiB)
      differs = !(await c1.read(o, MiB)).equals(await c2.read(o, MiB));
    await Promise.all([c1.close(), c2.close()]);
    expect(differs).toBe(true);
    const inv = await vmOf(p, 'APP');
    expect(inv.disks[0]?.path).toMatch(/\.avhdx$/);
    expect(inv.disks[0]?.chain.map((f) => f.kind)).toEqual(['base', 'differencing']);
    expect(inv.checkpoints).toMatchObject([
      { id: cp.checkpoint.id, name: 'before-change', type: 'standard' },
    ]);
  });

  it('deleting the newest checkpoint merges online: one file again, the .avhdx gone, content equal to the model', async () => {
    p = await openSmall(dir, '2016');
    const app = await vmOf(p, 'APP');
    await p.ioBurst('APP', { bytes: 2 * MiB, seed: 1 });
    const cp = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    await p.ioBurst('APP', { bytes: 2 * MiB, seed: 2, pattern: 'hotspot' });
    const avhdx = (await diskFiles(dir, app.disks[1]?.id ?? '')).active;
    expect(existsSync(avhdx)).toBe(true);
    await p.removeCheckpoint('APP', cp.checkpoint.id);
    expect(existsSync(avhdx)).toBe(false);
    const inv = await vmOf(p, 'APP');
    expect(inv.checkpoints).toEqual([]);
    expect(inv.disks.map((d) => d.chain.length)).toEqual([1, 1]);
    expect(inv.disks.map((d) => d.type)).toEqual(['dynamic', 'dynamic']);
    await p.ioBurst('APP', { bytes: MiB, seed: 3 });
    expect(await expectAllDisksMatchModel(dir)).toBeGreaterThan(0);
    const evs = await p.events({ vmId: app.id });
    expect(ids(evs)).toEqual(expect.arrayContaining([60001, 60002]));
    expect(
      (await p.events()).filter((e) => e.id === 60003 && e.message.includes('APP-data')),
    ).toHaveLength(1);
  });

  it('deleting an older checkpoint merges its file into the parent and re-bases the newer one; deeper chains wait, then merge', async () => {
    p = await openSmall(dir, '2016');
    const app = await vmOf(p, 'APP');
    const d0 = app.disks[0]?.id ?? '';
    const a = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    await p.ioBurst('APP', { bytes: MiB, seed: 5 });
    const b = await p.createCheckpoint('APP', {
      type: 'standard',
      consistency: 'crash',
      name: 'b',
    });
    await p.ioBurst('APP', { bytes: MiB, seed: 6 });
    await p.removeCheckpoint('APP', a.checkpoint.id);
    let inv = await vmOf(p, 'APP');
    expect(inv.disks[0]?.chain).toHaveLength(2);
    expect(
      (
        await verifyChain(
          dir,
          d0,
          (await p.frozenDisks('APP', b.checkpoint.id))[0]?.chainPath ?? '',
          b.checkpoint.id,
        )
      ).ok,
    ).toBe(true);
    await expectAllDisksMatchModel(dir);

    // Three deep: removing the oldest has to wait (the file above it has children of its own).
    const c = await p.createCheckpoint('APP', {
      type: 'standard',
      consistency: 'crash',
      name: 'c',
    });
    await p.ioBurst('APP', { bytes: MiB, seed: 7 });
    const d = await p.createCheckpoint('APP', {
      type: 'standard',
      consistency: 'crash',
      name: 'd',
    });
    await p.ioBurst('APP', { bytes: MiB, seed: 8 });
    await p.removeCheckpoint('APP', b.checkpoint.id);
    inv = await vmOf(p, 'APP');
    expect(inv.checkpoints.map((x) => x.name)).toEqual(['c', 'd']);
    expect(inv.checkpoints[0]?.parentId).toBeNull();
    expect(inv.disks[0]?.chain).toHaveLength(4);
    expect(
      (await p.events()).some(
        (e) => e.id === 60004 && /waits until the newer checkpoints/.test(e.message),
      ),
    ).toBe(true);
    await expectAllDisksMatchModel(dir);
    expect(
      (
        await verifyChain(
          dir,
          d0,
          (await p.frozenDisks('APP', c.checkpoint.id))[0]?.chainPath ?? '',
          c.checkpoint.id,
        )
      ).ok,
    ).toBe(true);
    await p.removeCheckpoint('APP', d.checkpoint.id);
    await p.removeCheckpoint('APP', c.checkpoint.id);
    inv = await vmOf(p, 'APP');
    expect(inv.disks.map((x) => x.chain.length)).toEqual([1, 1]);
    await expectAllDisksMatchModel(dir);
  });

  it('applying a checkpoint returns the disks to it and discards later writes', async () => {
    p = await openSmall(dir, '2016');
    const app = await vmOf(p, 'APP');
    const backup = await p.createCheckpoint('APP', {
      type: 'recovery',
      consistency: 'application',
    });
    const rp = await p.convertToReferencePoint('APP', backup.checkpoint.id);
    const cp = await p.createCheckpoint('APP', {
      type: 'production',
      consistency: 'application',
      name: 'good',
    });
    expect(cp.checkpoint.type).toBe('production');
    await p.ioBurst('APP', { bytes: 2 * MiB, seed: 9 });
    const discarded = (await diskFiles(dir, app.disks[0]?.id ?? '')).active;
    await p.applyCheckpoint('APP', cp.checkpoint.id);
    expect(existsSync(discarded)).toBe(false);
    const v = await vmOf(p, 'APP');
    expect(v.state).toBe('Off');
    await p.powerOn('APP');
    for (const disk of v.disks) {
      const now = (await diskFiles(dir, disk.id)).active;
      expect((await verifyChain(dir, disk.id, now, cp.checkpoint.id)).ok).toBe(true);
      expect((await verifyChain(dir, disk.id, now)).ok).toBe(true);
    }
    await p.ioBurst('APP', { bytes: MiB, seed: 10 });
    await expectAllDisksMatchModel(dir);
    expect((await p.events()).some((e) => e.id === 60007)).toBe(true);
    // Going back in time invalidates change tracking: the next backup is full.
    expect(await p.changedRanges('APP', app.disks[0]?.id ?? '', rp.id)).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/'good' was applied/),
    });
  });

  it('a guest-cluster node checkpoints the shared VHD Set too; both nodes then write to its new .avhdx', async () => {
    p = await openSmall(dir, '2016');
    const n1 = await vmOf(p, 'N1');
    const shared = n1.disks.find((d) => d.shared)?.id ?? '';
    const cp = await p.createCheckpoint('N1', { type: 'recovery', consistency: 'application' });
    const active = (await diskFiles(dir, shared)).active;
    expect(active).toMatch(/GC-shared-data_.*\.avhdx$/);
    await p.ioBurst('N2', { bytes: MiB, seed: 4, disk: 'GC-shared.vhds' });
    expect((await verifyChain(dir, shared, active)).ok).toBe(true);
    expect((await vmOf(p, 'N2')).disks.find((d) => d.shared)?.chain).toHaveLength(2);
    await p.removeCheckpoint('N1', cp.checkpoint.id);
    expect((await vmOf(p, 'N2')).disks.find((d) => d.shared)?.chain).toHaveLength(1);
    await expectAllDisksMatchModel(dir);
  });
});

describe('checkpoints on Windows Server 2008 R2', () => {
  it('deleting a checkpoint while the VM runs keeps the .avhdx until the VM is turned off (seed 000)', async () => {
    p = await openSmall(dir, '2008R2');
    const app = await vmOf(p, 'APP');
    const cp = await p.createCheckpoint('APP', { type: 'standard', consistency: 'crash' });
    await p.ioBurst('APP', { bytes: MiB, seed: 1 });
    const avhdx = (await diskFiles(dir, app.disks[0]?.id ?? '')).active;
    await p.removeCheckpoint('APP', cp.checkpoint.id);
    let v = await vmOf(p, 'APP');
    expect(v.checkpoints).toEqual([]);
    expect(existsSync(avhdx)).toBe(true);
    expect(v.disks[0]?.chain).toHaveLength(2);
    expect(v.disks[0]?.chain[1]?.checkpointId).toBe(cp.checkpoint.id);
    expect((await p.events()).some((e) => e.id === 60004 && /turned off/.test(e.message))).toBe(
      true,
    );
    await p.ioBurst('APP', { bytes: MiB, seed: 2 });
    await expectAllDisksMatchModel(dir);
    await p.powerOff('APP');
    expect(existsSync(avhdx)).toBe(false);
    v = await vmOf(p, 'APP');
    expect(v.disks.map((d) => d.chain.length)).toEqual([1, 1]);
    await expectAllDisksMatchModel(dir);
  });
});

describe('application consistency, VSS writers and integration services', () => {
  it('production falls back to standard (Production) but fails naming the writer (ProductionOnly), 32768', async () => {
    p = await openSmall(dir, '2016', {
      def: smallLab('2016', { checkpointType: 'ProductionOnly' }),
    });
    await p.setFault('SQL', 'failed-vss-writer', true);
    const writers = await p.guestVssWriters('SQL');
    expect(writers.find((w) => w.name === 'SqlServerWriter')).toMatchObject({
      state: '[11] Failed',
      lastError: 'Non-retryable error',
      retryable: false,
    });
    expect(writers.find((w) => w.name === 'System Writer')).toMatchObject({
      state: '[1] Stable',
      id: '{e8132975-6f93-4464-a53e-1050253ae220}',
    });
    const r = await p.createCheckpoint('SQL', { type: 'production', consistency: 'application' });
    expect(r.checkpoint.type).toBe('standard');
    expect(r.consistencyReached).toBe('crash');
    expect(r.fallbackReason).toMatch(/SqlServerWriter/);

    await p.setFault('APP', 'failed-vss-writer', true, 'NTDS');
    const before = (await vmOf(p, 'APP')).disks.map((d) => d.chain.length);
    const e = await errorOf(
      p.createCheckpoint('APP', { type: 'production', consistency: 'application' }),
    );
    expect(e.code).toBe('CHECKPOINT_FAILED');
    expect(e.message).toMatch(/NTDS/);
    expect(e.message).toMatch(/ProductionOnly/);
    expect(e.details).toMatchObject({ hyperVCode: 32768, writer: 'NTDS', hresult: '0x800423F4' });
    expect((await vmOf(p, 'APP')).disks.map((d) => d.chain.length)).toEqual(before);
    expect((await vmOf(p, 'APP')).checkpoints).toEqual([]);
    const failures = (await p.events()).filter((x) => x.id === 60005);
    expect(failures.at(-1)?.message).toMatch(/APP/);

    await p.setFault('APP', 'failed-vss-writer', false);
    expect(
      (await p.createCheckpoint('APP', { type: 'production', consistency: 'application' }))
        .consistencyReached,
    ).toBe('application');
  });

  it('integration services off: event 4093; a recovery checkpoint falls back to crash-consistent, or fails when required', async () => {
    p = await openSmall(dir, '2019');
    await p.setFault('WEB', 'integration-services-off', true);
    const r = await p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' });
    expect(r.consistencyReached).toBe('crash');
    expect(r.fallbackReason).toMatch(/integration service/);
    expect(
      (await p.events()).some(
        (e) => e.id === 4093 && e.log === 'Microsoft-Windows-Hyper-V-Worker-Admin',
      ),
    ).toBe(true);
    const e = await errorOf(
      p.createCheckpoint('WEB', {
        type: 'recovery',
        consistency: 'application',
        requireConsistency: true,
      }),
    );
    expect(e.code).toBe('CHECKPOINT_FAILED');
    expect(e.details).toMatchObject({ event: 4093 });
  });

  it('2012 R2: no SCSI controller → event 10103 and the backup checkpoint fails; a standard checkpoint still works', async () => {
    p = await openSmall(dir, '2012R2');
    const e = await errorOf(
      p.createCheckpoint('OLD', { type: 'recovery', consistency: 'application' }),
    );
    expect(e.code).toBe('CHECKPOINT_FAILED');
    expect(e.details).toMatchObject({ hyperVCode: 32768, event: 10103 });
    const ev = (await p.events()).find((x) => x.id === 10103);
    expect(ev).toMatchObject({
      log: 'Microsoft-Windows-Hyper-V-VMMS-Admin',
      level: 'Error',
      vmName: 'OLD',
    });
    expect(ev?.message).toMatch(
      /^The virtual machine 'OLD' cannot be hot backed up since it has no SCSI controllers attached\. Please add one or more SCSI controllers/,
    );
    expect(
      (await p.createCheckpoint('OLD', { type: 'standard', consistency: 'crash' })).checkpoint.type,
    ).toBe('standard');
    await p.setFault('WEB', 'no-scsi', true);
    expect(
      (await errorOf(p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' })))
        .details,
    ).toMatchObject({ event: 10103 });
    expect((await vmOf(p, 'WEB')).scsiControllers).toBe(0);
    await p.setFault('WEB', 'no-scsi', false);
    const ok = await p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' });
    await p.removeCheckpoint('WEB', ok.checkpoint.id);
  });
});

describe('faults of seed 003 and full volumes', () => {
  it('a locked .avhdx: the first backup works, its merge fails (19100, stays listed), the next backup fails FILE_LOCKED naming the file; power-cycling releases it', async () => {
    p = await openSmall(dir, '2016');
    await p.setFault('SQL', 'avhdx-locked', true);
    const first = await p.createCheckpoint('SQL', { type: 'recovery', consistency: 'application' });
    const locked = (await vmOf(p, 'SQL')).disks[0]?.chain[1]?.path ?? '';
    await p.convertToReferencePoint('SQL', first.checkpoint.id);
    expect(
      (await vmOf(p, 'SQL')).checkpoints.filter((c) => c.type === 'recovery').map((c) => c.id),
    ).toEqual([first.checkpoint.id]);
    expect((await p.events()).some((e) => e.id === 19100 && e.level === 'Error')).toBe(true);
    const e = await errorOf(
      p.createCheckpoint('SQL', { type: 'recovery', consistency: 'application' }),
    );
    expect(e.code).toBe('FILE_LOCKED');
    expect(e.message).toContain(locked);
    expect(e.details).toMatchObject({ file: locked });
    await p.powerOff('SQL');
    await p.powerOn('SQL');
    const v = await vmOf(p, 'SQL');
    expect(v.checkpoints.filter((c) => c.type === 'recovery')).toEqual([]);
    expect(v.disks[0]?.chain).toHaveLength(1);
    await p.setFault('SQL', 'avhdx-locked', false);
    await p.createCheckpoint('SQL', { type: 'recovery', consistency: 'application' });
    await expectAllDisksMatchModel(dir);
  });

  it('a recovery checkpoint that never merges stays listed with its .avhdx, even after power-off (19100)', async () => {
    p = await openSmall(dir, '2016');
    await p.setFault('WEB', 'recovery-checkpoint-never-merges', true);
    const cp = await p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' });
    const avhdx = (await diskFiles(dir, (await vmOf(p, 'WEB')).disks[0]?.id ?? '')).active;
    await p.removeCheckpoint('WEB', cp.checkpoint.id);
    await p.powerOff('WEB');
    const v = await vmOf(p, 'WEB');
    expect(v.checkpoints).toMatchObject([{ id: cp.checkpoint.id, type: 'recovery' }]);
    expect(existsSync(avhdx)).toBe(true);
    const ev = (await p.events()).filter((e) => e.id === 19100);
    expect(ev.at(-1)?.message).toMatch(/background disk merge failed to complete/i);
    await p.setFault('WEB', 'recovery-checkpoint-never-merges', false);
    await p.removeCheckpoint('WEB', cp.checkpoint.id);
    expect(existsSync(avhdx)).toBe(false);
  });

  it('a nearly full CSV: a checkpoint that would exceed the free space fails with OUT_OF_SPACE, nothing created', async () => {
    p = await openSmall(dir, '2016');
    await p.setFault('csv2', 'csv-nearly-full', true);
    const e = await errorOf(
      p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' }),
    );
    expect(e.code).toBe('OUT_OF_SPACE');
    expect(e.message).toMatch(/Cluster Disk 2/);
    expect(e.details).toMatchObject({ csvId: 'csv2' });
    expect((e.details?.freeBytes as number) < (e.details?.neededBytes as number)).toBe(true);
    expect((await vmOf(p, 'APP')).disks.map((d) => d.chain.length)).toEqual([1, 1]);
    expect(
      (await p.inventory()).cluster.csvs.find((c) => c.id === 'csv2')?.freeBytes,
    ).toBeLessThanOrEqual(8 * MiB);
    expect(
      (await p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' })).checkpoint
        .type,
    ).toBe('recovery');
    await p.setFault('csv2', 'csv-nearly-full', false);
    await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
  });

  it('guest cluster VHD Set errors 32768, 32770, 32775 carry their documented reasons', async () => {
    p = await openSmall(dir, '2016');
    const want: Record<number, RegExp> = {
      32768:
        /Failed to create checkpoint on collection 'GC'.*query the cluster service inside the Guest VM/,
      32770:
        /Active-active access is not supported for the shared VHDX in VM group.*used as a Cluster Shared Volume/,
      32775: /More than one VM claimed to be the owner of shared VHDX in VM group 'GC'.*offline/,
    };
    for (const code of [32768, 32770, 32775]) {
      await p.setFault('N1', 'vhd-set-error', true, String(code));
      const e = await errorOf(
        p.createCheckpoint('N1', { type: 'recovery', consistency: 'application' }),
      );
      expect(e.code).toBe('CHECKPOINT_FAILED');
      expect(e.details).toMatchObject({ hyperVCode: code, collection: 'GC' });
      expect(e.message).toMatch(want[code] ?? /x/);
    }
    expect((await errorOf(p.setFault('APP', 'vhd-set-error', true, '32770'))).code).toBe(
      'VALIDATION',
    );
    await p.setFault('N1', 'vhd-set-error', false);
    await p.createCheckpoint('N1', { type: 'recovery', consistency: 'application' });
  });
});

describe('events', () => {
  it('are written with ids, consecutive seq, VM, operation and task id, and reach subscribers', async () => {
    p = await openSmall(dir, '2016');
    const got: HyperVEvent[] = [];
    const off = p.subscribe((c) => c.event && got.push(c.event));
    const app = await vmOf(p, 'APP');
    const cp = await p.createCheckpoint('APP', {
      type: 'recovery',
      consistency: 'application',
      taskId: 'task-42',
    });
    await p.removeCheckpoint('APP', cp.checkpoint.id, { taskId: 'task-43' });
    off();
    const all = await p.events();
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    const created = all.find((e) => e.id === 60001);
    expect(created).toMatchObject({
      vmId: app.id,
      vmName: 'APP',
      operation: 'checkpoint',
      taskId: 'task-42',
      level: 'Information',
    });
    expect(created?.message).toContain(`(Virtual machine ID ${app.id.toUpperCase()})`);
    expect((await p.events({ taskId: 'task-43' })).map((e) => e.id)).toEqual(
      expect.arrayContaining([60002, 60003]),
    );
    expect(got.map((e) => e.seq)).toEqual(all.filter((e) => e.seq > 1).map((e) => e.seq));
    expect(await p.events({ sinceSeq: all.length - 1 })).toHaveLength(1);
  });
});

describe('slow storage', () => {
  it('the slow-storage fault makes a checkpoint hand out its disks with a read rate, and is validated', async () => {
    p = await openSmall(dir, '2019');
    await p.setFault('APP', 'slow-storage', true, '5');
    const cp = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'crash' });
    const disks = await p.frozenDisks('APP', cp.checkpoint.id);
    expect(disks.length).toBe(2);
    expect(disks.every((d) => d.readBytesPerSecond === 5e6)).toBe(true);
    expect((await errorOf(p.setFault('APP', 'slow-storage', true, 'fast'))).code).toBe(
      'VALIDATION',
    );
    await p.setFault('APP', 'slow-storage', false);
    const again = await p.frozenDisks('APP', cp.checkpoint.id);
    expect(again.some((d) => d.readBytesPerSecond !== undefined)).toBe(false);
  });
});
