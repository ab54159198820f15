import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Repository } from '../../../electron/services/repository';
import { dataDigest } from '../../../electron/services/repository/digest';
import { childDisk } from './child-writer';
import { KiB, makeDisk, readBack, tempDir, writeFull } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const CHILD = path.join(__dirname, 'child-writer.ts');
const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

interface Child {
  proc: ChildProcess;
  lines: string[];
  waitFor: (prefix: string, timeoutMs?: number) => Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function spawnChild(opts: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(opts)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    waiters.splice(0).forEach((w) => w());
  });
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) =>
      proc.on('exit', (code, signal) => {
        waiters.splice(0).forEach((w) => w());
        resolve({ code, signal, stderr });
      }),
  );
  const waitFor = (prefix: string, timeoutMs = 60_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`child did not print ${prefix}; stderr: ${stderr}`)),
        timeoutMs,
      );
      const look = (): void => {
        const l = lines.find((x) => x.startsWith(prefix));
        if (l !== undefined) {
          clearTimeout(t);
          resolve(l);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          clearTimeout(t);
          reject(new Error(`child exited before ${prefix}: ${stderr}`));
        } else waiters.push(look);
      };
      look();
    });
  return { proc, lines, waitFor, exit };
}

const CS = 256 * KiB;

async function newRepo(tag: string, packTargetSize = 512 * KiB): Promise<string> {
  const t = tempDir(tag);
  cleanups.push(t.cleanup);
  const r = await Repository.init(t.dir, { chunkSize: CS, packTargetSize, threads: 0 });
  await r.close();
  return t.dir;
}

