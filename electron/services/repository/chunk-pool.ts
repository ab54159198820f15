// Hash + compress + encrypt chunks off the main thread: a small worker_threads pool (one worker per core, at
// most 4). A chunk lands in a slot of a SharedArrayBuffer (copied there, or read there by the worker itself from
// the disk's files: hashFrom); the worker hashes it there (its id decides dedupe), then seals (compresses/encrypts)
// or drops it. Restores go the other way: loadInto decodes stored chunks straight into shared batch buffers. No
// per-chunk allocation or structured clone on the main thread. With `threads: 0` the same work runs inline (also
// the fallback when workers cannot start).

import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../shared/errors';
import { chunkId } from './crypto';
import { decodeBlob, encodeBlob, ensureZstd, type Codec } from './blob';
import { isZero } from './digest';
import type { Piece } from '../vhdx';
import { ioError } from '../vhdx/errors';
import { CHUNK_WORKER_SOURCE } from './chunk-worker-source';

export interface Ticket {
  id: string;
  /** internal */
  seq: number;
  worker: number;
  slot: number;
  length: number;
  data?: Buffer;
}

export interface Sealed {
  /** The stored form of the chunk; valid until done() (it may live in shared memory). */
  blob: Buffer;
  codec: Codec;
  done(): void;
}

export interface Verified {
  id: Promise<string>;
  view: Buffer;
  release(): void;
}

/** Where a stored chunk is: a byte range of a local pack file, and how to decode it. */
export interface StoredChunk {
  file: string;
  offset: number;
  length: number;
  codec: number;
  rawLength: number;
  id: string;
}

export type ChunkStatus = 'ok' | 'damaged' | 'unreadable';

export interface ChunkProcessor {
  readonly threads: number;
  /** Which zstd does the work: the native binding, its WASM fallback, or the main thread's (threads: 0). */
  readonly zstd: 'native' | 'wasm' | 'inline';
  /** Why the work runs on this thread though worker threads were asked for (they failed to start), else null. */
  readonly fallback: string | null;
  /** Hash a chunk (the caller may reuse `data` once this resolves). */
  hash(data: Buffer): Promise<Ticket>;
  seal(t: Ticket): Promise<Sealed>;
  drop(t: Ticket): void;
  /**
   * Like hash, but the worker reads the chunk itself from `pieces` (file ranges and zeros: Chain.locate), so its
   * bytes never pass through this thread; with `seal` it also compresses it in the same step (for chunks that are
   * probably new: the chunk still in the worker's cache; requests and replies travel in groups, see GROUP).
   * Resolves once a slot is taken; `result` says the chunk was all zeros, or gives its id with a ticket (seal or
   * drop it) or the sealed blob (call done(), also when the id turns out to be stored already).
   */
  hashFrom(
    pieces: Piece[],
    length: number,
    seal: boolean,
  ): Promise<{ result: Promise<FromResult> }>;
  /**
   * Re-hash a chunk being read back (its id); queued synchronously, never waits for a slot. `view` holds the
   * same bytes as `data` and stays valid until release().
   */
  verify(data: Buffer): Verified;
  /**
   * Read, decrypt, decompress and re-hash stored chunks straight into `dest` (each at its `at`, `rawLength`
   * bytes), split across the workers: one message per worker for the whole batch. Statuses in `items` order.
   */
  loadInto(
    dest: SharedArrayBuffer,
    items: Array<StoredChunk & { at: number }>,
  ): Promise<ChunkStatus[]>;
  /** Close the pack and disk files that loadInto() and hashFrom() kept open (files still being read stay open). */
  closeFiles(): Promise<void>;
  close(): Promise<void>;
}

export type FromResult =
  | { zero: true }
  | { zero: false; id: string; ticket: Ticket; sealed: null }
  | { zero: false; id: string; ticket: null; sealed: Sealed };

/** A disk file a chunk is read from failed: as the VHDX engine reports it (ioError), else as cut short. */
function readFailure(file: string, message: string, code: string | undefined): HvbcError {
  const e = ioError(Object.assign(new Error(message), { code }), file);
  if (e instanceof HvbcError) return e;
  return new HvbcError('VHDX_CORRUPT', `Reading ${file} failed: ${message}`, { path: file });
}

