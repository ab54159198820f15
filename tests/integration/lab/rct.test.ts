import { rmSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWriteLog, writtenSince } from '../../../electron/services/providers/lab/journal';
import { expectedDiskContent } from '../../../electron/services/providers/lab/model';
import { LabProvider } from '../../../electron/services/providers/lab/provider';
import { readLabFile } from '../../../electron/services/providers/lab/store';
import { openChain } from '../../../electron/services/vhdx';
import { tempDir } from '../../helpers/tmp';
import { MiB, openSmall, smallLab, vmOf } from './helpers';

describe('resilient change tracking (2016+)', () => {
  const tmp = tempDir('hvbc-labrct-');
  const dir = path.join(tmp.dir, 'lab');
  let p: LabProvider;
  beforeAll(async () => {
    p = await openSmall(dir, '2016');
  });
  afterAll(async () => {
    await p.close();
    tmp.cleanup();
  });

  async function backupPoint(vm: string) {
    const cp = await p.createCheckpoint(vm, { type: 'recovery', consistency: 'application' });
    const frozen = await p.frozenDisks(vm, cp.checkpoint.id);
    const rp = await p.convertToReferencePoint(vm, cp.checkpoint.id);
    return { cp: cp.checkpoint.id, rp, frozen };
  }

  /** The real disk content now differs from `before` only inside `ranges`. */
  async function changesInside(
    chainPath: string,
    before: Buffer,
    ranges: { offset: number; length: number }[],
  ) {
    const chain = await openChain(chainPath);
    const now = await chain.read(0, chain.virtualSize);
    await chain.close();
    const inside = new Uint8Array(now.length);
    for (const r of ranges) inside.fill(1, r.offset, r.offset + r.length);
    let changedOutside = 0;
    let changedInside = 0;
    for (let i = 0; i < now.length; i++) {
      if (now[i] === before[i]) continue;
      if (inside[i]) changedInside++;
      else changedOutside++;
    }
    return { changedOutside, changedInside };
  }

  it('changedRanges equals the union of the generator log since the reference point (property over seeds)', async () => {
    const app = await vmOf(p, 'APP');
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            kib: fc.integer({ min: 4, max: 1024 }),
            hot: fc.boolean(),
            standardCheckpoint: fc.boolean(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (bursts) => {
          const before = await expectedDiskContent(dir, app.disks[0]?.id ?? '');
          const { cp, rp } = await backupPoint('APP');
          expect(Object.keys(rp.rctIds).sort()).toEqual(app.disks.map((d) => d.id).sort());
          for (const b of bursts) {
            // A standard checkpoint taken and removed in between: change tracking must see through the merge.
            const sc = b.standardCheckpoint
              ? await p.createCheckpoint('APP', { type: 'standard', consistency: 'crash' })
              : undefined;
            await p.ioBurst('APP', {
              bytes: b.kib * 1024,
              seed: b.seed,
              pattern: b.hot ? 'hotspot' : 'scattered',
            });
            if (sc) await p.removeCheckpoint('APP', sc.checkpoint.id);
          }
          for (const d of app.disks) {
            const got = await p.changedRanges('APP', d.id, rp.id);
            const want = writtenSince(await readWriteLog(dir, d.id), cp);
            expect(got).toEqual({ kind: 'ranges', ranges: want, virtualSize: d.virtualSize });
          }
          // Independent of the logs: the real VHDX content changed only inside the reported ranges.
          const first = await p.changedRanges('APP', app.disks[0]?.id ?? '', rp.id);
          const active = (await vmOf(p, 'APP')).disks[0]?.chain.length;
          expect(active).toBe(1);
          const lab = await readLabFile(dir);
          const d0 = lab.state.disks[app.disks[0]?.id ?? ''];
          const c = await changesInside(
            path.join(dir, d0?.files[d0.active]?.path ?? ''),
            before,
            first.kind === 'ranges' ? first.ranges : [],
          );
          expect(c.changedOutside).toBe(0);
          await p.removeReferencePoint('APP', rp.id);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('nothing written since the reference point → no ranges; the ranges follow the VM through a live migration and a reopen', async () => {
    const { rp } = await backupPoint('SQL');
    const sql = await vmOf(p, 'SQL');
    const disk = sql.disks[0]?.id ?? '';
    expect(await p.changedRanges('SQL', disk, rp.id)).toMatchObject({ kind: 'ranges', ranges: [] });
    await p.ioBurst('SQL', { bytes: 512 * 1024, seed: 77 });
    await p.liveMigrate('SQL', 'HV-A');
    await p.ioBurst('SQL', { bytes: 256 * 1024, seed: 78 });
    const before = await p.changedRanges('SQL', disk, rp.id);
    expect(before.kind === 'ranges' && before.ranges.length).toBeGreaterThan(0);
    await p.close();
    p = await LabProvider.open(dir);
    expect(await p.changedRanges('SQL', disk, rp.id)).toEqual(before);
    expect(await p.listReferencePoints('SQL')).toEqual([rp]);
  });

  it('storage migration resets change tracking: full backup required, with the reason; a new reference point works again', async () => {
    const { rp } = await backupPoint('WEB');
    const web = await vmOf(p, 'WEB');
    const disk = web.disks[0]?.id ?? '';
    await p.ioBurst('WEB', { bytes: 256 * 1024, seed: 5 });
    await p.storageMigrate('WEB', 'WEB.vhdx', 'csv3');
    const moved = await vmOf(p, 'WEB');
    expect(moved.disks[0]?.csvId).toBe('csv3');
    expect(moved.disks[0]?.path).toBe(
      'C:\\ClusterStorage\\Volume3\\WEB\\Virtual Hard Disks\\WEB.vhdx',
    );
    const r = await p.changedRanges('WEB', disk, rp.id);
    expect(r.kind).toBe('full-required');
    expect(r.kind === 'full-required' && r.reason).toMatch(
      /reset .*storage migration of WEB\/WEB\.vhdx from Cluster Disk 1 to Cluster Disk 3/,
    );
    expect((await p.events()).some((e) => e.id === 60022)).toBe(true);
    const again = await backupPoint('WEB');
    await p.ioBurst('WEB', { bytes: 128 * 1024, seed: 6 });
    const r2 = await p.changedRanges('WEB', disk, again.rp.id);
    expect(r2.kind === 'ranges' && r2.ranges).toEqual(
      writtenSince(await readWriteLog(dir, disk), again.cp),
    );
  });

  it('a lost change-tracking file means a full backup, with the reason; so does an unknown reference point', async () => {
    const { rp } = await backupPoint('N2');
    const n2 = await vmOf(p, 'N2');
    const disk = n2.disks[0]?.id ?? '';
    rmSync(path.join(dir, 'rct', `${disk}.rct`));
    const r = await p.changedRanges('N2', disk, rp.id);
    expect(r).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/missing \(deleted or lost\)/),
    });
    await p.ioBurst('N2', { bytes: 64 * 1024, seed: 1, disk: 'N2.vhdx' });
    const r2 = await p.changedRanges('N2', disk, rp.id);
    expect(r2).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/reset .*was missing/),
    });
    expect(await p.changedRanges('N2', disk, 'no-such-reference-point')).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/does not exist/),
    });
  });

  it('only recovery checkpoints convert to reference points', async () => {
    const sc = await p.createCheckpoint('N1', { type: 'standard', consistency: 'crash' });
    await expect(p.convertToReferencePoint('N1', sc.checkpoint.id)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await p.removeCheckpoint('N1', sc.checkpoint.id);
  });
});

