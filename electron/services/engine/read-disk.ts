// Reads a frozen disk chain into a point's disk writer: whole disk (skipping zero extents) or only changed chunks.
import type { DiskWriter } from '../repository/repository';
import { chunkRangesFor } from '../repository/chunking';
import type { ByteRange } from '../providers/types';
import type { Chain } from '../vhdx';

export interface ReadProgress {
  (bytesDone: number, bytesTotal: number): void;
}

/** Bytes one read covers (whole chunks, at least one): large sequential reads, bounded memory. */
const BATCH_BYTES = 4 * 1024 * 1024;

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

/** Group runs into batches of at most `max` chunks (a run longer than that is already split by runsOf). */
export function batchesOf<R extends { count: number }>(runs: R[], max: number): R[][] {
  const out: R[][] = [];
  let size = max;
  for (const run of runs) {
    if (size + run.count > max) {
      out.push([]);
      size = 0;
    }
    (out[out.length - 1] as R[]).push(run);
    size += run.count;
  }
  return out;
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
  opts: {
    markRestZero: boolean;
    signal: AbortSignal;
    onProgress: ReadProgress;
    /** Pace reads to this rate (storage the provider reports as slow). */
    readBytesPerSecond?: number;
  },
): Promise<number> {
  const started = Date.now();
  const vs = chain.virtualSize;
  const total = indices.reduce((s, i) => s + Math.min(chunkSize, vs - i * chunkSize), 0);
  let done = 0;
  let next = 0; // next chunk index not yet handled (for zero marking)
  const paceTo = async (bytes: number): Promise<void> => {
    if (!opts.readBytesPerSecond) return;
    const due = started + (bytes / opts.readBytesPerSecond) * 1000;
    if (due > Date.now()) await pace(due - Date.now(), opts.signal);
  };
  const markZeroUpTo = async (end: number) => {
    if (opts.markRestZero && end > next)
      await writer.markZero(next * chunkSize, Math.min(end * chunkSize, vs) - next * chunkSize);
    next = Math.max(next, end);
  };
  // Batches of up to `per` chunks (one or more runs): scattered changes still keep several chunks in flight.
  // Paced reads use batches of ~1/8 s, so progress still moves several times a second.
  const batchBytes = opts.readBytesPerSecond
    ? Math.min(BATCH_BYTES, opts.readBytesPerSecond / 8)
    : BATCH_BYTES;
  const per = Math.max(1, Math.floor(batchBytes / chunkSize));
  const batches = batchesOf(runsOf(indices, per), per);
  // Where the chain's files can be read with plain reads, the chunk workers read each chunk themselves.
  const located = chain.locate && (await chain.locate(0, 0)) !== null;
  if (located) {
    for (const batch of batches) {
      if (opts.signal.aborted) throw Object.assign(new Error('canceled'), { name: 'AbortError' });
      for (const run of batch) {
        await markZeroUpTo(run.first);
        for (let i = run.first; i < run.first + run.count; i++) {
          const offset = i * chunkSize;
          const length = Math.min(chunkSize, vs - offset);
          const pieces = await (chain.locate as NonNullable<Chain['locate']>)(offset, length);
          if (!pieces)
            throw new Error(`${chain.files[0]?.path ?? 'the disk'} can no longer be located.`);
          await writer.writeChunkFrom(offset, length, pieces);
          done += length;
        }
        next = run.first + run.count;
      }
      opts.onProgress(done, total);
      await paceTo(done);
    }
    await markZeroUpTo(Math.ceil(vs / chunkSize));
    return total;
  }
  const buffers = [0, 1].map(() =>
    Buffer.allocUnsafe(Math.min(per * chunkSize, Math.max(chunkSize, vs))),
  );
  /** Read batch k into buffer k % 2; returns each run's slice. */
  const readBatch = (k: number): Promise<Buffer[]> | null => {
    const batch = batches[k];
    if (!batch) return null;
    const buf = buffers[k & 1] as Buffer;
    let at = 0;
    const parts = batch.map((run) => {
      const offset = run.first * chunkSize;
      const slice = buf.subarray(at, at + Math.min(run.count * chunkSize, vs - offset));
      at += run.count * chunkSize;
      return chain.readInto(slice, offset).then(() => slice);
    });
    const p = Promise.all(parts);
    p.catch(() => undefined); // observed when its turn comes
    return p;
  };
  let reading = readBatch(0);
  for (let k = 0; k < batches.length; k++) {
    const batch = batches[k] as Array<{ first: number; count: number }>;
    if (opts.signal.aborted) throw Object.assign(new Error('canceled'), { name: 'AbortError' });
    const slices = await (reading as Promise<Buffer[]>);
    reading = readBatch(k + 1); // the other buffer: its batch's writes all resolved in the previous iteration
    const writes: Array<Promise<unknown>> = [];
    for (const [r, run] of batch.entries()) {
      // Zero marks and chunk writes are issued in disk order (the writer hashes the whole disk in order).
      await markZeroUpTo(run.first);
      const offset = run.first * chunkSize;
      const buf = slices[r] as Buffer;
      for (let start = 0; start < buf.length; start += chunkSize) {
        writes.push(
          writer.writeChunk(
            offset + start,
            buf.subarray(start, Math.min(start + chunkSize, buf.length)),
          ),
        );
      }
      done += buf.length;
      next = run.first + run.count;
    }
    await Promise.all(writes);
    opts.onProgress(done, total);
    await paceTo(done);
  }
  await markZeroUpTo(Math.ceil(vs / chunkSize));
  return total;
}

/** Wait `ms` (pacing to slow storage); a cancel ends the wait at once. */
function pace(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Byte count of a set of ranges (for "changed bytes" figures). */
export function bytesIn(ranges: ByteRange[]): number {
  return ranges.reduce((s, r) => s + r.length, 0);
}
