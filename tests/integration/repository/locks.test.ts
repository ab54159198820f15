import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { Repository } from '../../../electron/services/repository';
import { KiB, makeDisk, readBack, tempDir, writeFull } from './helpers';

const cleanups: Array<() => void> = [];
const repos: Repository[] = [];
afterEach(async () => {
  while (repos.length) await repos.pop()?.close();
  while (cleanups.length) cleanups.pop()?.();
});
async function fresh(tag: string): Promise<Repository> {
  const t = tempDir(tag);
  cleanups.push(t.cleanup);
  const r = await Repository.init(t.dir, {
    chunkSize: 256 * KiB,
    packTargetSize: 256 * KiB,
    threads: 0,
  });
  repos.push(r);
  return r;
}
function plantLock(dir: string, name: string, info: Record<string, unknown>): void {
  mkdirSync(path.join(dir, 'locks'), { recursive: true });
  writeFileSync(
    path.join(dir, 'locks', name),
    JSON.stringify({
      purpose: 'test',
      created: new Date().toISOString(),
      time: new Date().toISOString(),
      ...info,
    }),
  );
}

describe('repository locks', () => {
  it('gc is refused while a restore reads, naming the holder; works after', async () => {
    const repo = await fresh('readlock');
    const cs = repo.chunkSize;
    const data = makeDisk(1, 6 * cs, cs);
    const { summary } = await writeFull(repo, 'vm', { d: data });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const reading = repo.readDisk(summary.id, 'd', async () => {
      if (first) {
        first = false;
        await gate;
      }
    });
    await new Promise((r) => setTimeout(r, 50));
    await expect(repo.gc({ graceMs: 0 })).rejects.toMatchObject({
      code: 'REPO_LOCKED',
      // A holder on this host: no talk of a 30-minute expiry (a dead process here is noticed at once).
      message: expect.not.stringMatching(/expires/),
    });
    await expect(repo.gc({ graceMs: 0 })).rejects.toMatchObject({
      message: new RegExp(`read lock held by ${hostname()} pid ${process.pid}`),
    });
    release();
    await reading;
    await expect(repo.gc({ graceMs: 0 })).resolves.toBeDefined();
  });

  it('stale locks (dead process on this host, or not refreshed) are ignored and removed; live ones block', async () => {
    const repo = await fresh('stale');
    const dir = repo.dir;
    plantLock(dir, 'gc-dead', { kind: 'gc', host: hostname(), pid: 2 ** 22 + 12345 });
    plantLock(dir, 'gc-old', {
      kind: 'gc',
      host: 'OTHERHOST',
      pid: 1,
      time: new Date(Date.now() - 3600_000).toISOString(),
    });
    await expect(repo.check()).resolves.toMatchObject({ ok: true });
    expect(readdirSync(path.join(dir, 'locks'))).toEqual([]);
    plantLock(dir, 'gc-live', { kind: 'gc', host: 'OTHERHOST', pid: 1 });
    await expect(repo.check()).rejects.toMatchObject({
      code: 'REPO_LOCKED',
      message: expect.stringMatching(/its lock expires 30 minutes after its last refresh/),
      details: { holder: { host: 'OTHERHOST' } },
    });
    // Backups do not conflict with gc.
    const cs = repo.chunkSize;
    const { summary } = await writeFull(repo, 'vm', { d: makeDisk(2, 3 * cs, cs) });
    expect(summary.id).toBeTruthy();
  });

  it('a point used as the base of a running backup cannot be deleted; abort releases it and leaves no point', async () => {
    const repo = await fresh('base');
    const cs = repo.chunkSize;
    const data = makeDisk(3, 8 * cs, cs);
    const base = await writeFull(repo, 'vm', { d: data });
    const w = await repo.beginPoint({ vmId: 'vm', vmName: 'vm', kind: 'incremental' });
    const d = await w.beginDisk('d', { virtualSize: data.length, basePointId: base.summary.id });
    await d.writeChunk(0, makeDisk(4, cs, cs));
    await expect(repo.deletePoint(base.summary.id)).rejects.toMatchObject({
      code: 'REPO_LOCKED',
      message: /base of a backup that is running/,
    });
    await w.abort();
    expect((await repo.listPoints()).map((p) => p.id)).toEqual([base.summary.id]);
    expect(readdirSync(path.join(repo.dir, 'locks'))).toEqual([]);
    await repo.deletePoint(base.summary.id);
    await repo.gc({ graceMs: 0 });
    const packs = path.join(repo.dir, 'packs');
    expect(readdirSync(packs).flatMap((s) => readdirSync(path.join(packs, s)))).toEqual([]);
    expect(readdirSync(path.join(repo.dir, 'index'))).toEqual([]);
    const again = await writeFull(repo, 'vm', { d: data });
    expect((await readBack(repo, again.summary.id, 'd', data.length)).data.equals(data)).toBe(true);
  });
});
