// Appends blobs into pack files (~packTargetSize each), writes each pack durably, and only then writes an index
// file for packs that are on storage (every INDEX_EVERY packs and on flush). Nothing is fsynced per chunk.

import { randomBytes } from 'node:crypto';
import type { Backend, ObjectWriter } from './backend';
import { alignedBuffer, DIRECT_ALIGN } from '../direct-io';
import { sealFile } from './blob';
import { encodeIndex, packKey, type IndexEntry } from './format';

export const PACK_MAGIC = Buffer.from('HVBCPK01');
const INDEX_EVERY = 8;
const MAX_UPLOADS = 1;
/** Packs stream to storage in pieces of this size (when the backend can write in pieces). */
const STAGE = 4 << 20;

interface OpenPack {
  id: string;
  /** Staging buffer: the bytes of the pack not yet handed to the writer. */
  buf: Buffer;
  staged: number;
  /** Bytes in the pack so far. */
  size: number;
  entries: IndexEntry[];
  /** Streaming writer (null: the whole pack is kept in `buf` and put at once). */
  writer: Promise<ObjectWriter> | null;
  /** Pieces handed to the writer, in order. */
  writes: Promise<void>;
  outstanding: number;
}

export class PackStore {
  private current: OpenPack | null = null;
  private readonly uploads = new Set<Promise<void>>();
  private durable: IndexEntry[] = [];
  private durablePacks = 0;
  private error: unknown = null;
  private chain: Promise<void> = Promise.resolve();
  /** Buffers to reuse (staging pieces, or whole packs without a streaming backend). */
  private readonly spare: Buffer[] = [];
  packsWritten = 0;
  indexFilesWritten = 0;

  constructor(
    private readonly backend: Backend,
    private readonly dataKey: Buffer | null,
    private readonly targetSize: number,
    private readonly maxBlob: number,
    /** Called with entries once their index file is on storage. */
    private readonly onIndexed: (entries: IndexEntry[], indexKey: string) => void,
  ) {}

  private fail(): void {
    if (this.error) throw this.error;
  }

  /** Most bytes one blob takes in a pack: the blob and up to 7 bytes of padding (see add). */
  private get maxSpan(): number {
    return this.maxBlob + 7;
  }

  /** Largest pack: a blob may start just below the target size. */
  private get capacity(): number {
    return this.targetSize + this.maxSpan;
  }

  private get streaming(): boolean {
    return typeof this.backend.openWrite === 'function';
  }

  /** Size of one buffer: a staging piece when streaming, else a whole pack. */
  private get bufSize(): number {
    return this.streaming ? Math.min(this.capacity, STAGE + this.maxSpan) : this.capacity;
  }

  private takeBuf(need: number): Buffer {
    const size = this.bufSize;
    if (need > size) return Buffer.allocUnsafeSlow(need);
    // Streaming pieces are page-aligned, so unbuffered writes go out of them without another copy.
    return (
      this.spare.pop() ?? (this.streaming ? alignedBuffer(size) : Buffer.allocUnsafeSlow(size))
    );
  }

  private giveBuf(b: Buffer): void {
    if (b.length === this.bufSize && this.spare.length < (this.streaming ? 2 : MAX_UPLOADS + 1))
      this.spare.push(b);
  }

  private open(need: number): OpenPack {
    const id = randomBytes(16).toString('hex');
    const buf = this.takeBuf(PACK_MAGIC.length + need);
    PACK_MAGIC.copy(buf, 0);
    let writer: Promise<ObjectWriter> | null = null;
    if (this.backend.openWrite) {
      writer = this.backend.openWrite(packKey(id));
      writer.catch(() => undefined); // observed by the first write or the upload
    }
    return {
      id,
      buf,
      staged: PACK_MAGIC.length,
      size: PACK_MAGIC.length,
      entries: [],
      writer,
      writes: Promise.resolve(),
      outstanding: 0,
    };
  }