describe('repository: several processes', () => {
  it('two concurrent backups from two processes both succeed', async () => {
    const dir = await newRepo('two');
    const common = { dir, chunks: 24, sharedSeed: 99, sharedChunks: 8, threads: 1, slowMs: 5 };
    const a = spawnChild({ ...common, seed: 1, vmId: 'A' });
    const b = spawnChild({ ...common, seed: 2, vmId: 'B' });
    const [ea, eb] = await Promise.all([a.exit, b.exit]);
    expect(ea.stderr).toBe('');
    expect([ea.code, eb.code]).toEqual([0, 0]);
    const repo = await Repository.open(dir);
    try {
      for (const [c, seed] of [
        [a, 1],
        [b, 2],
      ] as const) {
        const [, id, digest] = (await c.waitFor('DONE')).split(' ');
        const expected = childDisk({ ...common, seed }, CS);
        expect(digest).toBe(dataDigest(expected, CS));
        const back = await readBack(repo, id as string, 'd', expected.length);
        expect(back.data.equals(expected)).toBe(true);
      }
      expect((await repo.listPoints()).map((p) => p.vmId).sort()).toEqual(['A', 'B']);
      expect((await repo.check({ readData: true })).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('gc while a backup is running in another process keeps that backup’s chunks (even ones it deduplicated against garbage)', async () => {
    const dir = await newRepo('gcrun');
    const repo = await Repository.open(dir, { threads: 0 });
    try {
      // Garbage: a deleted point whose chunks the running backup will reuse.
      const old = makeDisk(77, 10 * CS, CS);
      const dead = await writeFull(repo, 'old', { d: old });
      await repo.deletePoint(dead.summary.id);
      const goFile = path.join(dir, '..', `${path.basename(dir)}.go`);
      cleanups.push(() => rmSync(goFile, { force: true }));
      const opts = {
        dir,
        seed: 5,
        chunks: 30,
        vmId: 'running',
        sharedSeed: 77,
        sharedChunks: 10,
        pauseAt: 20,
        goFile,
        threads: 1,
      };
      const child = spawnChild(opts);
      await child.waitFor('PAUSED');
      // The child has written packs (and index files) for 20 chunks but no manifest yet.
      const g1 = await repo.gc({ graceMs: 0 });
      const g2 = await repo.gc({ graceMs: 0 });
      expect(g1.packsDeleted + g2.packsDeleted + g1.packsRewritten + g2.packsRewritten).toBe(0);
      expect(g2.deferredChunks).toBeGreaterThan(0);
      writeFileSync(goFile, '');
      const e = await child.exit;
      expect(e.stderr).toBe('');
      expect(e.code).toBe(0);
      const [, id] = (await child.waitFor('DONE')).split(' ');
      const expected = childDisk(opts, CS);
      expect((await readBack(repo, id as string, 'd', expected.length)).data.equals(expected)).toBe(
        true,
      );
      expect((await repo.check({ readData: true })).ok).toBe(true);
      // With no backup running, gc removes the garbage nobody uses, and the new point still reads back.
      await writeFull(repo, 'extra', { d: makeDisk(78, 6 * CS, CS) }).then((p) =>
        repo.deletePoint(p.summary.id),
      );
      const g3 = await repo.gc({ graceMs: 0 });
      expect(g3.packsDeleted + g3.packsRewritten).toBeGreaterThan(0);
      expect((await readBack(repo, id as string, 'd', expected.length)).data.equals(expected)).toBe(
        true,
      );
      expect((await repo.check({ readData: true })).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('a backup killed (SIGKILL) at random moments leaves a valid repository and the next backup succeeds', async () => {
    const dir = await newRepo('crash', 256 * KiB);
    const opts = { dir, chunks: 40, vmId: 'crash', threads: 1, slowMs: 2, progress: true };
    // One complete run first, so that later children deduplicate against it.
    const cal = spawnChild({ ...opts, seed: 1000 });
    await cal.waitFor('DONE');
    await cal.exit;
    let seed = 12345;
    const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const committed: Array<{ id: string; data: Buffer }> = [];
    let killedMidWrite = 0;
    const checkedPoints = new Set<string>();
    for (let k = 0; k < 15; k++) {
      const o = { ...opts, seed: 2000 + k, sharedSeed: 1000, sharedChunks: k % 3 === 0 ? 12 : 0 };
      const child = spawnChild(o);
      // Kill while chunks are written (packs and index files going out), or while committing, after a random
      // chunk and a random few milliseconds: independent of how fast this machine is.
      const at = Math.floor(rand() * (opts.chunks + 4));
      await child.waitFor(at < opts.chunks ? `W ${at}` : 'COMMIT');
      await new Promise((r) => setTimeout(r, rand() * (at < opts.chunks ? 8 : 40)));
      child.proc.kill('SIGKILL');
      const e = await child.exit;
      if (e.signal === 'SIGKILL' && !child.lines.some((l) => l.startsWith('DONE')))
        killedMidWrite++;
      const repo = await Repository.open(dir, { threads: k % 2 });
      try {
        const chk = await repo.check({ readData: true });
        expect(chk.errors).toEqual([]);
        expect(chk.ok).toBe(true);
        // Whatever a child committed is complete and right.
        for (const p of await repo.listPoints({ vmId: 'crash' })) {
          if (checkedPoints.has(p.id)) continue;
          const expected = childDisk(
            (await repo.getPoint(p.id)).meta.childDisk as Parameters<typeof childDisk>[0],
            CS,
          );
          expect((await readBack(repo, p.id, 'd', expected.length)).data.equals(expected)).toBe(
            true,
          );
          checkedPoints.add(p.id);
        }
        // The next backup succeeds and reads back.
        const data = makeDisk(3000 + k, 8 * CS + 100, CS);
        const { summary } = await writeFull(repo, 'after', { d: data });
        committed.push({ id: summary.id, data });
        expect((await readBack(repo, summary.id, 'd', data.length)).data.equals(data)).toBe(true);
      } finally {
        await repo.close();
      }
    }
    expect(killedMidWrite).toBeGreaterThanOrEqual(8);
    expect(checkedPoints.size).toBeGreaterThanOrEqual(1); // the calibration run at least
    const repo = await Repository.open(dir);
    try {
      await repo.gc({ graceMs: 0 }); // removes what the killed writers left
      for (const c of committed)
        expect((await readBack(repo, c.id, 'd', c.data.length)).data.equals(c.data)).toBe(true);
      const chk = await repo.check({ readData: true });
      expect(chk.ok).toBe(true);
    } finally {
      await repo.close();
    }
  });
});
