import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isReset, readWriteLog, rctStatus } from '../../../electron/services/providers/lab/journal';
import {
  diskModel,
  verifyChain,
  verifyDiskNow,
} from '../../../electron/services/providers/lab/model';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { LabProvider as Lab } from '../../../electron/services/providers/lab/provider';
import type { ReplaceRequest } from '../../../electron/services/providers/lab/restore-in-place';
import { readLabFile } from '../../../electron/services/providers/lab/store';
import { createVhdx, openChain } from '../../../electron/services/vhdx';
import { tempDir } from '../../helpers/tmp';
import { Children, kill9 } from './children';
import { chainHash, expectAllDisksMatchModel, MiB, openSmall, sha, vmOf } from './helpers';

const CHILD = path.join(__dirname, 'replace-child.ts');
let tmp: ReturnType<typeof tempDir>;
let dir: string;
const children = new Children(CHILD);
beforeEach(() => {
  tmp = tempDir('hvbc-labreplace-');
  dir = path.join(tmp.dir, 'lab');
});
afterEach(() => {
  children.killAll();
  tmp.cleanup();
});

/** Every file under the lab's storage (relative path → SHA-256 of its bytes). */
async function storageFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const root = path.join(dir, 'ClusterStorage');
  for (const rel of (await fs.readdir(root, { recursive: true })) as string[]) {
    const abs = path.join(root, rel);
    if ((await fs.stat(abs)).isFile()) out[rel] = sha(abs);
  }
  return out;
}

/** A restored copy of a disk as of a checkpoint, written from the lab's model, beside the disk's base file. */
async function stage(diskId: string, checkpointId?: string, name = 'staged'): Promise<string> {
  const lab = await readLabFile(dir);
  const d = lab.state.disks[diskId];
  const base = path.join(dir, d?.files.base?.path ?? '');
  const file = path.join(path.dirname(base), `${path.basename(base, '.vhdx')}.${name}.vhdx`);
  const m = await diskModel(dir, diskId, checkpointId);
  const img = await createVhdx(file, {
    type: 'dynamic',
    virtualSize: m.virtualSize,
    blockSize: 2 * MiB,
  });
  for (const r of m.written())
    for (let o = r.offset; o < r.offset + r.length; o += MiB) {
      const n = Math.min(MiB, r.offset + r.length - o);
      await img.write(o, m.read(o, n));
    }
  await img.close();
  return file;
}

/**
 * APP (2019, two disks) with guest I/O, a recovery checkpoint `cp` (the content to restore), more I/O, a standard
 * checkpoint and more I/O; then turned off, with a staged copy of each disk as of `cp`.
 */
