// The backup read loop (copyChunks): chunk workers read each chunk straight from the chain's files (Chain.locate)
// and the point is the same as when this thread reads the bytes; a file that vanishes mid-backup is a clear error,
// and no file stays open once the disk is finished.
import { readdirSync, readlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyChunks, dataChunks } from '../../../electron/services/engine/read-disk';
import { Repository } from '../../../electron/services/repository/repository';
import {
  createDifferencing,
  createVhdx,
  openChain,
  type Chain,
} from '../../../electron/services/vhdx';
import { makeDisk } from '../repository/helpers';
import { tempDir } from '../../helpers/tmp';

const MiB = 1024 * 1024;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A base with a pattern of zeros, text, random and repeated chunks, and a child that overwrites part of it. */
async function makeChain(dir: string): Promise<{ leaf: string; files: string[] }> {
  const size = 24 * MiB;
  const base = path.join(dir, 'base.vhdx');
  const f = await createVhdx(base, { type: 'dynamic', virtualSize: size, blockSize: 2 * MiB });
  await f.write(0, makeDisk(3, size, 256 * 1024));
  await f.close();
  const leaf = path.join(dir, 'child.avhdx');
  const c = await createDifferencing(leaf, base, { blockSize: 1 * MiB });
  await c.write(5 * MiB + 4096, makeDisk(4, 3 * MiB, 64 * 1024));
  await c.write(17 * MiB, Buffer.alloc(MiB));
  await c.close();
  return { leaf, files: [base, leaf] };
}

/** Back up `chain` as a full point; returns the point's digest and chunk list. */
async function backup(repo: Repository, chain: Chain): Promise<{ id: string; digest: string }> {
  const w = await repo.beginPoint({ vmId: 'vm', vmName: 'vm', kind: 'full' });
  const dw = await w.beginDisk('d', { virtualSize: chain.virtualSize });
  const indices = dataChunks(await chain.extents(), repo.chunkSize, chain.virtualSize);
  await copyChunks(chain, dw, repo.chunkSize, indices, {
    markRestZero: true,
    signal: new AbortController().signal,
    onProgress: () => undefined,
  });
  const fin = await dw.finish();
  const s = await w.commit();
  return { id: s.id, digest: fin.digest };
}

/** Open file descriptors of this process that point at one of `files`. */
function openOn(files: string[]): number {
  const fdDir = '/proc/self/fd';
  if (process.platform !== 'linux') return 0;
  let n = 0;
  for (const fd of readdirSync(fdDir)) {
    try {
      if (files.includes(readlinkSync(path.join(fdDir, fd)))) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

describe('copyChunks', () => {
  for (const [threads, passphrase] of [
    [2, undefined],
    [0, undefined],
    [2, 'pass phrase'],
  ] as const) {
    const what = `${threads || 'no'} worker threads${passphrase ? ', encrypted' : ''}`;
    it(`workers reading the files themselves give the same point as reading here (${what})`, async () => {
      const dir = path.join(tmp.dir, `same-${threads}-${passphrase ? 'enc' : 'plain'}`);
      const { leaf, files } = await makeChain(await mk(dir));
      const repo = await Repository.init(path.join(dir, 'repo'), {
        threads,
        ...(passphrase ? { passphrase, kdf: { N: 1 << 10, r: 8, p: 1 } } : {}),
      });
      const chain = await openChain(leaf);
      expect(await chain.locate?.(0, 0)).toEqual([]);
      const direct = await backup(repo, chain);
      expect(openOn(files)).toBe(2); // the chain's own handles; the workers closed theirs
      // The same chain with locate hidden: this thread reads the bytes.
      const plain: Chain = {
        files: chain.files,
        virtualSize: chain.virtualSize,
        logicalSectorSize: chain.logicalSectorSize,
        read: (o, l) => chain.read(o, l),
        readInto: (b, o) => chain.readInto(b, o),
        extents: () => chain.extents(),
        close: () => chain.close(),
      };
      const here = await backup(repo, plain);
      expect(direct.digest).toBe(here.digest);
      expect(await repo.diskChunks(direct.id, 'd')).toEqual(await repo.diskChunks(here.id, 'd'));
      const back = Buffer.alloc(chain.virtualSize);
      await repo.readDisk(direct.id, 'd', async (o, data) => {
        if (data) data.copy(back, o);
      });
      expect(back.equals(await chain.read(0, chain.virtualSize))).toBe(true);
      await chain.close();
      await repo.close();
    });
  }

  it("a chain deeper than the workers' open-file cache (16 files) backs up the same bytes", async () => {
    const dir = await mk(path.join(tmp.dir, 'deep'));
    const size = 8 * MiB;
    let parent = path.join(dir, 'level0.vhdx');
    const f = await createVhdx(parent, { type: 'dynamic', virtualSize: size, blockSize: 1 * MiB });
    await f.write(0, makeDisk(5, size, 256 * 1024));
    await f.close();
    for (let level = 1; level <= 20; level++) {
      const child = path.join(dir, `level${level}.avhdx`);
      const c = await createDifferencing(child, parent, { blockSize: 1 * MiB });
      // Each level overwrites its own 64 KiB of every 2 MiB, so the newest data comes from all 21 files.
      for (let o = level * 64 * 1024; o < size; o += 2 * MiB)
        await c.write(o, makeDisk(100 + level, 64 * 1024, 64 * 1024));
      await c.close();
      parent = child;
    }
    const repo = await Repository.init(path.join(dir, 'repo'), { threads: 2 });
    const chain = await openChain(parent);
    expect(chain.files.length).toBe(21);
    const pieces = await chain.locate?.(0, size);
    expect(new Set(pieces?.flatMap((x) => ('file' in x ? [x.file] : []))).size).toBe(21);
    const p = await backup(repo, chain);
    const back = Buffer.alloc(size);
    await repo.readDisk(p.id, 'd', async (o, data) => {
      if (data) data.copy(back, o);
    });
    expect(back.equals(await chain.read(0, size))).toBe(true);
    await chain.close();
    await repo.close();
  });

  it('a file deleted during the backup fails it with NOT_FOUND naming the file', async () => {
    const dir = path.join(tmp.dir, 'gone');
    const { leaf, files } = await makeChain(await mk(dir));
    const repo = await Repository.init(path.join(dir, 'repo'), { threads: 2 });
    const chain = await openChain(leaf);
    // Still locatable, but the base file is gone for any new reader (the chain's own handle stays open).
    await rm(files[0] as string);
    await expect(backup(repo, chain)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('base.vhdx'),
    });
    await chain.close();
    await repo.close();
  });
});

async function mk(dir: string): Promise<string> {
  await (await import('node:fs/promises')).mkdir(dir, { recursive: true });
  return dir;
}