export interface PoolOptions {
  idKey: Buffer | null;
  dataKey: Buffer | null;
  level: number;
  /** Largest chunk (the repository's chunk size). */
  maxChunk: number;
  threads?: number;
  /** The workers' zstd: the native binding where it loads (default), or always the WASM fallback (for tests). */
  zstd?: 'auto' | 'wasm';
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Starts the worker threads (the real one, or a failing one in tests). */
export type WorkerStarter = (opts: PoolOptions, threads: number) => Promise<ChunkProcessor>;

export async function createChunkProcessor(
  opts: PoolOptions,
  startWorkers: WorkerStarter = (o, n) => WorkerPool.start(o, n),
): Promise<ChunkProcessor> {
  const threads = opts.threads ?? defaultThreads();
  let fallback: string | null = null;
  if (threads > 0) {
    try {
      return await startWorkers(opts, threads);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | null)?.code;
      fallback = `${code ? `${code}: ` : ''}${e instanceof Error ? e.message : String(e)}`;
    }
  }
  await ensureZstd(); // the inline processor compresses on this thread
  return new InlineProcessor(opts, fallback);
}

/**
 * What to tell the admin when chunk work fell back to the main thread: it still works and stays verified, but is
 * several times slower (null when the workers run, or when no workers were asked for).
 */
export function fallbackWarning(p: ChunkProcessor): string | null {
  if (p.fallback === null) return null;
  return `SLOW PATH: the chunk worker threads could not start (${p.fallback}), so hashing and compression ran on the main thread, several times slower; the data is stored and verified as usual. If this repeats, check the machine's free memory and thread limits, or reinstall the console (its zstd module may be missing).`;
}

// ---- inline ------------------------------------------------------------------------------------------------------

class InlineProcessor implements ChunkProcessor {
  readonly threads = 0;
  readonly zstd = 'inline' as const;
  private seq = 0;
  constructor(
    private readonly opts: PoolOptions,
    readonly fallback: string | null = null,
  ) {}
  async hash(data: Buffer): Promise<Ticket> {
    return {
      id: chunkId(data, this.opts.idKey),
      seq: this.seq++,
      worker: -1,
      slot: -1,
      length: data.length,
      data: Buffer.from(data),
    };
  }
  async seal(t: Ticket): Promise<Sealed> {
    if (!t.data) throw new Error('chunk already sealed or dropped');
    const r = encodeBlob(t.data, t.id, this.opts.dataKey, this.opts.level);
    t.data = undefined;
    return { ...r, done: () => undefined };
  }
  drop(t: Ticket): void {
    t.data = undefined;
  }
  async hashFrom(
    pieces: Piece[],
    length: number,
    seal: boolean,
  ): Promise<{ result: Promise<FromResult> }> {
    const data = Buffer.alloc(length);
    let at = 0;
    for (const p of pieces) {
      if (!('zero' in p)) {
        try {
          const fh = await fs.open(p.file, 'r');
          try {
            const { bytesRead } = await fh.read(data, at, p.length, p.fileOffset);
            if (bytesRead !== p.length)
              throw new Error(`it ends before byte ${p.fileOffset + bytesRead}.`);
          } finally {
            await fh.close();
          }
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          throw readFailure(p.file, err.message, err.code);
        }
      }
      at += p.length;
    }
    if (isZero(data)) return { result: Promise.resolve({ zero: true }) };
    const t = await this.hash(data);
    if (!seal)
      return { result: Promise.resolve({ zero: false, id: t.id, ticket: t, sealed: null }) };
    const sealed = await this.seal(t);
    return { result: Promise.resolve({ zero: false, id: t.id, ticket: null, sealed }) };
  }
  verify(data: Buffer): Verified {
    return {
      id: Promise.resolve(chunkId(data, this.opts.idKey)),
      view: data,
      release: () => undefined,
    };
  }
  async loadInto(
    dest: SharedArrayBuffer,
    items: Array<StoredChunk & { at: number }>,
  ): Promise<ChunkStatus[]> {
    const out: ChunkStatus[] = [];
    for (const c of items) out.push(await this.decodeTo(c, Buffer.from(dest, c.at, c.rawLength)));
    return out;
  }
  private async decodeTo(c: StoredChunk, view: Buffer): Promise<ChunkStatus> {
    let blob: Buffer;
    try {
      const fh = await fs.open(c.file, 'r');
      try {
        blob = Buffer.alloc(c.length);
        const { bytesRead } = await fh.read(blob, 0, c.length, c.offset);
        if (bytesRead !== c.length) throw new Error('short read');
      } finally {
        await fh.close();
      }
    } catch {
      return 'unreadable';
    }
    const raw = decodeBlob(blob, c.id, c.codec, c.rawLength, this.opts.dataKey);
    if (raw) raw.copy(view);
    return raw !== null && chunkId(raw, this.opts.idKey) === c.id ? 'ok' : 'damaged';
  }
  async closeFiles(): Promise<void> {}
  async close(): Promise<void> {}
}