async function prepare(): Promise<{
  p: LabProvider;
  cp: string;
  reps: ReplaceRequest[];
  live: Record<string, string>;
}> {
  const p = await openSmall(dir, '2019');
  await p.ioBurst('APP', { bytes: MiB, seed: 1 });
  const cp = (await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' }))
    .checkpoint.id;
  await p.ioBurst('APP', { bytes: MiB, seed: 2 });
  await p.createCheckpoint('APP', { type: 'standard', consistency: 'crash', name: 'later' });
  await p.ioBurst('APP', { bytes: MiB, seed: 3 });
  await p.powerOff('APP');
  const app = await vmOf(p, 'APP');
  const reps: ReplaceRequest[] = [];
  const live: Record<string, string> = {};
  const lab = await readLabFile(dir);
  for (const d of app.disks) {
    reps.push({ diskRef: d.id, stagedFile: await stage(d.id, cp), fromCheckpointId: cp });
    const st = lab.state.disks[d.id];
    live[d.id] = await chainHash(path.join(dir, st?.files[st.active]?.path ?? ''));
  }
  return { p, cp, reps, live };
}

/** What a finished in-place restore of APP leaves: base files alone with the content of `cp`, no checkpoints. */
async function expectRestored(p: LabProvider, cp: string, live: Record<string, string>) {
  const lab = await readLabFile(dir);
  expect(lab.state.intents).toEqual([]);
  const app = await vmOf(p, 'APP');
  expect(app.checkpoints.filter((c) => c.type !== 'reference-point')).toEqual([]);
  expect(lab.state.vmCurrent[app.id]).toBeNull();
  for (const d of app.disks) {
    const st = lab.state.disks[d.id];
    expect(Object.keys(st?.files ?? {})).toEqual(['base']);
    expect(st?.active).toBe('base');
    expect((await verifyDiskNow(dir, d.id)).ok).toBe(true);
    const base = path.join(dir, st?.files.base?.path ?? '');
    expect((await verifyChain(dir, d.id, base, cp)).ok).toBe(true);
    const resets = (await readWriteLog(dir, d.id)).filter(isReset);
    expect(resets).toHaveLength(1);
    expect(resets[0]?.from).toBe(cp);
    expect((await rctStatus(dir, d.id))?.reason).toMatch(/^in-place restore of APP\//);
    // The replaced chain is kept whole in the quarantine folder and still reads as the disk did before.
    const q = path.join(path.dirname(base), '.hvbc-replaced');
    const [stamp] = await fs.readdir(q);
    const kept = await fs.readdir(path.join(q, stamp ?? ''));
    expect(kept.filter((n) => n.endsWith('.vhdx'))).toEqual([path.basename(base)]);
    expect(kept.filter((n) => n.endsWith('.avhdx'))).toHaveLength(2);
    const leaf = (
      await Promise.all(
        kept
          .filter((n) => n.endsWith('.avhdx'))
          .map(async (n) => {
            const c = await openChain(path.join(q, stamp ?? '', n));
            const depth = c.files.length;
            await c.close();
            return { n, depth };
          }),
      )
    ).sort((a, b) => b.depth - a.depth)[0];
    expect(leaf?.depth).toBe(3);
    expect(await chainHash(path.join(q, stamp ?? '', leaf?.n ?? ''))).toBe(live[d.id]);
    expect((await fs.readdir(path.dirname(base))).filter((n) => n.includes('staged'))).toEqual([]);
  }
}

describe('in-place restore in the lab', () => {
  it('puts staged copies in place: old chains quarantined, checkpoints gone, model and change tracking reset', async () => {
    const { p, cp, reps, live } = await prepare();
    const r = await p.replaceDisksInPlace('APP', reps, { source: 'a test copy' });
    expect(r.checkpointsRemoved.map((c) => c.type).sort()).toEqual(['recovery', 'standard']);
    expect(r.changeTrackingReset).toBe(true);
    expect(r.disks.every((d) => d.movedFiles.length === 3)).toBe(true);
    await expectRestored(p, cp, live);
    const events = await p.events();
    expect(events.filter((e) => e.operation === 'restore-in-place').map((e) => e.id)).toEqual([
      60002, 60002, 60023, 60022, 60022,
    ]);
    expect(events.find((e) => e.id === 60023)?.message).toMatch(
      /'APP' was restored in place from a test copy: .*2 checkpoint\(s\) were removed/,
    );
    const check = await p.reconcile();
    expect(check.orphans).toEqual([]);
    expect(check.missing).toEqual([]);
    // Life goes on: guest I/O, checkpoints and merges keep the model right.
    await p.powerOn('APP');
    await p.ioBurst('APP', { bytes: MiB, seed: 4 });
    const again = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'crash' });
    await p.ioBurst('APP', { bytes: MiB, seed: 5 });
    await p.removeCheckpoint('APP', again.checkpoint.id);
    expect(await expectAllDisksMatchModel(dir)).toBeGreaterThan(0);
    await p.close();
  });

  it('replacing one disk of two: the other keeps its content and merges its checkpoint files', async () => {
    const { p, reps, live } = await prepare();
    const [first, second] = (await vmOf(p, 'APP')).disks;
    const r = await p.replaceDisksInPlace('APP', [reps[0] as ReplaceRequest]);
    expect(r.disks.map((d) => d.diskId)).toEqual([first?.id]);
    const after = await vmOf(p, 'APP');
    expect(after.checkpoints.filter((c) => c.type !== 'reference-point')).toEqual([]);
    expect(after.disks.map((d) => d.chain.length)).toEqual([1, 1]);
    const other = (await readLabFile(dir)).state.disks[second?.id ?? ''];
    const otherFile = path.join(dir, other?.files[other.active]?.path ?? '');
    expect(await chainHash(otherFile)).toBe(live[second?.id ?? '']);
    expect((await readWriteLog(dir, second?.id ?? '')).filter(isReset)).toEqual([]);
    expect(await expectAllDisksMatchModel(dir)).toBeGreaterThan(0);
    // The copy staged for the other disk was not used: the lab reports it as an orphan, nothing else.
    expect((await p.reconcile()).orphans).toEqual([
      path
        .relative(dir, (reps[1] as ReplaceRequest).stagedFile)
        .split(path.sep)
        .join('/'),
    ]);
    await p.close();
  });

  it('refuses without changing anything: VM running, content not of the checkpoint, wrong folder, unknown checkpoint', async () => {
    const { p, cp, reps } = await prepare();
    const files = await storageFiles();
    const state = JSON.stringify((await readLabFile(dir)).state);
    const refusal = (x: Promise<unknown>) =>
      x.then(
        () => {
          throw new Error('expected a refusal');
        },
        (e: unknown) => e as { code: string; message: string },
      );

    await p.powerOn('APP');
    const running = await refusal(p.replaceDisksInPlace('APP', reps));
    expect(running).toMatchObject({ code: 'CONFLICT' });
    expect(running.message).toMatch(/'APP' is running: turn it off first/);
    await p.powerOff('APP');
    const afterPower = await storageFiles();

    const first = reps[0] as ReplaceRequest;
    const now = await stage(first.diskRef, undefined, 'now');
    const wrong = await refusal(
      p.replaceDisksInPlace('APP', [{ ...first, stagedFile: now }, ...reps.slice(1)]),
    );
    expect(wrong.code).toBe('CONFLICT');
    expect(wrong.message).toMatch(/does not hold what .* held at checkpoint/);
    await fs.rm(now);

    const elsewhere = path.join(tmp.dir, 'copy.vhdx');
    await fs.copyFile(first.stagedFile, elsewhere);
    const folder = await refusal(
      p.replaceDisksInPlace('APP', [{ ...first, stagedFile: elsewhere }]),
    );
    expect(folder.code).toBe('VALIDATION');
    expect(folder.message).toMatch(/must be in the same folder/);

    const unknown = await refusal(
      p.replaceDisksInPlace('APP', [{ ...first, fromCheckpointId: 'no-such-checkpoint' }]),
    );
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toMatch(/no record of checkpoint no-such-checkpoint/);

    const none = await refusal(
      p.replaceDisksInPlace('APP', [{ diskRef: first.diskRef, stagedFile: first.stagedFile }]),
    );
    expect(none.code).toBe('VALIDATION');

    expect(await storageFiles()).toEqual(afterPower);
    expect(Object.keys(afterPower).sort()).toEqual(Object.keys(files).sort());
    const st = (await readLabFile(dir)).state;
    expect(st.intents).toEqual([]);
    expect(JSON.stringify(st.checkpoints)).toBe(JSON.stringify(JSON.parse(state).checkpoints));
    expect(JSON.stringify(st.disks)).toBe(JSON.stringify(JSON.parse(state).disks));
    expect((await vmOf(p, 'APP')).checkpoints.some((c) => c.id === cp)).toBe(true);
    await p.close();
  });

  it('killed after the old files moved: the next open finishes the restore', async () => {
    const { p, cp, reps, live } = await prepare();
    const app = (await vmOf(p, 'APP')).id;
    await p.close();
    const c = await children.start(
      [dir, app, JSON.stringify(reps)],
      'HVBC_LAB_PAUSED replace:after-quarantine',
      { HVBC_LAB_PAUSE: 'replace:after-quarantine' },
    );
    await kill9(c);
    expect((await readLabFile(dir)).state.intents.map((i) => i.kind)).toEqual(['replace']);
    const q = await Lab.open(dir, { lockWaitMs: 500 });
    expect(q.lastReconcile.completed.join(' ')).toMatch(
      /in-place restore of 'APP' from a test copy .* completed/,
    );
    expect(q.lastReconcile.orphans).toEqual([]);
    expect(q.lastReconcile.missing).toEqual([]);
    await expectRestored(q, cp, live);
    await q.close();
  });

  it('killed after the old files moved and a staged copy lost: the next open rolls back, the VM keeps its disks', async () => {
    const { p, reps } = await prepare();
    const app = await vmOf(p, 'APP');
    const files = await storageFiles();
    const state = (await readLabFile(dir)).state;
    await p.close();
    const c = await children.start(
      [dir, app.id, JSON.stringify(reps)],
      'HVBC_LAB_PAUSED replace:after-quarantine',
      { HVBC_LAB_PAUSE: 'replace:after-quarantine' },
    );
    await kill9(c);
    await fs.rm((reps[0] as ReplaceRequest).stagedFile);
    const q = await Lab.open(dir, { lockWaitMs: 500 });
    expect(q.lastReconcile.completed.join(' ')).toMatch(/rolled back/);
    const lab = await readLabFile(dir);
    expect(lab.state.intents).toEqual([]);
    expect(JSON.stringify(lab.state.disks)).toBe(JSON.stringify(state.disks));
    expect(JSON.stringify(lab.state.checkpoints)).toBe(JSON.stringify(state.checkpoints));
    // Every old file is back where it was, unchanged; the staged copies are gone.
    const staged = reps.map((r) => path.relative(path.join(dir, 'ClusterStorage'), r.stagedFile));
    const want = Object.fromEntries(Object.entries(files).filter(([k]) => !staged.includes(k)));
    expect(await storageFiles()).toEqual(want);
    expect(q.lastReconcile.orphans).toEqual([]);
    for (const d of app.disks) expect((await readWriteLog(dir, d.id)).filter(isReset)).toEqual([]);
    expect(await expectAllDisksMatchModel(dir)).toBeGreaterThan(0);
    await q.close();
  });
});