  /**
   * Hand the staged bytes to the pack's writer (in order); the staging buffer is reused once written. Until the
   * last piece (`all`), only whole pages go and the rest moves to the next buffer, so every piece is page-aligned.
   */
  private spill(p: OpenPack, all = false): void {
    if (!p.writer || p.staged === 0) return;
    const piece = p.buf;
    const len = all ? p.staged : p.staged - (p.staged % DIRECT_ALIGN);
    if (len === 0) return;
    p.buf = this.takeBuf(0);
    p.staged -= len;
    if (p.staged > 0) piece.copy(p.buf, 0, len, len + p.staged);
    p.outstanding++;
    const w = p.writer;
    p.writes = p.writes.then(async () => {
      try {
        await (await w).write(piece.subarray(0, len));
      } finally {
        p.outstanding--;
        this.giveBuf(piece);
      }
    });
    p.writes.catch(() => undefined); // observed by the upload (and the next add)
  }

  /**
   * Append a blob; the bytes are copied before this returns its first promise tick, so the caller may reuse
   * `blob` as soon as the call was made. Resolves once queued (not yet durable: call flush).
   */
  async add(id: string, blob: Uint8Array, codec: number, rawLength: number): Promise<void> {
    this.fail();
    // Each blob is followed by zero bytes up to a multiple of 8, so every blob starts aligned: copying a blob out
    // of shared memory is about five times faster when source and destination are equally aligned (V8 copies
    // shared memory word by word only then, else byte by byte).
    const span = blob.length + (-blob.length & 7);
    // A blob that does not fit (only oversized ones can) closes the open pack first.
    const full =
      this.current && this.current.size + span > Math.max(this.capacity, this.current.buf.length)
        ? this.current
        : null;
    if (full) this.current = null;
    const p = (this.current ??= this.open(span));
    if (p.staged + span > p.buf.length) {
      this.spill(p);
      if (p.staged + span > p.buf.length) {
        const bigger = this.takeBuf(p.staged + span);
        p.buf.copy(bigger, 0, 0, p.staged);
        this.giveBuf(p.buf);
        p.buf = bigger;
      }
    }
    p.buf.set(blob, p.staged);
    p.buf.fill(0, p.staged + blob.length, p.staged + span);
    p.entries.push({ id, pack: p.id, offset: p.size, length: blob.length, codec, rawLength });
    p.size += span;
    p.staged += span;
    if (p.writer && p.staged >= STAGE) this.spill(p);
    if (full) await this.upload(full);
    // Back-pressure: at most two pieces of the open pack on their way to storage.
    if (p.outstanding > 1) await p.writes.catch(() => undefined);
    await this.maybeClose();
  }

  private async maybeClose(): Promise<void> {
    const p = this.current;
    if (p && p.size >= this.targetSize) {
      this.current = null;
      await this.upload(p);
    }
  }

  private async upload(p: OpenPack): Promise<void> {
    this.spill(p, true);
    while (this.uploads.size >= MAX_UPLOADS) await Promise.race(this.uploads);
    this.fail();
    const job = (async () => {
      if (p.writer) {
        const w = await p.writer;
        try {
          await p.writes;
          await w.commit();
        } catch (e) {
          await w.abort().catch(() => undefined);
          throw e;
        }
        this.giveBuf(p.buf);
      } else {
        await this.backend.putIfAbsent(packKey(p.id), p.buf.subarray(0, p.size));
        this.giveBuf(p.buf);
      }
      this.packsWritten++;
      this.durable.push(...p.entries);
      this.durablePacks++;
      if (this.durablePacks >= INDEX_EVERY) await this.writeIndex();
    })().catch((e: unknown) => {
      this.error ??= e;
    });
    const tracked = job.finally(() => this.uploads.delete(tracked));
    this.uploads.add(tracked);
  }

  private async writeIndex(): Promise<void> {
    if (!this.durable.length) return;
    const entries = this.durable;
    this.durable = [];
    this.durablePacks = 0;
    const key = `index/${randomBytes(16).toString('hex')}`;
    await this.backend.putIfAbsent(key, sealFile('index', encodeIndex(entries), this.dataKey));
    this.indexFilesWritten++;
    this.onIndexed(entries, key);
  }

  /** Write the open pack, wait for every pack, then index them: afterwards everything added is durable and indexed. */
  flush(): Promise<void> {
    const run = this.chain.then(async () => {
      this.fail();
      const p = this.current;
      this.current = null;
      if (p && p.entries.length) await this.upload(p);
      while (this.uploads.size) await Promise.all(this.uploads);
      this.fail();
      await this.writeIndex();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  get failed(): boolean {
    return this.error !== null;
  }

  get pendingBytes(): number {
    return this.current?.size ?? 0;
  }
}
