// Hash + compress + encrypt chunks off the main thread: a small worker_threads pool (one worker per core, at
// most 4). A chunk is hashed first (its id decides dedupe), kept in the worker, then sealed or dropped. With
// `threads: 0` the same work runs inline (used as a fallback when workers cannot start).

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
  data?: Buffer;
}

export interface ChunkProcessor {
  readonly threads: number;
  hash(data: Buffer): Promise<Ticket>;
  seal(t: Ticket): Promise<{ blob: Buffer; codec: Codec }>;
  drop(t: Ticket): void;
  /** A streaming SHA-256 of a whole disk (on its own thread when there are workers). */
  diskHasher(): DiskHasher;
  close(): Promise<void>;
}

export interface DiskHasher {
  /** Resolves at once unless too much data is queued for the hashing thread. */
  update(data: Buffer): Promise<void>;
  zeros(length: number): Promise<void>;
  digest(): Promise<string>;
  abandon(): void;
}

const ZEROS = Buffer.alloc(1 << 20);

class InlineDiskHasher implements DiskHasher {
  private readonly h = createHash('sha256');
  async update(data: Buffer): Promise<void> {
    this.h.update(data);
  }
  async zeros(length: number): Promise<void> {
    for (let n = length; n > 0; n -= ZEROS.length) this.h.update(ZEROS.subarray(0, Math.min(n, ZEROS.length)));
  }
  async digest(): Promise<string> {
    return this.h.digest('hex');
  }
  abandon(): void {}
}

export interface PoolOptions {
  idKey: Buffer | null;
  dataKey: Buffer | null;
  level: number;
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

class InlineProcessor implements ChunkProcessor {
  readonly threads = 0;
  private seq = 0;
  constructor(private readonly opts: PoolOptions) {}
  async hash(data: Buffer): Promise<Ticket> {
    return { id: chunkId(data, this.opts.idKey), seq: this.seq++, worker: -1, data: Buffer.from(data) };
  }
  async seal(t: Ticket): Promise<{ blob: Buffer; codec: Codec }> {
    if (!t.data) throw new Error('chunk already sealed or dropped');
    const r = encodeBlob(t.data, t.id, this.opts.dataKey, this.opts.level);
    t.data = undefined;
    return r;
  }
  drop(t: Ticket): void {
    t.data = undefined;
  }
  diskHasher(): DiskHasher {
    return new InlineDiskHasher();
  }
  async close(): Promise<void> {}
}

// The worker duplicates encodeBlob/compressChunk (blob.ts) in plain JS so that it needs no TypeScript loader;
// a unit test checks that both produce blobs the main thread decodes.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zstd = require(workerData.zstdPath);
const idKey = workerData.idKey ? Buffer.from(workerData.idKey) : null;
const dataKey = workerData.dataKey ? Buffer.from(workerData.dataKey) : null;
const level = workerData.level;
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
      const data = new Uint8Array(m.buf);
      const h = idKey ? crypto.createHmac('sha256', idKey) : crypto.createHash('sha256');
      held.set(m.seq, data);
      parentPort.postMessage({ seq: m.seq, id: h.update(data).digest('hex') });
    } else if (m.t === 'seal') {
      const raw = held.get(m.seq);
      held.delete(m.seq);
      const { data, codec } = compressChunk(raw);
      let blob;
      if (dataKey) {
        const nonce = crypto.randomBytes(12);
        const c = crypto.createCipheriv('aes-256-gcm', dataKey, nonce);
        c.setAAD(Buffer.from(m.id, 'hex'));
        const a = c.update(data), b = c.final();
        blob = new Uint8Array(Buffer.concat([nonce, a, b, c.getAuthTag()]));
      } else {
        blob = data === raw ? raw : new Uint8Array(data);
      }
      const ab = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength ? blob.buffer : blob.slice().buffer;
      parentPort.postMessage({ seq: m.seq, blob: ab, codec }, [ab]);
    } else if (m.t === 'drop') {
      held.delete(m.seq);
    }
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String(e && e.stack || e) });
  }
});
`;

const HASH_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const hs = new Map();
const Z = Buffer.alloc(1 << 20);
parentPort.on('message', (m) => {
  let h = hs.get(m.h);
  if (!h) { h = crypto.createHash('sha256'); hs.set(m.h, h); }
  if (m.t === 'u') { h.update(new Uint8Array(m.buf)); parentPort.postMessage({ h: m.h, ack: m.buf.byteLength }); }
  else if (m.t === 'z') { for (let n = m.n; n > 0; n -= Z.length) h.update(Z.subarray(0, Math.min(n, Z.length))); parentPort.postMessage({ h: m.h, ack: 0 }); }
  else if (m.t === 'd') { hs.delete(m.h); parentPort.postMessage({ h: m.h, digest: h.digest('hex') }); }
  else if (m.t === 'x') hs.delete(m.h);
});
`;

