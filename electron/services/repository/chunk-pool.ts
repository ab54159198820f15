// Hash + compress + encrypt chunks off the main thread: a small worker_threads pool (one worker per core, at
// most 4) plus one thread for whole-disk SHA-256. A chunk is copied once into a slot of a SharedArrayBuffer;
// the chunk worker hashes it there (its id decides dedupe), then seals (compresses/encrypts) or drops it, and
// the disk-hash thread reads the same slot. No per-chunk allocation or structured clone on the main thread.
// With `threads: 0` the same work runs inline (also the fallback when workers cannot start).

import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { HvbcError } from '../../../shared/errors';
import { chunkId } from './crypto';
import { encodeBlob, ensureZstd, type Codec } from './blob';

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

export interface DiskHasher {
  /** Hash `length` zero bytes (in call order with the chunks given to hash()). */
  zeros(length: number): void;
  digest(): Promise<string>;
  abandon(): void;
}

export interface ChunkProcessor {
  readonly threads: number;
  /**
   * Hash a chunk (the caller may reuse `data` once this resolves) and feed it to `disk`. `onQueued` is called
   * as soon as the chunk is queued for the disk hash, so the caller can order later zero ranges after it.
   */
  hash(data: Buffer, disk?: DiskHasher | null, onQueued?: () => void): Promise<Ticket>;
  seal(t: Ticket): Promise<Sealed>;
  drop(t: Ticket): void;
  /**
   * Re-hash a chunk being read back (its id) and feed it to `disk`; queued synchronously, never waits for a
   * slot. `view` holds the same bytes as `data` and stays valid until release().
   */
  verify(data: Buffer, disk?: DiskHasher | null): Verified;
  /** A streaming SHA-256 of a whole disk. */
  diskHasher(): DiskHasher;
  close(): Promise<void>;
}

