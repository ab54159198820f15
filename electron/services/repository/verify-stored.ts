// `check --read-data` on local packs: every stored chunk is read, decoded and re-hashed on the worker threads, in
// 16 MiB batches with two in flight, rather than pack by pack on the main thread. planVerifyBatches is the pure part.
import type { ChunkProcessor, ChunkStatus, StoredChunk } from './chunk-pool';

export const VERIFY_BATCH = 16 << 20;

/** A batch: chunks [first, first + items.length) of the input, each with its place `at` in the batch buffer. */
export interface VerifyBatch<T> {
  first: number;
  items: Array<T & { at: number }>;
}

/** Cut `chunks` (in order) into batches whose decoded sizes fit `capacity` bytes; a larger chunk goes alone. */
export function planVerifyBatches<T extends { rawLength: number }>(
  chunks: T[],
  capacity: number,
): Array<VerifyBatch<T>> {
  const out: Array<VerifyBatch<T>> = [];
  let cur: VerifyBatch<T> | null = null;
  let used = 0;
  chunks.forEach((c, i) => {
    if (!cur || (used + c.rawLength > capacity && used > 0)) {
      cur = { first: i, items: [] };
      out.push(cur);
      used = 0;
    }
    cur.items.push({ ...c, at: used });
    used += c.rawLength;
  });
  return out;
}

/**
 * Verify every chunk with the pool; `onBatch(first, statuses)` hears each batch (statuses of chunks first, first+1…)
 * in input order as it completes. Throws `canceled()` once the signal fires (between batches).
 */
export async function verifyStored(
  pool: ChunkProcessor,
  chunks: StoredChunk[],
  opts: {
    signal?: AbortSignal;
    canceled: () => Error;
    onBatch: (first: number, statuses: ChunkStatus[]) => void;
  },
): Promise<void> {
  const largest = chunks.reduce((m, c) => Math.max(m, c.rawLength), 0);
  const capacity = Math.max(VERIFY_BATCH, largest);
  const batches = planVerifyBatches(chunks, capacity);
  const free = [new SharedArrayBuffer(capacity), new SharedArrayBuffer(capacity)];
  const inFlight: Array<{
    first: number;
    done: Promise<ChunkStatus[]>;
    buffer: SharedArrayBuffer;
  }> = [];
  let next = 0;
  try {
    while (next < batches.length || inFlight.length) {
      for (let buffer = free.pop(); buffer; buffer = free.pop()) {
        const b = batches[next];
        if (!b || opts.signal?.aborted) {
          free.push(buffer);
          break;
        }
        next++;
        inFlight.push({ first: b.first, done: pool.loadInto(buffer, b.items), buffer });
      }
      const head = inFlight.shift();
      if (!head) break;
      opts.onBatch(head.first, await head.done);
      free.push(head.buffer);
      if (opts.signal?.aborted) throw opts.canceled();
    }
  } finally {
    // Nothing may still write into the buffers once this returns.
    await Promise.allSettled(inFlight.map((f) => f.done));
  }
  if (opts.signal?.aborted) throw opts.canceled();
}