// ---- workers -----------------------------------------------------------------------------------------------------

interface Reply {
  id?: string;
  zstd?: string;
  /** With inSlot: the blob's length in the slot (absent: the raw chunk itself). */
  length?: number;
  blob?: ArrayBuffer;
  codec?: number;
  inSlot?: boolean;
  statuses?: ChunkStatus[];
  zero?: boolean;
  readError?: string;
  readCode?: string;
  readFile?: string;
}

interface Pending {
  resolve: (v: Reply) => void;
  reject: (e: Error) => void;
}

/**
 * hashFrom requests go to a worker in groups of up to this many, one message each way per group (a lone request
 * still goes at once, on the next turn of the event loop). Measured on the /usr full backup (2 cores, 7 runs each,
 * alternating): groups of 4 took 2.58–3.17 s and ~6.6 s of CPU (user+sys), one message per chunk 2.91–3.60 s and
 * ~7.4 s.
 */
const GROUP = 4;

type WorkerReply = Reply & { seq: number; error?: string };

class WorkerPool implements ChunkProcessor {
  zstd: 'native' | 'wasm' = 'wasm';
  readonly fallback = null;
  private seq = 0;
  private rr = 0;
  private readonly pending: Array<Map<number, Pending>>;
  private failed: Error | null = null;
  /** hashFrom requests not yet sent, per worker (see GROUP). */
  private readonly outbox: object[][];
  private flushScheduled = false;
  /** Shared slots: in use (by a chunk worker) or free, handed out FIFO. */
  private readonly used: boolean[];
  private readonly free: number[];
  private readonly slotWaiters: Array<(slot: number) => void> = [];

  private constructor(
    private readonly workers: Worker[],
    private readonly sab: SharedArrayBuffer,
    private readonly slotSize: number,
    slots: number,
    private readonly idKey: Buffer | null,
  ) {
    this.pending = workers.map(() => new Map());
    this.outbox = workers.map(() => []);
    this.used = new Array<boolean>(slots).fill(false);
    this.free = Array.from({ length: slots }, (_, i) => i);
    workers.forEach((w, i) => {
      w.on('message', (m: WorkerReply & { replies?: WorkerReply[] }) => {
        if (m.replies) for (const r of m.replies) this.settle(i, r);
        else this.settle(i, m);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (this.pending[i]?.size) this.fail(new Error(`exit code ${code}`));
      });
      w.unref();
    });
  }

  /** A worker's reply settles the request it answers. */
  private settle(i: number, m: WorkerReply): void {
    const p = this.pending[i]?.get(m.seq);
    if (!p) return;
    this.pending[i]?.delete(m.seq);
    this.updateRef();
    if (m.error) p.reject(new HvbcError('INTERNAL', `Chunk worker failed: ${m.error}`));
    else p.resolve(m);
  }