describe('no change tracking before 2016 or below configuration version 6.2', () => {
  const tmp = tempDir('hvbc-labnorct-');
  afterAll(() => tmp.cleanup());

  it('2012 R2 → full-required with the reason; reference points are unsupported', async () => {
    const p = await openSmall(path.join(tmp.dir, 'r2'), '2012R2');
    const app = await vmOf(p, 'APP');
    const r = await p.changedRanges('APP', app.disks[0]?.id ?? '', 'anything');
    expect(r).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/2012R2 has no native change tracking/),
    });
    const cp = await p.createCheckpoint('WEB', { type: 'recovery', consistency: 'application' });
    await expect(p.convertToReferencePoint('WEB', cp.checkpoint.id)).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    await p.removeCheckpoint('WEB', cp.checkpoint.id);
    await p.close();
  });

  it('a configuration version 5.0 VM on a 2016 host → full-required', async () => {
    const q = await openSmall(path.join(tmp.dir, 'v5b'), '2016', {
      def: smallLab('2016', { configVersion: '5.0' }),
    });
    const cp = await q.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    const rp = await q.convertToReferencePoint('APP', cp.checkpoint.id);
    expect(rp.rctIds).toEqual({});
    await q.ioBurst('APP', { bytes: MiB, seed: 2 });
    const app = await vmOf(q, 'APP');
    expect(await q.changedRanges('APP', app.disks[0]?.id ?? '', rp.id)).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/configuration version 5\.0/),
    });
    await q.close();
  });
});