export interface PoolOptions {
  idKey: Buffer | null;
  dataKey: Buffer | null;
  level: number;
  /** Largest chunk (the repository's chunk size). */
  maxChunk: number;
  threads?: number;
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export async function createChunkProcessor(opts: PoolOptions): Promise<ChunkProcessor> {
  const threads = opts.threads ?? defaultThreads();
  await ensureZstd();
  if (threads > 0) {
    try {
      return await WorkerPool.start(opts, threads);
    } catch {
      /* fall back to inline below */
    }
  }
  return new InlineProcessor(opts);
}

// ---- inline ------------------------------------------------------------------------------------------------------

const ZEROS = Buffer.alloc(1 << 20);

class InlineDiskHasher implements DiskHasher {
  private readonly h = createHash('sha256');
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  zeros(length: number): void {
    for (let n = length; n > 0; n -= ZEROS.length)
      this.h.update(ZEROS.subarray(0, Math.min(n, ZEROS.length)));
  }
  async digest(): Promise<string> {
    return this.h.digest('hex');
  }
  abandon(): void {}
}

class InlineProcessor implements ChunkProcessor {
  readonly threads = 0;
  private seq = 0;
  constructor(private readonly opts: PoolOptions) {}
  async hash(data: Buffer, disk?: DiskHasher | null, onQueued?: () => void): Promise<Ticket> {
    if (disk instanceof InlineDiskHasher) disk.update(data);
    onQueued?.();
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
  verify(data: Buffer, disk?: DiskHasher | null): Verified {
    if (disk instanceof InlineDiskHasher) disk.update(data);
    return {
      id: Promise.resolve(chunkId(data, this.opts.idKey)),
      view: data,
      release: () => undefined,
    };
  }
  diskHasher(): DiskHasher {
    return new InlineDiskHasher();
  }
  async close(): Promise<void> {}
}

// ---- workers -----------------------------------------------------------------------------------------------------

// The chunk worker duplicates encodeBlob/compressChunk (blob.ts) in plain JS so that it needs no TypeScript
// loader; a unit test checks that both produce blobs the main thread decodes.
const CHUNK_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zstd = require(workerData.zstdPath);
const idKey = workerData.idKey ? Buffer.from(workerData.idKey) : null;
const dataKey = workerData.dataKey ? Buffer.from(workerData.dataKey) : null;
const { level, sab, slotSize } = workerData;
const held = new Map();
const ready = zstd.init();
function compressChunk(raw) {
  if (raw.length >= 256 * 1024) {
    const probe = 32 * 1024, mid = (raw.length >> 1) - (probe >> 1);
    const a = zstd.compress(raw.subarray(0, probe), level).length;
    const b = zstd.compress(raw.subarray(mid, mid + probe), level).length;
    if (a > probe * 0.97 && b > probe * 0.97) return { data: raw, codec: 0 };
  }
  const c = zstd.compress(raw, level);
  if (c.length >= raw.length - (raw.length >> 5)) return { data: raw, codec: 0 };
  return { data: c, codec: 1 };
}
parentPort.on('message', async (m) => {
  await ready;
  try {
    if (m.t === 'hash') {
      const data = new Uint8Array(sab, m.slot * slotSize, m.len);
      const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
      held.set(m.seq, data);
      parentPort.postMessage({ seq: m.seq, id: h.update(data).digest('hex') });
    } else if (m.t === 'seal') {
      const raw = held.get(m.seq);
      held.delete(m.seq);
      const { data, codec } = compressChunk(raw);
      if (!dataKey && data === raw) {
        parentPort.postMessage({ seq: m.seq, codec, inSlot: true });
        return;
      }
      let blob;
      if (dataKey) {
        const nonce = crypto.randomBytes(12);
        const c = crypto.createCipheriv('aes-256-gcm', dataKey, nonce);
        c.setAAD(Buffer.from(m.id, 'hex'));
        const a = c.update(data), b = c.final();
        blob = new Uint8Array(Buffer.concat([nonce, a, b, c.getAuthTag()]));
      } else {
        blob = data;
      }
      const ab = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength ? blob.buffer : blob.slice().buffer;
      parentPort.postMessage({ seq: m.seq, blob: ab, codec }, [ab]);
    } else if (m.t === 'verify') {
      const data = new Uint8Array(sab, m.slot * slotSize, m.len);
      const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
      parentPort.postMessage({ seq: m.seq, id: h.update(data).digest('hex') });
    } else if (m.t === 'drop') {
      held.delete(m.seq);
    }
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String((e && e.stack) || e) });
  }
});
`;

const HASH_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const { sab, slotSize } = workerData;
const hs = new Map();
const Z = Buffer.alloc(1 << 20);
parentPort.on('message', (m) => {
  let h = hs.get(m.h);
  if (!h && m.t !== 'x') { h = crypto.createHash('sha256'); hs.set(m.h, h); }
  if (m.t === 'u') { h.update(new Uint8Array(sab, m.slot * slotSize, m.len)); parentPort.postMessage({ h: m.h, slot: m.slot }); }
  else if (m.t === 'ub') { h.update(new Uint8Array(m.buf)); }
  else if (m.t === 'z') { for (let n = m.n; n > 0; n -= Z.length) h.update(Z.subarray(0, Math.min(n, Z.length))); }
  else if (m.t === 'd') { hs.delete(m.h); parentPort.postMessage({ h: m.h, digest: h.digest('hex') }); }
  else if (m.t === 'x') hs.delete(m.h);
});
`;

interface Pending {
  resolve: (v: { id?: string; blob?: ArrayBuffer; codec?: number; inSlot?: boolean }) => void;
  reject: (e: Error) => void;
}

class PoolDiskHasher implements DiskHasher {
  constructor(
    private readonly pool: WorkerPool,
    readonly h: number,
  ) {}
  zeros(length: number): void {
    if (length > 0) this.pool.postHash({ t: 'z', h: this.h, n: length });
  }
  digest(): Promise<string> {
    return this.pool.digest(this.h);
  }
  abandon(): void {
    this.pool.postHash({ t: 'x', h: this.h });
  }
}

