// Pure helpers about fixed, disk-aligned chunks.

import { HvbcError } from '../../../shared/errors';

export interface ByteRange {
  offset: number;
  length: number;
}

export interface ChunkRun {
  /** First chunk index and how many consecutive chunks. */
  first: number;
  count: number;
}

function checkArgs(chunkSize: number, virtualSize: number): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new HvbcError('VALIDATION', `Chunk size ${chunkSize} must be a positive integer.`);
  if (!Number.isSafeInteger(virtualSize) || virtualSize < 0)
    throw new HvbcError(
      'VALIDATION',
      `Virtual size ${virtualSize} must be a non-negative integer.`,
    );
}

/**
 * The chunks a list of changed byte ranges touches, as sorted, merged runs. Ranges may overlap, be unsorted or
 * run past the end of the disk (they are clipped); an empty range touches nothing.
 */
export function chunkRunsFor(
  changedRanges: readonly ByteRange[],
  chunkSize: number,
  virtualSize: number,
): ChunkRun[] {
  checkArgs(chunkSize, virtualSize);
  const spans: Array<[number, number]> = [];
  for (const r of changedRanges) {
    if (
      !Number.isSafeInteger(r.offset) ||
      !Number.isSafeInteger(r.length) ||
      r.offset < 0 ||
      r.length < 0
    ) {
      throw new HvbcError(
        'VALIDATION',
        `Changed range ${r.offset}+${r.length} is not a valid byte range.`,
        { range: r },
      );
    }
    const end = Math.min(r.offset + r.length, virtualSize);
    if (r.length === 0 || r.offset >= end) continue;
    spans.push([Math.floor(r.offset / chunkSize), Math.floor((end - 1) / chunkSize)]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const runs: ChunkRun[] = [];
  for (const [a, b] of spans) {
    const last = runs[runs.length - 1];
    if (last && a <= last.first + last.count) {
      last.count = Math.max(last.count, b - last.first + 1);
    } else {
      runs.push({ first: a, count: b - a + 1 });
    }
  }
  return runs;
}

/** The chunk indices a list of changed byte ranges touches, sorted and unique. */
export function chunkRangesFor(
  changedRanges: readonly ByteRange[],
  chunkSize: number,
  virtualSize: number,
): number[] {
  const out: number[] = [];
  for (const run of chunkRunsFor(changedRanges, chunkSize, virtualSize))
    for (let i = 0; i < run.count; i++) out.push(run.first + i);
  return out;
}

/** Byte offset and length of chunk `index` of a disk (the last chunk may be short). */
export function chunkSpan(index: number, chunkSize: number, virtualSize: number): ByteRange {
  const offset = index * chunkSize;
  return { offset, length: Math.max(0, Math.min(chunkSize, virtualSize - offset)) };
}

export function chunkCount(virtualSize: number, chunkSize: number): number {
  return Math.ceil(virtualSize / chunkSize);
}

/**
 * Expected fraction of a disk's chunks touched by `writes` random writes of `writeSize` bytes, each aligned to
 * its own size and placed uniformly at random (guest writes land on 4 KiB..64 KiB aligned blocks; writes may hit
 * the same place twice). An incremental backup re-reads and re-stores exactly the touched chunks.
 *
 * With chunkSize a multiple of writeSize every write falls in one chunk, so a chunk stays untouched with
 * probability (1 - 1/C)^N for C chunks. With writes larger than a chunk, a chunk lies in exactly one of the S
 * write-sized slots: (1 - 1/S)^N.
 */
export function expectedChunkTouchFraction(p: {
  diskSize: number;
  chunkSize: number;
  writes: number;
  writeSize?: number;
}): number {
  const writeSize = p.writeSize ?? 64 * 1024;
  if (p.diskSize <= 0 || p.chunkSize <= 0 || writeSize <= 0 || p.writes < 0)
    throw new HvbcError('VALIDATION', 'Sizes must be positive and writes non-negative.');
  const chunks = Math.ceil(p.diskSize / p.chunkSize);
  const slots = Math.ceil(p.diskSize / writeSize);
  // Probability that one write touches a given chunk.
  const perWrite = p.chunkSize >= writeSize ? 1 / chunks : 1 / slots;
  // (1 - q)^N computed stably for large N and small q.
  return -Math.expm1(p.writes * Math.log1p(-perWrite));
}

/** Writes needed to change `fraction` of a disk with writes of `writeSize` (1% of a 100 GiB disk at 64 KiB = 16,384). */
export function writesForChange(diskSize: number, fraction: number, writeSize = 64 * 1024): number {
  return Math.round((diskSize * fraction) / writeSize);
}
