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
  parts: Buffer[];
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
  packsWritten = 0;
  indexFilesWritten = 0;

  constructor(
    private readonly backend: Backend,
    private readonly dataKey: Buffer | null,
    private readonly targetSize: number,
    /** Called with entries once their index file is on storage. */
    private readonly onIndexed: (entries: IndexEntry[], indexKey: string) => void,
  ) {}

  private fail(): void {
    if (this.error) throw this.error;
  }

  /** Append a blob; resolves once it is queued (not yet durable: call flush). */
  async add(id: string, blob: Buffer, codec: number, rawLength: number): Promise<void> {
    this.fail();
    if (!this.current) this.current = { id: randomBytes(16).toString('hex'), parts: [PACK_MAGIC], size: PACK_MAGIC.length, entries: [] };
    const p = this.current;
    p.entries.push({ id, pack: p.id, offset: p.size, length: blob.length, codec, rawLength });
    p.parts.push(blob);
    p.size += blob.length;
    if (p.size >= this.targetSize) {
      this.current = null;
      await this.upload(p);
    }
  }

  private async upload(p: OpenPack): Promise<void> {
    while (this.uploads.size >= MAX_UPLOADS) await Promise.race(this.uploads);
    this.fail();
    const job = (async () => {
      const data = Buffer.concat(p.parts, p.size);
      p.parts = [];
      await this.backend.putIfAbsent(packKey(p.id), data);
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
