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
export function dataChunks(
  extents: Array<{ offset: number; length: number; kind: string }>,
  chunkSize: number,
  virtualSize: number,
): number[] {
  const data = extents
    .filter((e) => e.kind === 'data')
    .map((e) => ({ offset: e.offset, length: e.length }));
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
    if (opts.markRestZero && end > next)
      await writer.markZero(next * chunkSize, Math.min(end * chunkSize, vs) - next * chunkSize);
    next = Math.max(next, end);
  };
  const runs = runsOf(indices, BATCH_CHUNKS);
  // Double buffering with two reused buffers: run k+1 is read into one while the writer hashes run k from the
  // other. writeChunk resolves once it copied (or dropped) the chunk, so a buffer is free again once every
  // write of its run resolved. Reusing buffers avoids fresh 8 MiB allocations (page faults, GC pressure).
  const buffers = [0, 1].map(() =>
    Buffer.allocUnsafe(Math.min(BATCH_CHUNKS * chunkSize, Math.max(chunkSize, vs))),
  );
  const readRun = (k: number): Promise<Buffer> | null => {
    const run = runs[k];
    if (!run) return null;
    const offset = run.first * chunkSize;
    const buf = (buffers[k & 1] as Buffer).subarray(
      0,
      Math.min(run.count * chunkSize, vs - offset),
    );
    const p = chain.readInto(buf, offset).then(() => buf);
    p.catch(() => undefined); // observed when its turn comes
    return p;
  };
  let reading = readRun(0);
  for (let k = 0; k < runs.length; k++) {
    const run = runs[k] as { first: number; count: number };
    if (opts.signal.aborted) throw Object.assign(new Error('canceled'), { name: 'AbortError' });
    await markZeroUpTo(run.first);
    const offset = run.first * chunkSize;
    const length = Math.min(run.count * chunkSize, vs - offset);
    const buf = await (reading as Promise<Buffer>);
    reading = readRun(k + 1); // the other buffer: its run's writes all resolved in the previous iteration
    const writes: Array<Promise<unknown>> = [];
    for (let c = 0; c < run.count; c++) {
      const start = c * chunkSize;
      if (start >= length) break;
      writes.push(
        writer.writeChunk(offset + start, buf.subarray(start, Math.min(start + chunkSize, length))),
      );
    }
    await Promise.all(writes);
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
