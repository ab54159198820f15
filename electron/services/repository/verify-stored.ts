// `check --read-data` on local packs: every stored chunk is read, decoded and re-hashed on the worker threads, in
// 16 MiB batches with two in flight, rather than pack by pack on the main thread. planVerifyBatches is the pure part.
import type { ChunkProcessor, ChunkStatus, StoredChunk } from './chunk-pool';

export const VERIFY_BATCH = 16 << 20;

/** A stored chunk as the index knows it; where its pack file is comes from `fileOf`. */
export type IndexedChunk = Omit<StoredChunk, 'file'> & { pack: string };

/**
 * Cut `chunks` (in order) into batches [first, end) whose decoded sizes fit `capacity` bytes; a larger chunk goes
 * alone. Lazy, so a repository of millions of chunks is never copied.
 */
export function* planVerifyBatches(
  chunks: ReadonlyArray<{ rawLength: number }>,
  capacity: number,
): Generator<{ first: number; end: number }> {
  let first = 0;
  let used = 0;
  for (let i = 0; i < chunks.length; i++) {
    const len = (chunks[i] as { rawLength: number }).rawLength;
    if (used + len > capacity && used > 0) {
      yield { first, end: i };
      first = i;
      used = 0;
    }
    used += len;
  }
  if (first < chunks.length) yield { first, end: chunks.length };
}

/**
 * Verify every chunk with the pool; `onBatch(first, statuses)` hears each batch (statuses of chunks first, first+1…)
 * in input order as it completes. Throws `canceled()` once the signal fires (between batches).
 */
export async function verifyStored(
  pool: ChunkProcessor,
  chunks: readonly IndexedChunk[],
  opts: {
    fileOf: (pack: string) => string;
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
  const start = (b: { first: number; end: number }, buffer: SharedArrayBuffer): void => {
    let at = 0;
    const items = chunks
      .slice(b.first, b.end)
      .map(({ id, pack, offset, length, codec, rawLength }) => {
        const item = { id, file: opts.fileOf(pack), offset, length, codec, rawLength, at };
        at += rawLength;
        return item;
      });
    inFlight.push({ first: b.first, done: pool.loadInto(buffer, items), buffer });
  };
  let exhausted = false;
  try {
    for (;;) {
      for (let buffer = free.pop(); buffer; buffer = free.pop()) {
        const b = exhausted || opts.signal?.aborted ? undefined : batches.next();
        if (!b || b.done) {
          exhausted = true;
          free.push(buffer);
          break;
        }
        start(b.value, buffer);
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