class WorkerPool implements ChunkProcessor {
  private seq = 0;
  private rr = 0;
  private readonly pending: Array<Map<number, Pending>>;
  private failed: Error | null = null;
  // Shared slots: refcounted (chunk worker + disk-hash thread), handed out FIFO.
  private readonly refs: number[];
  private readonly free: number[];
  private readonly slotWaiters: Array<(slot: number) => void> = [];
  private readonly digests = new Map<
    number,
    { resolve: (d: string) => void; reject: (e: Error) => void }
  >();
  private nextHasher = 0;

  private constructor(
    private readonly workers: Worker[],
    private readonly hashWorker: Worker,
    private readonly sab: SharedArrayBuffer,
    private readonly slotSize: number,
    slots: number,
    private readonly idKey: Buffer | null,
  ) {
    this.pending = workers.map(() => new Map());
    this.refs = new Array<number>(slots).fill(0);
    this.free = Array.from({ length: slots }, (_, i) => i);
    workers.forEach((w, i) => {
      w.on(
        'message',
        (m: {
          seq: number;
          id?: string;
          blob?: ArrayBuffer;
          codec?: number;
          inSlot?: boolean;
          error?: string;
        }) => {
          const p = this.pending[i]?.get(m.seq);
          if (!p) return;
          this.pending[i]?.delete(m.seq);
          this.updateRef();
          if (m.error) p.reject(new HvbcError('INTERNAL', `Chunk worker failed: ${m.error}`));
          else p.resolve(m);
        },
      );
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (this.pending[i]?.size) this.fail(new Error(`exit code ${code}`));
      });
      w.unref();
    });
    hashWorker.on('message', (m: { h: number; slot?: number; digest?: string }) => {
      if (m.digest !== undefined) {
        this.digests.get(m.h)?.resolve(m.digest);
        this.digests.delete(m.h);
      } else if (m.slot !== undefined) {
        this.release(m.slot);
      }
      this.updateRef();
    });
    hashWorker.on('error', (e) => this.fail(e));
    hashWorker.unref();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const err = new HvbcError('INTERNAL', `Chunk worker stopped: ${e.message}`);
    for (const m of this.pending) {
      for (const p of m.values()) p.reject(err);
      m.clear();
    }
    for (const d of this.digests.values()) d.reject(err);
    this.digests.clear();
  }

  get threads(): number {
    return this.workers.length;
  }

  static async start(opts: PoolOptions, n: number): Promise<WorkerPool> {
    const zstdPath = createRequire(import.meta.url).resolve('@bokuweb/zstd-wasm');
    const slots = Math.max(8, n * 4 + 4);
    const slotSize = opts.maxChunk;
    const sab = new SharedArrayBuffer(slots * slotSize);
    const workers: Worker[] = [];
    for (let i = 0; i < n; i++) {
      workers.push(
        new Worker(CHUNK_WORKER_SOURCE, {
          eval: true,
          workerData: {
            zstdPath,
            idKey: opts.idKey,
            dataKey: opts.dataKey,
            level: opts.level,
            sab,
            slotSize,
          },
        }),
      );
    }
    const hashWorker = new Worker(HASH_WORKER_SOURCE, {
      eval: true,
      workerData: { sab, slotSize },
    });
    const pool = new WorkerPool(workers, hashWorker, sab, slotSize, slots, opts.idKey);
    // Prove the workers run (module resolution, WASM) before relying on them.
    try {
      const probe = Buffer.from('hvbc');
      const hasher = pool.diskHasher();
      const t = await pool.hash(probe, hasher);
      if (t.id !== chunkId(probe, opts.idKey)) throw new Error('worker hash mismatch');
      const sealed = await pool.seal(t);
      sealed.done();
      if ((await hasher.digest()) !== createHash('sha256').update(probe).digest('hex'))
        throw new Error('hash thread mismatch');
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private updateRef(): void {
    const busy =
      this.pending.some((m) => m.size > 0) || this.digests.size > 0 || this.refs.some((r) => r > 0);
    for (const w of [...this.workers, this.hashWorker]) {
      if (busy) w.ref();
      else w.unref();
    }
  }

  private acquire(): Promise<number> | number {
    const s = this.free.shift();
    if (s !== undefined) return s;
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private release(slot: number): void {
    const r = (this.refs[slot] ?? 0) - 1;
    this.refs[slot] = r;
    if (r > 0) return;
    const w = this.slotWaiters.shift();
    if (w) w(slot);
    else this.free.push(slot);
  }

  private call(
    i: number,
    seq: number,
    msg: object,
    transfer: ArrayBuffer[] = [],
  ): Promise<{ id?: string; blob?: ArrayBuffer; codec?: number; inSlot?: boolean }> {
    if (this.failed)
      return Promise.reject(
        new HvbcError('INTERNAL', `Chunk worker stopped: ${this.failed.message}`),
      );
    return new Promise((resolve, reject) => {
      this.pending[i]?.set(seq, { resolve, reject });
      this.updateRef();
      this.workers[i]?.postMessage(msg, transfer);
    });
  }

  postHash(msg: { t: string; h: number; [k: string]: unknown }): void {
    this.hashWorker.postMessage(msg);
  }

  digest(h: number): Promise<string> {
    if (this.failed)
      return Promise.reject(
        new HvbcError('INTERNAL', `Hash thread stopped: ${this.failed.message}`),
      );
    return new Promise((resolve, reject) => {
      this.digests.set(h, { resolve, reject });
      this.updateRef();
      this.hashWorker.postMessage({ t: 'd', h });
    });
  }

  async hash(data: Buffer, disk?: DiskHasher | null, onQueued?: () => void): Promise<Ticket> {
    if (data.length > this.slotSize)
      throw new HvbcError(
        'VALIDATION',
        `A chunk of ${data.length} bytes is larger than the chunk size.`,
      );
    const got = this.acquire();
    const slot = typeof got === 'number' ? got : await got;
    new Uint8Array(this.sab, slot * this.slotSize, data.length).set(data);
    const toHasher = disk instanceof PoolDiskHasher;
    this.refs[slot] = toHasher ? 2 : 1;
    if (toHasher) this.postHash({ t: 'u', h: disk.h, slot, len: data.length });
    onQueued?.();
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
    let r: { blob?: ArrayBuffer; codec?: number; inSlot?: boolean };
    try {
      r = await this.call(t.worker, t.seq, { t: 'seal', seq: t.seq, id: t.id });
    } catch (e) {
      this.release(t.slot);
      throw e;
    }
    let released = false;
    const done = (): void => {
      if (!released) this.release(t.slot);
      released = true;
    };
    if (r.inSlot)
      return {
        blob: Buffer.from(this.sab, t.slot * this.slotSize, t.length),
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

  verify(data: Buffer, disk?: DiskHasher | null): Verified {
    const toHasher = disk instanceof PoolDiskHasher;
    const slot = data.length <= this.slotSize ? this.free.shift() : undefined;
    if (slot === undefined) {
      // No free slot (never wait: the caller's own slots are only released as it goes on): do it here.
      if (toHasher) {
        const ab = new ArrayBuffer(data.length);
        new Uint8Array(ab).set(data);
        this.hashWorker.postMessage({ t: 'ub', h: disk.h, buf: ab }, [ab]);
      }
      return {
        id: Promise.resolve(chunkId(data, this.idKey)),
        view: data,
        release: () => undefined,
      };
    }
    new Uint8Array(this.sab, slot * this.slotSize, data.length).set(data);
    this.refs[slot] = toHasher ? 2 : 1;
    if (toHasher) this.postHash({ t: 'u', h: disk.h, slot, len: data.length });
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

  diskHasher(): DiskHasher {
    return new PoolDiskHasher(this, this.nextHasher++);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.terminate()), this.hashWorker.terminate()]);
  }
}
