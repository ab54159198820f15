// Reads a frozen disk chain into a point's disk writer: whole disk (skipping zero extents) or only changed chunks.
import type { DiskWriter } from '../repository/repository';
import { chunkRangesFor } from '../repository/chunking';
import type { ByteRange } from '../providers/types';
import type { Chain } from '../vhdx';

export interface ReadProgress {
  (bytesDone: number, bytesTotal: number): void;
}

/** How many chunks one read covers: large sequential reads, bounded memory. */
const BATCH_CHUNKS = 8;

/** Chunk indices that hold data according to the chain's extent map (the rest are zeros). */
export function dataChunks(extents: Array<{ offset: number; length: number; kind: string }>, chunkSize: number, virtualSize: number): number[] {
  const data = extents.filter((e) => e.kind === 'data').map((e) => ({ offset: e.offset, length: e.length }));
  return chunkRangesFor(data, chunkSize, virtualSize);
}

/** Group sorted chunk indices into runs of consecutive indices, at most `max` long. */
export function runsOf(indices: number[], max: number): Array<{ first: number; count: number }> {
  const runs: Array<{ first: number; count: number }> = [];
  for (const i of indices) {
    const last = runs[runs.length - 1];
    if (last && last.first + last.count === i && last.count < max) last.count++;
    else runs.push({ first: i, count: 1 });
  }
  return runs;
}

/**
 * Copy the given chunks from the chain to the writer. Chunks not listed are either zeros (full backup: marked
 * zero) or unchanged (incremental: inherited from the base point by the writer).
 */
export async function copyChunks(
  chain: Chain,
  writer: DiskWriter,
  chunkSize: number,
  indices: number[],
  opts: { markRestZero: boolean; signal: AbortSignal; onProgress: ReadProgress },
): Promise<number> {
  const vs = chain.virtualSize;
  const total = indices.reduce((s, i) => s + Math.min(chunkSize, vs - i * chunkSize), 0);
  let done = 0;
  let next = 0; // next chunk index not yet handled (for zero marking)
  const markZeroUpTo = async (end: number) => {
    if (opts.markRestZero && end > next) await writer.markZero(next * chunkSize, Math.min(end * chunkSize, vs) - next * chunkSize);
    next = Math.max(next, end);
  };
  for (const run of runsOf(indices, BATCH_CHUNKS)) {
    if (opts.signal.aborted) throw Object.assign(new Error('canceled'), { name: 'AbortError' });
    await markZeroUpTo(run.first);
    const offset = run.first * chunkSize;
    const length = Math.min(run.count * chunkSize, vs - offset);
    const buf = await chain.read(offset, length); // a fresh buffer: the writer keeps slices while it hashes
    for (let k = 0; k < run.count; k++) {
      const start = k * chunkSize;
      if (start >= length) break;
      await writer.writeChunk(offset + start, buf.subarray(start, Math.min(start + chunkSize, length)));
    }
    done += length;
    next = run.first + run.count;
    opts.onProgress(done, total);
  }
  await markZeroUpTo(Math.ceil(vs / chunkSize));
  return total;
}

/** Byte count of a set of ranges (for "changed bytes" figures). */
export function bytesIn(ranges: ByteRange[]): number {
  return ranges.reduce((s, r) => s + r.length, 0);
}
