import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabProvider } from '../../../electron/services/providers/lab/provider';
import { createLabFile, readLabFile } from '../../../electron/services/providers/lab/store';
import { Inventory } from '../../../shared/model';
import { tempDir } from '../../helpers/tmp';
import { Children, kill9 } from './children';
import { expectAllDisksMatchModel, MiB, openSmall, smallLab, vmOf } from './helpers';

const CHILD = path.join(__dirname, 'lab-child.ts');
let tmp: ReturnType<typeof tempDir>;
let dir: string;
const children = new Children(CHILD);
beforeEach(() => {
  tmp = tempDir('hvbc-labdur-');
  dir = path.join(tmp.dir, 'lab');
});
afterEach(() => {
  children.killAll();
  tmp.cleanup();
});

describe('two processes on one lab', () => {
  it('a changing operation waits briefly for the lock, then gets LAB_LOCKED naming the holder; reads still work', async () => {
    const p = await openSmall(dir, '2016', { lockWaitMs: 200 });
    const holder = await children.start(['hold-lock', dir, '4000'], 'LOCKED');
    const t0 = Date.now();
    const err = await p
      .createCheckpoint('APP', { type: 'standard', consistency: 'crash' })
      .catch(
        (e: unknown) =>
          e as { code: string; message: string; details: { holder: { pid: number } } },
      );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(err).toMatchObject({
      code: 'LAB_LOCKED',
      details: {
        holder: { pid: holder.pid, host: os.hostname(), operation: 'test: holding the lock' },
      },
    });
    expect((err as { message: string }).message).toMatch(
      new RegExp(`process ${holder.pid} on .*holds lab\\.lock`),
    );
    // The console's reads do not need the lock.
    Inventory.parse(await p.inventory());
    expect((await p.events()).length).toBeGreaterThan(0);
    expect((await vmOf(p, 'APP')).checkpoints).toEqual([]);
    await kill9(holder);
    await p.close();
  });

  it('waits when the other process finishes within the wait', async () => {
    const p = await openSmall(dir, '2016', { lockWaitMs: 8000 });
    await children.start(['hold-lock', dir, '400'], 'LOCKED');
    const t0 = Date.now();
    await p.ioBurst('APP', { bytes: MiB, seed: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await p.close();
  });

  it('a lock left by a dead process is taken over', async () => {
    const p = await openSmall(dir, '2016', { lockWaitMs: 100 });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(
      path.join(dir, 'lab.lock'),
      JSON.stringify({
        pid: dead.pid,
        host: os.hostname(),
        time: new Date().toISOString(),
        operation: 'checkpoint',
      }),
    );
    await p.createCheckpoint('APP', { type: 'standard', consistency: 'crash' });
    expect(existsSync(path.join(dir, 'lab.lock'))).toBe(false);
    await p.close();
  });
});

describe('a process killed mid-operation', () => {
  it('a lab whose creation stopped before its disks were made gets them at the next open', async () => {
    await createLabFile(dir, smallLab('2019'), { disks: 'lazy' });
    expect((await readLabFile(dir)).state.disks).toSatisfy(
      (d: Record<string, { materialized: boolean }>) =>
        Object.values(d).every((x) => !x.materialized),
    );
    const p = await LabProvider.open(dir);
    expect(Object.values((await readLabFile(dir)).state.disks).every((x) => x.materialized)).toBe(
      true,
    );
    expect(await expectAllDisksMatchModel(dir)).toBe(8);
    await p.close();
  });

  it('killed after the new .avhdx files exist but before the state: reopens consistent, the files reported as orphans', async () => {
    const p = await openSmall(dir, '2016');
    await p.ioBurst('APP', { bytes: MiB, seed: 1 });
    await p.close();
    const c = await children.start(
      ['checkpoint', dir, 'APP'],
      'HVBC_LAB_PAUSED checkpoint:after-files',
      {
        HVBC_LAB_PAUSE: 'checkpoint:after-files',
      },
    );
    await kill9(c);
    expect(JSON.parse(readFileSync(path.join(dir, 'lab.lock'), 'utf8'))).toMatchObject({
      pid: c.pid,
    });
    const q = await LabProvider.open(dir, { lockWaitMs: 500 });
    expect(q.lastReconcile.orphans).toHaveLength(2);
    expect(
      q.lastReconcile.orphans.every((o) => /APP-(os|data)_[0-9A-F-]{36}\.avhdx$/.test(o)),
    ).toBe(true);
    expect(q.lastReconcile.missing).toEqual([]);
    const app = await vmOf(q, 'APP');
    expect(app.checkpoints).toEqual([]);
    expect(app.disks.map((d) => d.chain.length)).toEqual([1, 1]);
    expect(
      (await q.events()).some(
        (e) => e.id === 60091 && /2 file\(s\) on disk that no VM uses/.test(e.message),
      ),
    ).toBe(true);
    await q.ioBurst('APP', { bytes: MiB, seed: 2 });
    await expectAllDisksMatchModel(dir);
    await q.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    await expectAllDisksMatchModel(dir);
    await q.close();
  });

  it('killed in the middle of a merge: the next open finishes it from the intent, content intact', async () => {
    const p = await openSmall(dir, '2016');
    const cp = await p.createCheckpoint('APP', { type: 'recovery', consistency: 'application' });
    await p.ioBurst('APP', { bytes: 2 * MiB, seed: 3 });
    await p.close();
    const c = await children.start(
      ['remove', dir, 'APP', cp.checkpoint.id],
      'HVBC_LAB_PAUSED intent:after-files',
      { HVBC_LAB_PAUSE: 'intent:after-files' },
    );
    await kill9(c);
    expect((await readLabFile(dir)).state.intents).toHaveLength(1);
    const q = await LabProvider.open(dir, { lockWaitMs: 500 });
    expect(q.lastReconcile.completed.join(' ')).toMatch(/Finished 1 operation/);
    expect(q.lastReconcile.orphans).toEqual([]);
    expect(q.lastReconcile.missing).toEqual([]);
    const lab = await readLabFile(dir);
    expect(lab.state.intents).toEqual([]);
    // The removal was saved before the merge started; the first disk's merge was finished from its intent and the
    // second disk's (never started) by the leftover check.
    const app = await vmOf(q, 'APP');
    expect(app.checkpoints).toEqual([]);
    expect(app.disks.map((d) => d.chain.length)).toEqual([1, 1]);
    await expectAllDisksMatchModel(dir);
    await q.close();
  });

  it('killed at random moments during checkpoint churn: every reopen is consistent', async () => {
    const p = await openSmall(dir, '2016');
    await p.ioBurst('APP', { bytes: MiB, seed: 9 });
    await p.close();
    const seen = new Set<number>();
    for (const ms of [150, 700, 1200]) {
      const c = await children.start(['churn', dir], 'READY');
      await new Promise((r) => setTimeout(r, ms));
      await kill9(c);
      const q = await LabProvider.open(dir, { lockWaitMs: 500 });
      expect(q.lastReconcile.missing).toEqual([]);
      const inv = await q.inventory();
      Inventory.parse(inv);
      expect((await readLabFile(dir)).state.intents).toEqual([]);
      await expectAllDisksMatchModel(dir);
      for (const e of await q.events()) if (e.operation === 'checkpoint') seen.add(e.seq);
      await q.ioBurst('WEB', { bytes: 256 * 1024 });
      await q.close();
    }
    // The child did real work between the kills.
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });
});