  /** Queue a hashFrom request for worker i: sent when its group is full, or on the next turn of the loop. */
  private enqueue(i: number, msg: object): void {
    const box = this.outbox[i];
    if (!box) return;
    box.push(msg);
    if (box.length >= GROUP) this.flush(i);
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.outbox.forEach((_, k) => this.flush(k));
      });
    }
  }

  private flush(i: number): void {
    const box = this.outbox[i];
    if (!box?.length) return;
    this.outbox[i] = [];
    this.workers[i]?.postMessage(box.length === 1 ? box[0] : { t: 'hashFromMany', items: box });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const err = new HvbcError('INTERNAL', `Chunk worker stopped: ${e.message}`);
    for (const m of this.pending) {
      for (const p of m.values()) p.reject(err);
      m.clear();
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  static async start(opts: PoolOptions, n: number): Promise<WorkerPool> {
    const req = createRequire(import.meta.url);
    const zstdPath = req.resolve('@bokuweb/zstd-wasm');
    // The package's own module object (exports the context API the simple functions do not wrap).
    const zstdModulePath = path.join(path.dirname(zstdPath), 'module.js');
    let napiPath: string | null = null;
    try {
      if (opts.zstd !== 'wasm') napiPath = req.resolve('zstd-napi');
    } catch {
      /* optional dependency not built here: WASM */
    }
    // Enough slots to keep every worker busy and ~8 MiB of chunks in flight, whatever the chunk size.
    const slots = Math.max(8, n * 4 + 4, Math.ceil((8 << 20) / opts.maxChunk) + 4);
    const slotSize = opts.maxChunk;
    const sab = new SharedArrayBuffer(slots * slotSize);
    const workers: Worker[] = [];
    for (let i = 0; i < n; i++) {
      workers.push(
        new Worker(CHUNK_WORKER_SOURCE, {
          eval: true,
          // Plain JS: none of the parent's loader flags (under tsx they cost each worker ~10 ms to start).
          execArgv: [],
          workerData: {
            zstdPath,
            zstdModulePath,
            napiPath,
            idKey: opts.idKey,
            dataKey: opts.dataKey,
            level: opts.level,
            sab,
            slotSize,
          },
        }),
      );
    }
    const pool = new WorkerPool(workers, sab, slotSize, slots, opts.idKey);
    // Prove the workers run (module resolution, WASM) before relying on them.
    try {
      const probe = Buffer.from('hvbc');
      const t = await pool.hash(probe);
      if (t.id !== chunkId(probe, opts.idKey)) throw new Error('worker hash mismatch');
      const sealed = await pool.seal(t);
      sealed.done();
      const seq = pool.seq++;
      const r = await pool.call(0, seq, { t: 'zstd', seq });
      pool.zstd = r.zstd === 'native' ? 'native' : 'wasm';
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private updateRef(): void {
    const busy = this.pending.some((m) => m.size > 0) || this.used.some(Boolean);
    for (const w of this.workers) {
      if (busy) w.ref();
      else w.unref();
    }
  }

  private acquire(): Promise<number> | number {
    const s = this.free.shift();
    if (s !== undefined) return s;
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private take(slot: number): void {
    this.used[slot] = true;
  }

  private release(slot: number): void {
    if (!this.used[slot]) return;
    this.used[slot] = false;
    const w = this.slotWaiters.shift();
    if (w) {
      this.used[slot] = true;
      w(slot);
    } else this.free.push(slot);
    this.updateRef();
  }

  /** Send a request to worker i (or queue it for a group, `grouped`) and wait for its reply. */
  private call(
    i: number,
    seq: number,
    msg: object,
    transfer: ArrayBuffer[] = [],
    grouped = false,
  ): Promise<Reply> {
    if (this.failed)
      return Promise.reject(
        new HvbcError('INTERNAL', `Chunk worker stopped: ${this.failed.message}`),
      );
    return new Promise((resolve, reject) => {
      this.pending[i]?.set(seq, { resolve, reject });
      this.updateRef();
      if (grouped) this.enqueue(i, msg);
      else this.workers[i]?.postMessage(msg, transfer);
    });
  }

  /** Copy a chunk into a free slot (waiting for one). */
  private async fill(data: Buffer): Promise<number> {
    if (data.length > this.slotSize)
      throw new HvbcError(
        'VALIDATION',
        `A chunk of ${data.length} bytes is larger than the chunk size.`,
      );
    const got = this.acquire();
    const slot = typeof got === 'number' ? got : await got;
    this.take(slot);
    new Uint8Array(this.sab, slot * this.slotSize, data.length).set(data);
    return slot;
  }

  async hash(data: Buffer): Promise<Ticket> {
    const slot = await this.fill(data);
    const best = this.pickWorker(); // least busy, round-robin among equals
    const seq = this.seq++;
    try {
      const r = await this.call(best, seq, { t: 'hash', seq, slot, len: data.length });
      return { id: r.id ?? '', seq, worker: best, slot, length: data.length };
    } catch (e) {
      this.release(slot);
      throw e;
    }
  }

  async seal(t: Ticket): Promise<Sealed> {
    let r: Reply;
    try {
      r = await this.call(t.worker, t.seq, { t: 'seal', seq: t.seq, id: t.id });
    } catch (e) {
      this.release(t.slot);
      throw e;
    }
    return this.sealedFrom(r, t);
  }

  async hashFrom(
    pieces: Piece[],
    length: number,
    seal: boolean,
  ): Promise<{ result: Promise<FromResult> }> {
    if (length > this.slotSize)
      throw new HvbcError(
        'VALIDATION',
        `A chunk of ${length} bytes is larger than the chunk size.`,
      );
    const got = this.acquire();
    const slot = typeof got === 'number' ? got : await got;
    this.take(slot);
    const worker = this.pickWorker();
    const seq = this.seq++;
    const msg = { t: 'hashFrom', seq, slot, len: length, pieces, seal };
    const result = this.call(worker, seq, msg, [], true).then(
      (r): FromResult => {
        if (r.readError !== undefined || r.zero) {
          this.release(slot);
          if (r.readError !== undefined)
            throw readFailure(r.readFile ?? '?', r.readError, r.readCode);
          return { zero: true };
        }
        const id = r.id ?? '';
        if (seal)
          return { zero: false, id, ticket: null, sealed: this.sealedFrom(r, { slot, length }) };
        return { zero: false, id, ticket: { id, seq, worker, slot, length }, sealed: null };
      },
      (e: unknown) => {
        this.release(slot);
        throw e;
      },
    );
    return { result };
  }

  /** A worker's sealed reply as a Sealed (the slot is released by done(), or now when the blob came apart). */
  private sealedFrom(r: Reply, t: { slot: number; length: number }): Sealed {
    let released = false;
    const done = (): void => {
      if (!released) this.release(t.slot);
      released = true;
    };
    if (r.inSlot)
      return {
        blob: Buffer.from(this.sab, t.slot * this.slotSize, r.length ?? t.length),
        codec: (r.codec ?? 0) as Codec,
        done,
      };
    done();
    if (!r.blob) throw new HvbcError('INTERNAL', 'Chunk worker returned no data.');
    return { blob: Buffer.from(r.blob), codec: (r.codec ?? 0) as Codec, done: () => undefined };
  }

  drop(t: Ticket): void {
    this.workers[t.worker]?.postMessage({ t: 'drop', seq: t.seq });
    this.release(t.slot);
  }

  private pickWorker(): number {
    let best = -1;
    for (let k = 0; k < this.workers.length; k++) {
      const i = (this.rr + k) % this.workers.length;
      if (best < 0 || (this.pending[i]?.size ?? 0) < (this.pending[best]?.size ?? 0)) best = i;
    }
    this.rr = (this.rr + 1) % this.workers.length;
    return best;
  }

  verify(data: Buffer): Verified {
    const slot = data.length <= this.slotSize ? this.free.shift() : undefined;
    if (slot === undefined) {
      // No free slot (never wait: the caller's own slots are only released as it goes on): do it here.
      return {
        id: Promise.resolve(chunkId(data, this.idKey)),
        view: data,
        release: () => undefined,
      };
    }
    this.take(slot);
    new Uint8Array(this.sab, slot * this.slotSize, data.length).set(data);
    const seq = this.seq++;
    const id = this.call(this.pickWorker(), seq, { t: 'verify', seq, slot, len: data.length }).then(
      (r) => r.id ?? '',
    );
    let released = false;
    return {
      id,
      view: Buffer.from(this.sab, slot * this.slotSize, data.length),
      release: () => {
        if (!released) this.release(slot);
        released = true;
      },
    };
  }

  async loadInto(
    dest: SharedArrayBuffer,
    items: Array<StoredChunk & { at: number }>,
  ): Promise<ChunkStatus[]> {
    for (const c of items) {
      if (c.at < 0 || c.at + c.rawLength > dest.byteLength)
        throw new HvbcError('INTERNAL', `Chunk ${c.id} does not fit its place in the read buffer.`);
    }
    // Contiguous shares, one per worker (neighbouring chunks usually sit in the same pack).
    const n = Math.min(this.workers.length, items.length);
    const parts = Array.from({ length: n }, (_, k) => {
      const share = items.slice(
        Math.floor((k * items.length) / n),
        Math.floor(((k + 1) * items.length) / n),
      );
      const seq = this.seq++;
      return this.call(this.pickWorker(), seq, { t: 'loadInto', seq, dest, items: share }).then(
        (r) => r.statuses ?? share.map((): ChunkStatus => 'damaged'),
      );
    });
    return (await Promise.all(parts)).flat();
  }

  async closeFiles(): Promise<void> {
    await Promise.all(
      this.workers.map((_, i) => {
        const seq = this.seq++;
        return this.call(i, seq, { t: 'closeFiles', seq });
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
