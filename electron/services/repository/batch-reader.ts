// Reads a disk's chunks from local packs in large batches: the workers decode each chunk straight into its place in
// a shared, page-aligned batch buffer and verify it there, so a restore writes from the buffer with no copy on this
// thread and one message per worker per batch. planBatch() is the pure part (which chunk goes where).
import { alignedBuffer } from '../direct-io';
import type { ChunkProcessor, ChunkStatus, StoredChunk } from './chunk-pool';
import { isZero } from './digest';
import { RepeatCache } from './repeat-cache';

/** Consecutive non-zero chunks laid end to end in the batch buffer: one write each. */
export interface Run {
  diskOffset: number;
  at: number;
  length: number;
}

export interface BatchPlan {
  /** Chunk indices [first, next) are covered (zero chunks included). */
  first: number;
  next: number;
  /** Buffer offset of each covered chunk (index - first), -1 for a zero chunk. */
  at: number[];
  runs: Run[];
}

/** Lay out chunks from `first` on until `capacity` bytes of non-zero chunks are placed (at least one chunk). */
export function planBatch(
  table: Buffer,
  first: number,
  chunkSize: number,
  virtualSize: number,
  capacity: number,
  maxChunks = 4096,
): BatchPlan {
  const count = Math.ceil(virtualSize / chunkSize);
  const at: number[] = [];
  const runs: Run[] = [];
  let used = 0;
  let i = first;
  for (; i < count && at.length < maxChunks; i++) {
    const length = Math.min(chunkSize, virtualSize - i * chunkSize);
    if (isZero(table.subarray(i * 32, i * 32 + 32))) {
      at.push(-1);
      continue;
    }
    if (used + length > capacity && used > 0) break;
    const last = runs[runs.length - 1];
    if (last && last.diskOffset + last.length === i * chunkSize && last.at + last.length === used)
      last.length += length;
    else runs.push({ diskOffset: i * chunkSize, at: used, length });
    at.push(used);
    used += length;
  }
  return { first, next: i, at, runs };
}

export interface BatchSource {
  table: Buffer;
  chunkSize: number;
  virtualSize: number;
  /** Where chunk `id` (at index `i`) is stored; throws the caller's error when it is not indexed. */
  locate(i: number, id: string): StoredChunk;
  /** The error for chunk `id` at index `i` that did not decode to its id. */
  failure(i: number, id: string, status: Exclude<ChunkStatus, 'ok'>): Error;
  canceled(): Error;
}

/** A decoded, verified batch: `view(k)` is chunk first+k (null for zeros), valid until the consumer resolves. */
export interface DecodedBatch {
  plan: BatchPlan;
  buffer: Buffer;
  view(k: number): Buffer | null;
  length(k: number): number;
}

/**
 * Decode every chunk of the disk batch by batch and hand each batch, in disk order, to `consume`. Up to `depth`
 * buffers are in use at once (being decoded, or held by a consumer that has not resolved yet), so decoding runs
 * ahead of the consumer. The returned promise settles once every consumer has.
 */
export async function readBatches(
  pool: ChunkProcessor,
  src: BatchSource,
  consume: (b: DecodedBatch) => Promise<void>,
  opts: { signal?: AbortSignal; depth?: number; batchBytes?: number } = {},
): Promise<void> {
  const { table, chunkSize, virtualSize } = src;
  const count = Math.ceil(virtualSize / chunkSize);
  const batchBytes = Math.max(chunkSize, opts.batchBytes ?? 16 << 20);
  const depth = Math.max(2, opts.depth ?? 4);
  const repeats = new RepeatCache(16 << 20);
  const free: Buffer[] = [];
  let allocated = 0;
  const decoding: Array<{ batch: DecodedBatch; ready: Promise<void> }> = [];
  const consuming = new Set<Promise<void>>();
  let failure: unknown = null;
  let next = 0;

  const idAt = (i: number): string => table.toString('hex', i * 32, i * 32 + 32);
  const start = (buffer: Buffer): void => {
    const plan = planBatch(table, next, chunkSize, virtualSize, batchBytes);
    next = plan.next;
    const items: Array<StoredChunk & { at: number }> = [];
    const itemIndex: number[] = [];
    const keep: Array<{ id: string; at: number; length: number }> = [];
    const lengthOf = (k: number): number =>
      Math.min(chunkSize, virtualSize - (plan.first + k) * chunkSize);
    plan.at.forEach((at, k) => {
      if (at < 0) return;
      const i = plan.first + k;
      const id = idAt(i);
      const copy = repeats.get(id);
      if (copy) {
        copy.copy(buffer, at);
        return;
      }
      if (repeats.noteLoad(id)) keep.push({ id, at, length: lengthOf(k) });
      items.push({ ...src.locate(i, id), at });
      itemIndex.push(i);
    });
    const batch: DecodedBatch = {
      plan,
      buffer,
      view: (k) => {
        const at = plan.at[k] ?? -1;
        return at < 0 ? null : buffer.subarray(at, at + lengthOf(k));
      },
      length: lengthOf,
    };
    const ready = (
      items.length
        ? pool.loadInto(buffer.buffer as SharedArrayBuffer, items)
        : Promise.resolve([] as ChunkStatus[])
    ).then((statuses) => {
      statuses.forEach((s, n) => {
        const it = items[n] as StoredChunk & { at: number };
        if (s !== 'ok') throw src.failure(itemIndex[n] as number, it.id, s);
      });
      for (const c of keep) repeats.keep(c.id, buffer.subarray(c.at, c.at + c.length));
    });
    ready.catch(() => undefined); // observed when its turn comes
    decoding.push({ batch, ready });
  };

  try {
    while (next < count || decoding.length) {
      // Start batches while buffers are free (a new one is allocated until `depth` exist).
      while (next < count && failure === null) {
        if (opts.signal?.aborted) throw src.canceled();
        let buf = free.pop();
        if (!buf && allocated < depth) {
          buf = alignedBuffer(batchBytes, true);
          allocated++;
        }
        if (!buf) break;
        start(buf);
      }
      const head = decoding.shift();
      if (!head) {
        // Every buffer is held by a consumer: wait for one.
        if (consuming.size) await Promise.race(consuming);
        if (failure !== null) throw failure;
        continue;
      }
      await head.ready;
      if (failure !== null) throw failure;
      if (opts.signal?.aborted) throw src.canceled();
      const c: Promise<void> = consume(head.batch)
        .then(() => {
          free.push(head.batch.buffer);
        })
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => consuming.delete(c));
      consuming.add(c);
    }
    while (consuming.size) await Promise.all(consuming);
    if (failure !== null) throw failure;
  } finally {
    // Nothing may still use the buffers (or the caller's target) once this returns.
    await Promise.allSettled([...decoding.map((d) => d.ready), ...consuming]);
  }
}
