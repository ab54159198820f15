// A repository on a backend with only the operations every store has (no local paths, no streaming writes, no read
// handles: what an object store would offer). Packs are then put whole, and restores read byte ranges on this
// thread and write through the batched writer. Same bytes, digest and damage reports as on a local folder.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { Repository } from '../../../electron/services/repository';
import { LocalFolderBackend, type Backend } from '../../../electron/services/repository/backend';
import { restoreMatches, useRepos } from './fixtures';
import { KiB, MemoryDisk, MiB, damageChunk, makeDisk, readBack, writeFull } from './helpers';

const { dir, init, open } = useRepos({ chunkSize: 256 * KiB, packTargetSize: 1 * MiB });

/** The required operations of a local folder, and none of the optional ones. */
function requiredOnly(root: string): Backend {
  const b = new LocalFolderBackend(root);
  return {
    list: (prefix) => b.list(prefix),
    get: (key) => b.get(key),
    putIfAbsent: (key, data) => b.putIfAbsent(key, data),
    delete: (key) => b.delete(key),
    getRange: (key, offset, length) => b.getRange(key, offset, length),
    stat: (key) => b.stat(key),
    put: (key, data) => b.put(key, data),
  };
}

describe('repository on a backend with only the required operations', () => {
  for (const threads of [2, 0]) {
    it(`backs up, restores and checks with ${threads || 'no'} worker threads`, async () => {
      const d = dir(`min${threads}`);
      const repo = await init(d, { threads, backend: requiredOnly(d) });
      const cs = repo.chunkSize;
      // 44 chunks (about 3 in 10 all zero, some repeated: see makeDisk) and a short tail, over several packs.
      const source = makeDisk(21, 44 * cs + 8 * KiB, cs);
      const { summary } = await writeFull(repo, 'vm', { d: source });
      expect((await requiredOnly(d).list('packs/')).length).toBeGreaterThan(2);

      await restoreMatches(repo, summary, source);

      const back = await readBack(repo, summary.id, 'd', source.length);
      expect(back.data.equals(source)).toBe(true);
      expect((await repo.check({ readData: true })).ok).toBe(true);
      // Storage that does not say how much room it has: stats show no volume figures.
      expect((await repo.stats()).volume).toBeNull();

      // Opened again on the same storage: the same point, still readable.
      await repo.close();
      const again = await open(d, { threads, backend: requiredOnly(d) });
      expect((await again.listPoints()).map((p) => p.id)).toEqual([summary.id]);
      await restoreMatches(again, summary, source);
    });
  }

  it('a damaged chunk fails the restore REPO_CORRUPT naming it, and check --read-data names it', async () => {
    const d = dir('mindamage');
    const repo = await init(d, { threads: 2, backend: requiredOnly(d) });
    const cs = repo.chunkSize;
    const source = makeDisk(22, 24 * cs, cs);
    const { summary } = await writeFull(repo, 'vm', { d: source });
    const ids = (await repo.diskChunks(summary.id, 'd')).filter((x) => x !== 'zero');
    const victim = ids[Math.floor(ids.length / 2)] as string;
    await damageChunk(repo, d, victim, 0x10);
    const target = new MemoryDisk(source.length);
    await expect(repo.readDiskTo(summary.id, 'd', target)).rejects.toMatchObject({
      code: 'REPO_CORRUPT',
      details: { chunk: victim },
    });
    expect(target.active).toBe(0);
    // Storage that refuses writes now (a share remounted read-only, say): the check still names the damage, and
    // says the damaged copy was not recorded instead of failing.
    const readOnly: Backend = {
      ...requiredOnly(d),
      putIfAbsent: () =>
        Promise.reject(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' })),
    };
    const viewer = await open(d, { threads: 2, backend: readOnly });
    const blocked = await viewer.check({ readData: true });
    expect(blocked.corruptChunks).toEqual([victim]);
    expect(blocked.errors.join(' ')).toMatch(/damaged copies could not be recorded \(EROFS/);
    expect(blocked.errors.join(' ')).not.toMatch(/damaged chunks are recorded/);
    const check = await repo.check({ readData: true });
    expect(check.ok).toBe(false);
    expect(check.corruptChunks).toEqual([victim]);
    expect(check.errors.join(' ')).toMatch(/damaged chunks are recorded/);
  });

  it('storage that fails while the repository opens: a clear error, and no worker thread left running', async () => {
    const d = dir('minfail');
    await (await init(d, { backend: requiredOnly(d) })).close();
    const failing: Backend = {
      ...requiredOnly(d),
      list: () => Promise.reject(Object.assign(new Error('the share went away'), { code: 'EIO' })),
    };
    const threads = (): number => readdirSync('/proc/self/task').length;
    const before = threads();
    for (let k = 0; k < 3; k++)
      await expect(
        Repository.open(d, { threads: 2, startWorkers: true, backend: failing }),
      ).rejects.toThrow(/share went away/);
    // Terminated worker threads leave the process within moments.
    for (let t = 0; t < 100 && threads() > before; t++) await new Promise((r) => setTimeout(r, 20));
    expect(threads()).toBeLessThanOrEqual(before);
  });
});