/** Disk hashes on one dedicated thread, so the whole-disk SHA-256 does not load the main thread. */
class HashThread {
  private readonly worker: Worker;
  private next = 0;
  private readonly states = new Map<number, { outstanding: number; waiters: Array<() => void>; done?: (d: string) => void; fail?: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor() {
    this.worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', (m: { h: number; ack?: number; digest?: string }) => {
      const st = this.states.get(m.h);
      if (!st) return;
      if (m.digest !== undefined) {
        this.states.delete(m.h);
        st.done?.(m.digest);
      } else {
        st.outstanding -= m.ack ?? 0;
        st.waiters.splice(0).forEach((w) => w());
      }
      this.updateRef();
    });
    this.worker.on('error', (e) => {
      this.failed = e;
      for (const st of this.states.values()) {
        st.fail?.(e);
        st.waiters.splice(0).forEach((w) => w());
      }
    });
  }

  private updateRef(): void {
    if ([...this.states.values()].some((s) => s.outstanding > 0 || s.done)) this.worker.ref();
    else this.worker.unref();
  }

  open(): DiskHasher {
    const h = this.next++;
    const st: { outstanding: number; waiters: Array<() => void>; done?: (d: string) => void; fail?: (e: Error) => void } = { outstanding: 0, waiters: [] };
    this.states.set(h, st);
    const LIMIT = 64 * 1024 * 1024;
    const post = async (msg: object, transfer: ArrayBuffer[], bytes: number): Promise<void> => {
      if (this.failed) throw this.failed;
      st.outstanding += bytes;
      this.worker.postMessage(msg, transfer);
      this.updateRef();
      while (st.outstanding > LIMIT && !this.failed) await new Promise<void>((r) => st.waiters.push(r));
    };
    return {
      update: (data) => {
        const ab = new ArrayBuffer(data.length);
        new Uint8Array(ab).set(data);
        return post({ t: 'u', h, buf: ab }, [ab], data.length);
      },
      zeros: (n) => post({ t: 'z', h, n }, [], 0),
      digest: () =>
        new Promise<string>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          st.done = resolve;
          st.fail = reject;
          this.worker.postMessage({ t: 'd', h });
          this.updateRef();
        }),
      abandon: () => {
        this.states.delete(h);
        this.worker.postMessage({ t: 'x', h });
        this.updateRef();
      },
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

interface Pending {
  resolve: (v: { id?: string; blob?: ArrayBuffer; codec?: number }) => void;
  reject: (e: Error) => void;
}

class WorkerPool implements ChunkProcessor {
  private seq = 0;
  private readonly pending: Array<Map<number, Pending>>;
  private failed: Error | null = null;

  private constructor(private readonly workers: Worker[]) {
    this.pending = workers.map(() => new Map());
    workers.forEach((w, i) => {
      w.on('message', (m: { seq: number; id?: string; blob?: ArrayBuffer; codec?: number; error?: string }) => {
        const p = this.pending[i]?.get(m.seq);
        if (!p) return;
        this.pending[i]?.delete(m.seq);
        this.updateRef(i);
        if (m.error) p.reject(new HvbcError('INTERNAL', `Chunk worker failed: ${m.error}`));
        else p.resolve(m);
      });
      const fail = (e: Error): void => {
        this.failed = e;
        for (const p of this.pending[i]?.values() ?? []) p.reject(new HvbcError('INTERNAL', `Chunk worker stopped: ${e.message}`));
        this.pending[i]?.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (this.pending[i]?.size) fail(new Error(`exit code ${code}`));
      });
      w.unref();
    });
  }

  get threads(): number {
    return this.workers.length;
  }

  static async start(opts: PoolOptions, n: number): Promise<WorkerPool> {
    const zstdPath = createRequire(import.meta.url).resolve('@bokuweb/zstd-wasm');
    const workers: Worker[] = [];
    for (let i = 0; i < n; i++) {
      workers.push(
        new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { zstdPath, idKey: opts.idKey, dataKey: opts.dataKey, level: opts.level },
        }),
      );
    }
    const pool = new WorkerPool(workers);
    // Prove the workers run (module resolution, WASM) before relying on them.
    const probe = Buffer.from('hvbc');
    const t = await pool.hash(probe);
    if (t.id !== chunkId(probe, opts.idKey)) throw new Error('worker hash mismatch');
    pool.drop(t);
    return pool;
  }

  private updateRef(i: number): void {
    const w = this.workers[i];
    if (!w) return;
    if (this.pending[i]?.size) w.ref();
    else w.unref();
  }

  private call(i: number, seq: number, msg: object, transfer: ArrayBuffer[] = []): Promise<{ id?: string; blob?: ArrayBuffer; codec?: number }> {
    if (this.failed) return Promise.reject(new HvbcError('INTERNAL', `Chunk worker stopped: ${this.failed.message}`));
    return new Promise((resolve, reject) => {
      this.pending[i]?.set(seq, { resolve, reject });
      this.updateRef(i);
      this.workers[i]?.postMessage(msg, transfer);
    });
  }

  async hash(data: Buffer): Promise<Ticket> {
    let best = 0;
    for (let i = 1; i < this.workers.length; i++) if ((this.pending[i]?.size ?? 0) < (this.pending[best]?.size ?? 0)) best = i;
    const seq = this.seq++;
    // Copy into an ArrayBuffer of its own and hand it over (the caller may reuse its buffer).
    const ab = new ArrayBuffer(data.length);
    new Uint8Array(ab).set(data);
    const r = await this.call(best, seq, { t: 'hash', seq, buf: ab }, [ab]);
    return { id: r.id ?? '', seq, worker: best };
  }

  async seal(t: Ticket): Promise<{ blob: Buffer; codec: Codec }> {
    const r = await this.call(t.worker, t.seq, { t: 'seal', seq: t.seq, id: t.id });
    if (!r.blob) throw new HvbcError('INTERNAL', 'Chunk worker returned no data.');
    return { blob: Buffer.from(r.blob), codec: (r.codec ?? 0) as Codec };
  }

  drop(t: Ticket): void {
    this.workers[t.worker]?.postMessage({ t: 'drop', seq: t.seq });
  }

  private hashThread: HashThread | null = null;
  diskHasher(): DiskHasher {
    try {
      this.hashThread ??= new HashThread();
      return this.hashThread.open();
    } catch {
      return new InlineDiskHasher();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.terminate()), this.hashThread?.close()]);
  }
}
