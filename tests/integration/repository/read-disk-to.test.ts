// readDiskTo (the restore path): chunks decoded by the workers straight into shared batch buffers and written from
// there. Same bytes as the source, with and without workers, encrypted or not; a damaged chunk, a missing pack or a
// cancel stops it with the right error and no write is left running.
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { createVhdx, openChain } from '../../../electron/services/vhdx';
import { restoreMatches, useRepos } from './fixtures';
import { KiB, MemoryDisk, MiB, damageChunk, makeDisk, writeFull } from './helpers';

const { dir, init, open } = useRepos({ chunkSize: 256 * KiB, packTargetSize: 1 * MiB });

describe('repository: readDiskTo', () => {
  for (const threads of [2, 0]) {
    it(`restores exactly the source, zero chunks unwritten, with ${threads || 'no'} worker threads`, async () => {
      const repo = await init(dir(`rt${threads}`), { threads });
      const cs = repo.chunkSize;
      // 70 chunks and a short tail: two 16 MiB batches.
      const source = makeDisk(11, 70 * cs + 3 * 4096, cs);
      const { summary } = await writeFull(repo, 'vm', { d: source });
      const target = await restoreMatches(repo, summary, source);
      // Nothing was written for an all-zero chunk.
      for (const [o, n] of target.written)
        for (let c = o; c < o + n; c += cs) {
          const chunk = source.subarray(c, Math.min(c + cs, source.length));
          expect(chunk.some((b) => b !== 0)).toBe(true);
        }
    });
  }

  it('restores an encrypted point into a VHDX that reads back equal', async () => {
    const d = dir('enc');
    const repo = await init(d, { passphrase: 'pass phrase', kdf: { N: 1 << 10, r: 8, p: 1 } });
    const cs = repo.chunkSize;
    const source = makeDisk(12, 40 * cs, cs);
    const { summary } = await writeFull(repo, 'vm', { d: source });
    const file = path.join(d, 'restored.vhdx');
    const vhdx = await createVhdx(file, {
      type: 'dynamic',
      virtualSize: source.length,
      directIo: true,
    });
    await repo.readDiskTo(summary.id, 'd', vhdx);
    await vhdx.close();
    const chain = await openChain(file);
    const back = Buffer.alloc(source.length);
    await chain.readInto(back, 0);
    await chain.close();
    expect(back.equals(source)).toBe(true);
  });

  it('a damaged chunk fails REPO_CORRUPT naming it; a missing pack names it unreadable', async () => {
    const d = dir('bad');
    const repo = await init(d, { threads: 2 });
    const cs = repo.chunkSize;
    const source = makeDisk(13, 48 * cs, cs);
    const { summary } = await writeFull(repo, 'vm', { d: source });
    const ids = (await repo.diskChunks(summary.id, 'd')).filter((x) => x !== 'zero');
    const victim = ids[Math.floor(ids.length / 2)] as string;
    const packFile = await damageChunk(repo, d, victim, 0x01);
    const target = new MemoryDisk(source.length);
    await expect(repo.readDiskTo(summary.id, 'd', target)).rejects.toMatchObject({
      code: 'REPO_CORRUPT',
      details: { chunk: victim },
    });
    expect(target.active).toBe(0);

    rmSync(packFile);
    await expect(
      repo.readDiskTo(summary.id, 'd', new MemoryDisk(source.length)),
    ).rejects.toMatchObject({
      code: 'REPO_CORRUPT',
      message: expect.stringContaining('cannot be read'),
    });
  });

  it('a canceled restore stops with CANCELED and leaves no write running', async () => {
    const repo = await init(dir('cancel'));
    const cs = repo.chunkSize;
    const source = makeDisk(14, 200 * cs, cs);
    const { summary } = await writeFull(repo, 'vm', { d: source });
    const ac = new AbortController();
    const target = new MemoryDisk(source.length);
    const write = target.write.bind(target);
    target.write = async (o, data) => {
      ac.abort();
      await write(o, data);
    };
    await expect(
      repo.readDiskTo(summary.id, 'd', target, { signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'CANCELED' });
    expect(target.active).toBe(0);
    expect(target.written.length).toBeLessThan(200);
  });
  it('a repository opened with startWorkers restores with its workers, and closes at once when unused', async () => {
    const d = dir('warm');
    const repo = await init(d, { threads: 2 });
    const source = makeDisk(13, 20 * repo.chunkSize, repo.chunkSize);
    const { summary } = await writeFull(repo, 'vm', { d: source });
    await repo.close();
    const warm = await open(d, { threads: 2, startWorkers: true });
    expect(await warm.threads()).toBe(2);
    await restoreMatches(warm, summary, source);
    // Closed while its workers may still be starting: close waits for them, and the repository refuses work after.
    const unused = await open(d, { threads: 2, startWorkers: true });
    await unused.close();
    await expect(unused.readDiskTo(summary.id, 'd', new MemoryDisk(source.length))).rejects.toThrow(
      /closed/,
    );
  });
});
