import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { flagsOf } from '../../../shared/topology';
import { tempDir } from '../../helpers/tmp';
import { diskFiles, expectAllDisksMatchModel, MiB, openSmall, vmOf } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let p: LabProvider;
beforeEach(() => {
  tmp = tempDir('hvbc-labcl-');
});
afterEach(async () => {
  await p?.close();
  tmp.cleanup();
});

async function csv(id: string) {
  const c = (await p.inventory()).cluster.csvs.find((x) => x.id === id);
  if (!c) throw new Error(id);
  return c;
}

describe('CSV snapshots in 2012 R2 mode (seed 000)', () => {
  it('a backup checkpoint moves the CSV to the VM node, puts it in redirected access, and its ownership cannot move meanwhile', async () => {
    p = await openSmall(path.join(tmp.dir, 'lab'), '2012R2', { csvWaitMs: 0 });
    expect((await csv('csv2')).ownerNode).toBe('HV-B');
    const cp = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    const c2 = await csv('csv2');
    expect(c2.ownerNode).toBe('HV-A');
    expect(c2.states).toEqual([
      { node: 'HV-A', state: 'Direct', reason: '' },
      {
        node: 'HV-B',
        state: 'FileSystemRedirected',
        reason: 'BackupInProgress (snapshot by HV-A)',
      },
    ]);
    const inv = await p.inventory();
    const sql = inv.vms.find((v) => v.name === 'SQL');
    expect(
      flagsOf(inv)
        .get(sql?.id ?? '')
        ?.map((f) => f.kind),
    ).toContain('csv-redirected');
    await expect(p.moveCsv('csv2', 'HV-B')).rejects.toMatchObject({
      code: 'CSV_BUSY',
      message: expect.stringMatching(/redirected access.*HV-A.*APP/),
    });
    expect((await csv('csv2')).ownerNode).toBe('HV-A');
    const evs = await p.events();
    expect(evs.some((e) => e.id === 60010 && /moved from HV-B to HV-A/.test(e.message))).toBe(true);
    expect(evs.some((e) => e.id === 60011)).toBe(true);
    expect(evs.some((e) => e.id === 60013)).toBe(true);

    await p.removeCheckpoint('APP', cp.checkpoint.id);
    expect((await csv('csv2')).states.every((s) => s.state === 'Direct')).toBe(true);
    await p.moveCsv('csv2', 'HV-B');
    expect((await csv('csv2')).ownerNode).toBe('HV-B');
  });

  it("another node's snapshot request on the same CSV fails with CSV_BUSY after the bounded wait", async () => {
    p = await openSmall(path.join(tmp.dir, 'lab'), '2012R2', { csvWaitMs: 0 });
    await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    const t0 = Date.now();
    const err = await p
      .createCheckpoint('SQL', { type: 'recovery', consistency: 'application', csvWaitMs: 300 })
      .catch(
        (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
      );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(err).toMatchObject({
      code: 'CSV_BUSY',
      details: { csvId: 'csv2', holderNode: 'HV-A', requestingNode: 'HV-B' },
    });
    expect((err as { message: string }).message).toMatch(
      /Cluster Disk 2 is in redirected access: HV-A holds a host-level VSS snapshot of it for the backup of APP/,
    );
    expect((await vmOf(p, 'SQL')).checkpoints).toEqual([]);
  });

  it("another node's snapshot request waits and proceeds once the first backup ends", async () => {
    p = await openSmall(path.join(tmp.dir, 'lab'), '2012R2');
    const first = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    const t0 = Date.now();
    const second = p.createCheckpoint('SQL', {
      type: 'recovery',
      consistency: 'application',
      csvWaitMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    await p.removeCheckpoint('APP', first.checkpoint.id);
    const r = await second;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(r.checkpoint.type).toBe('recovery');
    expect((await csv('csv2')).ownerNode).toBe('HV-B');
  });

  it('snapshots of the same node share the CSV; it stays redirected until the last one ends', async () => {
    p = await openSmall(path.join(tmp.dir, 'lab'), '2012R2', { csvWaitMs: 0 });
    await p.liveMigrate('WEB', 'HV-A');
    const a = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    const w = await p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' });
    await p.removeCheckpoint('APP', a.checkpoint.id);
    expect((await csv('csv1')).states.some((s) => s.state !== 'Direct')).toBe(true);
    await p.removeCheckpoint('WEB', w.checkpoint.id);
    expect((await csv('csv1')).states.every((s) => s.state === 'Direct')).toBe(true);
  });

  it('on 2016 a backup checkpoint takes no host snapshot: CSVs stay direct and ownership can move', async () => {
    p = await openSmall(path.join(tmp.dir, 'lab'), '2016');
    await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    expect((await csv('csv2')).states.every((s) => s.state === 'Direct')).toBe(true);
    expect((await csv('csv2')).ownerNode).toBe('HV-B');
    await p.moveCsv('Cluster Disk 2', 'HV-A');
    expect((await csv('csv2')).ownerNode).toBe('HV-A');
  });
});

describe('migrations', () => {
  it('live migration changes the host; bad targets are refused with clear codes', async () => {
    p = await openSmall(path.join(tmp.dir, 'lab'), '2019');
    await p.liveMigrate('APP', 'HV-B');
    expect((await vmOf(p, 'APP')).hostNode).toBe('HV-B');
    await expect(p.liveMigrate('APP', 'HV-B')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(p.liveMigrate('APP', 'HV-Z')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('HV-A, HV-B'),
    });
    await expect(p.liveMigrate('NOPE', 'HV-A')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await p.events()).some((e) => e.id === 60020 && e.vmName === 'APP')).toBe(true);
  });

  it('storage migration moves every file of a disk (checkpoint chain included) to the other CSV; the chain still reads', async () => {
    const dir = path.join(tmp.dir, 'lab');
    p = await openSmall(dir, '2019');
    const app = await vmOf(p, 'APP');
    const d1 = app.disks[1]?.id ?? '';
    await p.createCheckpoint('APP', { type: 'standard', consistency: 'crash' });
    await p.ioBurst('APP', { bytes: MiB, seed: 3 });
    const before = await diskFiles(dir, d1);
    await p.storageMigrate('APP', 'APP-data.vhdx', 'csv3');
    const after = await diskFiles(dir, d1);
    expect(before.files.every((f) => !existsSync(f))).toBe(true);
    expect(
      after.files.every(
        (f) => existsSync(f) && f.includes('/ClusterStorage/Volume3/APP/Virtual Hard Disks/'),
      ),
    ).toBe(true);
    expect(
      (await vmOf(p, 'APP')).disks[1]?.chain.map((c) => c.path.split('\\').slice(0, 4).join('\\')),
    ).toEqual(['C:\\ClusterStorage\\Volume3\\APP', 'C:\\ClusterStorage\\Volume3\\APP']);
    await p.ioBurst('APP', { bytes: MiB, seed: 4 });
    await expectAllDisksMatchModel(dir);
    await expect(p.storageMigrate('APP', 'APP-data.vhdx', 'csv3')).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});
