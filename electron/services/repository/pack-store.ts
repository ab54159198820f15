// Appends blobs into pack files (~packTargetSize each), writes each pack durably, and only then writes an index
// file for packs that are on storage (every INDEX_EVERY packs and on flush). Nothing is fsynced per chunk.

import { randomBytes } from 'node:crypto';
import type { Backend } from './backend';
import { sealFile } from './blob';
import { encodeIndex, packKey, type IndexEntry } from './format';

export const PACK_MAGIC = Buffer.from('HVBCPK01');
const INDEX_EVERY = 8;
const MAX_UPLOADS = 2;

interface OpenPack {
  id: string;
  buf: Buffer;
  size: number;
  entries: IndexEntry[];
}

export class PackStore {
  private current: OpenPack | null = null;
  private readonly uploads = new Set<Promise<void>>();
  private durable: IndexEntry[] = [];
  private durablePacks = 0;
  private error: unknown = null;
  private chain: Promise<void> = Promise.resolve();
  /** Pack buffers to reuse (each targetSize + maxBlob bytes): blobs are copied in as they come. */
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

  private get capacity(): number {
    return this.targetSize + this.maxBlob;
  }

  private open(need: number): OpenPack {
    const cap = Math.max(this.capacity, PACK_MAGIC.length + need);
    const buf = cap === this.capacity ? (this.spare.pop() ?? Buffer.allocUnsafeSlow(cap)) : Buffer.allocUnsafeSlow(cap);
    PACK_MAGIC.copy(buf, 0);
    return { id: randomBytes(16).toString('hex'), buf, size: PACK_MAGIC.length, entries: [] };
  }

  /**
   * Append a blob; the bytes are copied before this returns its first promise tick, so the caller may reuse
   * `blob` as soon as the call was made. Resolves once queued (not yet durable: call flush).
   */
  async add(id: string, blob: Uint8Array, codec: number, rawLength: number): Promise<void> {
    this.fail();
    // A blob that does not fit (only oversized ones can) closes the open pack first.
    const full = this.current && this.current.size + blob.length > this.current.buf.length ? this.current : null;
    if (full) this.current = null;
    const p = (this.current ??= this.open(blob.length));
    p.buf.set(blob, p.size);
    p.entries.push({ id, pack: p.id, offset: p.size, length: blob.length, codec, rawLength });
    p.size += blob.length;
    if (full) await this.upload(full);
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
    while (this.uploads.size >= MAX_UPLOADS) await Promise.race(this.uploads);
    this.fail();
    const job = (async () => {
      await this.backend.putIfAbsent(packKey(p.id), p.buf.subarray(0, p.size));
      if (p.buf.length === this.capacity && this.spare.length < MAX_UPLOADS) this.spare.push(p.buf);
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
