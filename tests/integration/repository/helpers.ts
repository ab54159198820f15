// Shared helpers for the repository integration tests (also imported by the child-process scripts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Repository } from '../../../electron/services/repository';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `hvbc-repo-${tag}-`));
  return {
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }),
  };
}

/** Deterministic pseudo-random bytes. */
export function prng(seed: number): (buf: Buffer) => Buffer {
  let s = seed >>> 0 || 1;
  return (buf) => {
    for (let i = 0; i + 4 <= buf.length; i += 4) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      buf.writeUInt32LE(s >>> 0, i);
    }
    for (let i = buf.length & ~3; i < buf.length; i++)
      buf[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) & 0xff;
    return buf;
  };
}

/**
 * A disk image: per chunk, zeros, random data, compressible text, or a copy of an earlier chunk (dedupe).
 * The last chunk is short unless size is a multiple of the chunk size.
 */
export function makeDisk(seed: number, size: number, chunkSize: number): Buffer {
  const buf = Buffer.alloc(size);
  const fill = prng(seed);
  const pick = prng(seed * 7 + 3);
  const r = Buffer.alloc(4);
  for (let o = 0, i = 0; o < size; o += chunkSize, i++) {
    const len = Math.min(chunkSize, size - o);
    const kind = pick(r).readUInt32LE(0) % 10;
    const chunk = buf.subarray(o, o + len);
    if (kind < 3) continue; // zeros
    if (kind < 5 && i > 0) {
      const from = (pick(r).readUInt32LE(0) % i) * chunkSize;
      buf.copy(chunk, 0, from, from + Math.min(len, chunkSize, size - from));
      if (size - from < len) fill(chunk.subarray(size - from));
    } else if (kind < 7) {
      chunk.write(`seed ${seed} chunk ${i} `.repeat(Math.ceil(len / 20)).slice(0, len), 'latin1');
    } else {
      fill(chunk);
    }
  }
  return buf;
}

/** Change n random chunk-sized regions of a disk (returns the new image and the changed byte ranges). */
export function mutate(
  disk: Buffer,
  seed: number,
  n: number,
  chunkSize: number,
): { data: Buffer; ranges: Array<{ offset: number; length: number }> } {
  const data = Buffer.from(disk);
  const pick = prng(seed);
  const r = Buffer.alloc(4);
  const ranges: Array<{ offset: number; length: number }> = [];
  for (let k = 0; k < n; k++) {
    const offset = pick(r).readUInt32LE(0) % Math.max(1, data.length - 4096);
    const length = Math.min(4096 + (pick(r).readUInt32LE(0) % chunkSize), data.length - offset);
    prng(seed * 31 + k)(data.subarray(offset, offset + length));
    ranges.push({ offset, length });
  }
  return { data, ranges };
}

/** Write a whole disk as a full backup (every chunk). */
export async function writeFull(
  repo: Repository,
  vmId: string,
  disks: Record<string, Buffer>,
  meta: Record<string, unknown> = {},
) {
  const w = await repo.beginPoint({ vmId, vmName: `VM ${vmId}`, kind: 'full', ...meta });
  const results: Record<
    string,
    Awaited<ReturnType<Awaited<ReturnType<typeof w.beginDisk>>['finish']>>
  > = {};
  for (const [key, data] of Object.entries(disks)) {
    const d = await w.beginDisk(key, { virtualSize: data.length });
    for (let o = 0; o < data.length; o += repo.chunkSize)
      await d.writeChunk(o, data.subarray(o, Math.min(data.length, o + repo.chunkSize)));
    results[key] = await d.finish();
  }
  const summary = await w.commit();
  return { summary, results };
}

export async function readBack(
  repo: Repository,
  pointId: string,
  diskKey: string,
  size: number,
): Promise<{ data: Buffer; digest: string }> {
  const data = Buffer.alloc(size);
  let next = 0;
  const { digest } = await repo.readDisk(pointId, diskKey, async (offset, chunk, length) => {
    if (offset !== next) throw new Error(`out of order: ${offset} after ${next}`);
    next = offset + length;
    if (chunk) chunk.copy(data, offset);
  });
  if (next !== size) throw new Error(`read ${next} of ${size} bytes`);
  return { data, digest };
}

/** XOR one byte in the middle of chunk `id`'s stored blob (repository folder `dir`); returns the pack file. */
export async function damageChunk(
  repo: Repository,
  dir: string,
  id: string,
  mask: number,
): Promise<string> {
  const loc = await repo.locateChunk(id);
  if (!loc) throw new Error(`chunk ${id} is not indexed`);
  const packFile = path.join(dir, ...loc.packPath.split('/'));
  const pack = readFileSync(packFile);
  const at = loc.offset + Math.floor(loc.length / 2);
  pack[at] = (pack[at] ?? 0) ^ mask;
  writeFileSync(packFile, pack);
  return packFile;
}

/** A disk image in memory that records every write (and refuses overlapping or misplaced ones). */
export class MemoryDisk {
  readonly data: Buffer;
  readonly written: Array<[number, number]> = [];
  active = 0;
  constructor(size: number) {
    this.data = Buffer.alloc(size);
  }
  async write(offset: number, data: Buffer): Promise<void> {
    this.active++;
    await new Promise((r) => setTimeout(r, 1));
    if (offset < 0 || offset + data.length > this.data.length) throw new Error('outside the disk');
    if (this.written.some(([o, n]) => offset < o + n && o < offset + data.length))
      throw new Error(`overlapping write at ${offset}`);
    data.copy(this.data, offset);
    this.written.push([offset, data.length]);
    this.active--;
  }
}
