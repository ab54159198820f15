// The deduplicating backup repository: restore points (manifests) over content-addressed chunks in pack files.
// Layout and guarantees: see README.md beside this file.

import { randomBytes } from 'node:crypto';
import { HvbcError } from '../../../shared/errors';
import { LocalFolderBackend, type Backend, type RangeReader, type StorageSpace } from './backend';
import { decodeBlob, encodeBlob, ensureZstd, openFile } from './blob';
import {
  createChunkProcessor,
  fallbackWarning,
  type ChunkProcessor,
  type Verified,
  type WorkerStarter,
} from './chunk-pool';
import { tableDigest } from './digest';
import { digestOf, type DigestOptions, type DigestSource } from './digest-of';
import { readBatches, type BatchSource } from './batch-reader';
import { runCheck, type CheckOptions } from './check';
import { GC_PENDING, runGc, type GcOptions } from './gc';
import { BatchedWriter, type RandomWriter } from './batched-writer';
import {
  chunkId,
  createWrappedKey,
  deriveKeys,
  unwrapKey,
  DEFAULT_KDF,
  type RepoKeys,
} from './crypto';
import {
  DEFAULT_CHUNK,
  DEFAULT_PACK_TARGET,
  MAP_SEGMENT,
  RepoConfig,
  ZERO_ID,
  decodeChunkMap,
  decodeIndex,
  decodeManifest,
  isPointId,
  nonZeroIds,
  packKey,
  tableToIds,
  validateChunkSize,
  type DiskManifest,
  type IndexEntry,
  type PointManifest,
} from './format';
import {
  acquireLock,
  DEFAULT_LOCK_TIMING,
  describeLock,
  listLocks,
  type LockTiming,
} from './locks';
import { PackStore } from './pack-store';
import { PointWriterImpl, summarize } from './point-writer';
import type { CheckResult, GcResult, PointSummary, RepoStats } from '../../../shared/backup';
import type { Piece } from '../vhdx';

export type { PointManifest, DiskManifest } from './format';
export type { CheckResult, GcResult, PointSummary, RepoStats } from '../../../shared/backup';

export interface RepoOptions {
  passphrase?: string;
  /** Worker threads for hash + compress + encrypt (default: one per core, at most 4; 0 = on the main thread). */
  threads?: number;
  /** Lock refresh and staleness (defaults: refresh every minute, stale after 30 minutes). */
  lockTiming?: Partial<LockTiming>;
  /** Start the worker threads while the index loads, for a backup or restore that follows (≈ 50 ms sooner). */
  startWorkers?: boolean;
  /** Storage other than the local folder `dir` (which then only names the repository in messages). */
  backend?: Backend;
  /** How the chunk workers start (tests pass one that fails, to see the slow path reported). */
  workerStarter?: WorkerStarter;
}

export interface InitOptions extends RepoOptions {
  chunkSize?: number;
  /** zstd level, default 1 (3 compresses text ~2% better at less than half the speed). */
  compressionLevel?: number;
  /** Pack file target size, default 32 MiB (tests use small packs). */
  packTargetSize?: number;
  /** scrypt cost; the default (N=2^15, r=8, p=1) takes ~0.1 s. Lower only in tests. */
  kdf?: { N: number; r: number; p: number };
}

export interface PointMeta {
  vmId: string;
  vmName: string;
  kind: 'full' | 'incremental';
  [k: string]: unknown;
}

export interface PointWriter {
  readonly id: string;
  beginDisk(
    diskKey: string,
    opts: {
      virtualSize: number;
      basePointId?: string;
      meta?: Record<string, unknown>;
    },
  ): Promise<DiskWriter>;
  commit(extraMeta?: Record<string, unknown>): Promise<PointSummary>;
  abort(): Promise<void>;
}

export interface DiskWriter {
  writeChunk(offset: number, data: Buffer): Promise<{ stored: boolean; bytes: number }>;
  /**
   * The chunk at `offset` (`length` bytes), read by a worker thread straight from `pieces` (Chain.locate), so its
   * bytes never pass through this thread. Resolves once it is queued; errors surface at the next call or finish().
   */
  writeChunkFrom(offset: number, length: number, pieces: Piece[]): Promise<void>;
  markZero(offset: number, length: number): Promise<void>;
  finish(): Promise<{
    /** Content digest of the whole disk (see digest.ts). */
    digest: string;
    chunksNew: number;
    chunksReused: number;
    bytesRead: number;
    bytesStored: number;
  }>;
}

function canceled(what: string): HvbcError {
  return new HvbcError('CANCELED', `${what} was canceled.`);
}

/**
 * The first of points/, index/, packs/ that holds objects (backup data, whose config may be lost), else null.
 * The small folders first: a repository has points long before its packs are many.
 */
export async function dataWithoutConfig(backend: Backend): Promise<string | null> {
  for (const prefix of ['points/', 'index/', 'packs/'])
    if ((await backend.list(prefix)).length > 0) return prefix;
  return null;
}

export class Repository {
  readonly chunkSize: number;
  /** In-memory index: chunk id → where it is stored. */
  private index = new Map<string, IndexEntry>();
  private loadedIndex = new Set<string>();
  private refreshing: Promise<void> | null = null;
  /** Chunks accepted by a writer in this process but not yet in an index file. */
  private readonly pendingIds = new Set<string>();
  /** "id:pack" entries gc has marked as garbage: writers never dedupe against them. */
  private gcPending = new Set<string>();
  /** Stored copies ("id:pack") that check --read-data found damaged: never deduplicated against again. */
  private damagedCopies = new Set<string>();
  /** Records of damaged copies that reads found, still being written. */
  private readonly damageRecords: Array<Promise<void>> = [];
  private gcPendingTime = 0;
  private readonly manifests = new Map<string, PointManifest>();
  private pool: Promise<ChunkProcessor> | null = null;
  private packs: PackStore | null = null;
  private readonly timing: LockTiming;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly backend: Backend,
    readonly config: RepoConfig,
    private readonly keys: RepoKeys,
    private readonly opts: RepoOptions,
  ) {
    this.chunkSize = config.chunkSize;
    this.timing = { ...DEFAULT_LOCK_TIMING, ...opts.lockTiming };
  }

  get encrypted(): boolean {
    return this.config.encryption !== null;
  }

  // ---- create / open ------------------------------------------------------------------------------------------

  static async init(dir: string, opts: InitOptions = {}): Promise<Repository> {
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
    validateChunkSize(chunkSize);
    const level = opts.compressionLevel ?? 1;
    const packTargetSize = opts.packTargetSize ?? DEFAULT_PACK_TARGET;
    if (
      !Number.isInteger(packTargetSize) ||
      packTargetSize < 64 * 1024 ||
      packTargetSize > 1024 * 1024 * 1024
    ) {
      throw new HvbcError('VALIDATION', 'Pack target size must be between 64 KiB and 1 GiB.');
    }
    const backend = opts.backend ?? new LocalFolderBackend(dir);
    if (await backend.stat('config')) {
      throw new HvbcError(
        'VALIDATION',
        `There is already a backup repository at ${dir}. Open it instead, or choose an empty folder.`,
        { dir },
      );
    }
    const orphaned = await dataWithoutConfig(backend);
    if (orphaned)
      throw new HvbcError(
        'CONFLICT',
        `${dir} holds backup data (${orphaned}) but no config file: it is a repository whose config was lost. Put the config file back from a copy of the repository (its data cannot be read without it); a new repository goes in another folder. Nothing was written.`,
        { dir },
      );
    let master: Buffer | null = null;
    let encryption: RepoConfig['encryption'] = null;
    if (opts.passphrase !== undefined) {
      const w = createWrappedKey(opts.passphrase, opts.kdf ?? DEFAULT_KDF);
      master = w.master;
      encryption = { cipher: 'aes-256-gcm', chunkIds: 'hmac-sha256', key: w.key };
    }
    const config: RepoConfig = {
      format: 'hvbc-repository',
      version: 1,
      id: randomBytes(16).toString('hex'),
      createdAt: new Date().toISOString(),
      chunkSize,
      packTargetSize,
      compression: { codec: 'zstd', level },
      encryption,
    };
    if (
      !(await backend.putIfAbsent('config', Buffer.from(JSON.stringify(config, null, 2) + '\n')))
    ) {
      throw new HvbcError(
        'VALIDATION',
        `There is already a backup repository at ${dir}. Open it instead, or choose an empty folder.`,
        { dir },
      );
    }
    await ensureZstd();
    const repo = new Repository(dir, backend, config, deriveKeys(master), opts);
    // On shares without hard links, putIfAbsent is a rename: a second init at the same moment may have won.
    await repo.assertSameRepository().catch(async (e: unknown) => {
      await repo.close();
      throw e instanceof HvbcError && e.code === 'CONFLICT'
        ? new HvbcError(
            'VALIDATION',
            `Another "repo init" created a backup repository at ${dir} at the same moment. Open that one instead, or choose an empty folder.`,
            { dir },
          )
        : e;
    });
    return repo;
  }

  static async open(dir: string, opts: RepoOptions = {}): Promise<Repository> {
    const backend = opts.backend ?? new LocalFolderBackend(dir);
    let raw: Buffer;
    try {
      raw = await backend.get('config');
    } catch {
      throw new HvbcError(
        'REPO_NOT_FOUND',
        `No backup repository at ${dir}. Check the path (and that the share is reachable), or create a repository there first.`,
        { dir },
      );
    }
    let config: RepoConfig;
    try {
      config = RepoConfig.parse(JSON.parse(raw.toString('utf8')));
      validateChunkSize(config.chunkSize);
    } catch {
      throw new HvbcError(
        'REPO_CORRUPT',
        `The repository config at ${dir} is damaged or from an unknown version. Restore the config file from a copy of the repository.`,
        { dir },
      );
    }
    let master: Buffer | null = null;
    if (config.encryption) {
      if (opts.passphrase === undefined || opts.passphrase === '') {
        throw new HvbcError(
          'WRONG_PASSPHRASE',
          `The repository at ${dir} is encrypted. Give its passphrase to open it.`,
          { dir },
        );
      }
      master = unwrapKey(config.encryption.key, opts.passphrase);
    }
    const repo = new Repository(dir, backend, config, deriveKeys(master), opts);
    // A pool that fails to start fails the first operation that needs it, with its own error.
    if (opts.startWorkers) repo.getPool().catch(() => undefined);
    try {
      await ensureZstd();
      repo.damagedCopies = await repo.loadDamaged();
      await repo.refreshIndex();
    } catch (e) {
      await repo.close(); // stops the workers it may have started
      throw e;
    }
    return repo;
  }

  // ---- index ---------------------------------------------------------------------------------------------------

  /** A copy not to use while another may exist: garbage gc is about to sweep, or found damaged. */
  private badCopy(e: IndexEntry): boolean {
    const k = `${e.id}:${e.pack}`;
    return this.gcPending.has(k) || this.damagedCopies.has(k);
  }

  private addEntry(e: IndexEntry, map = this.index): void {
    const cur = map.get(e.id);
    if (!cur || (this.badCopy(cur) && !this.badCopy(e))) map.set(e.id, e);
  }

  /** The damaged copies recorded by check --read-data (damaged/<id>.<pack>). */
  private async loadDamaged(): Promise<Set<string>> {
    const keys = await this.backend.list('damaged/');
    return new Set(keys.map((k) => k.slice('damaged/'.length).replace('.', ':')));
  }

  /** Record damaged copies, so that backups store those chunks anew and readers prefer a good copy. */
  private async markDamaged(entries: IndexEntry[]): Promise<void> {
    for (const e of entries) {
      const at = {
        pack: e.pack,
        offset: e.offset,
        length: e.length,
        foundAt: new Date().toISOString(),
      };
      await this.backend.putIfAbsent(`damaged/${e.id}.${e.pack}`, Buffer.from(JSON.stringify(at)));
      this.damagedCopies.add(`${e.id}:${e.pack}`);
    }
  }

  private async readIndexFile(key: string): Promise<IndexEntry[]> {
    return decodeIndex(openFile('index', key, await this.backend.get(key), this.keys.dataKey), key);
  }

  /**
   * Load index files written since the last look; reload everything if some were removed (by gc) or if
   * `full`. Serialized, and a reload builds a new map and swaps it in, so readers never see a partial index.
   */
  private refreshIndex(full = false): Promise<void> {
    const run = (this.refreshing ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.doRefreshIndex(full));
    this.refreshing = run;
    return run;
  }

  private async doRefreshIndex(full: boolean): Promise<void> {
    const keys = await this.backend.list('index/');
    const present = new Set(keys);
    const reload = full || [...this.loadedIndex].some((k) => !present.has(k));
    const map = reload ? new Map<string, IndexEntry>() : this.index;
    const loadedSet = reload ? new Set<string>() : this.loadedIndex;
    const fresh = keys.filter((k) => !loadedSet.has(k));
    const loaded = await mapLimit(fresh, 8, async (k) => {
      try {
        return { k, entries: await this.readIndexFile(k) };
      } catch {
        // A vanished file (gc) is fine; a damaged one is skipped here (its chunks count as missing, so new
        // backups store them again) and reported by check().
        return null;
      }
    });
    for (const r of loaded) {
      if (!r) continue;
      for (const e of r.entries) this.addEntry(e, map);
      loadedSet.add(r.k);
    }
    if (reload) {
      this.index = map;
      this.loadedIndex = loadedSet;
    }
  }

  private async loadGcPending(): Promise<{ time: number; entries: Set<string> } | null> {
    try {
      const raw = openFile('gc', GC_PENDING, await this.backend.get(GC_PENDING), this.keys.dataKey);
      const j = JSON.parse(raw.toString('utf8')) as { time: number; entries: string[] };
      return { time: j.time, entries: new Set(j.entries) };
    } catch {
      return null;
    }
  }

  private getPacks(): PackStore {
    this.packs ??= new PackStore(
      this.backend,
      this.keys.dataKey,
      this.config.packTargetSize,
      this.maxBlob(),
      (entries, key) => {
        for (const e of entries) {
          this.addEntry(e);
          this.pendingIds.delete(e.id);
        }
        this.loadedIndex.add(key);
      },
    );
    return this.packs;
  }

  /** Largest blob: a raw chunk or a chunk-map segment, plus encryption overhead. */
  private maxBlob(): number {
    return Math.max(this.config.chunkSize, 12 + MAP_SEGMENT * 32) + 64;
  }

  private getPool(): Promise<ChunkProcessor> {
    this.pool ??= createChunkProcessor(
      {
        idKey: this.keys.idKey,
        dataKey: this.keys.dataKey,
        level: this.config.compression.level,
        maxChunk: this.config.chunkSize,
        ...(this.opts.threads !== undefined ? { threads: this.opts.threads } : {}),
      },
      this.opts.workerStarter,
    );
    return this.pool;
  }

  /** Number of worker threads used for chunk processing (0 = inline). */
  async threads(): Promise<number> {
    return (await this.getPool()).threads;
  }

  /**
   * If the chunk workers failed to start, start them again: a console or service host runs for days, and a shortage
   * of memory or threads passes. Only between operations (nothing may be using the chunk processor).
   */
  async retryWorkers(): Promise<void> {
    const current = this.pool && (await this.pool.catch(() => null));
    if (!current || current.fallback === null) return;
    this.pool = null;
    await current.close();
    await this.getPool();
  }

  /** A warning for the task's log when the chunk workers failed to start and the work ran inline, else null. */
  async slowPathWarning(): Promise<string | null> {
    if (!this.pool) return null;
    return this.pool.then(fallbackWarning, () => null);
  }

  /** Is this chunk already stored (or on its way) so a writer can reference it? */
  private known(id: string): boolean {
    if (this.pendingIds.has(id)) return true;
    const e = this.index.get(id);
    return !!e && !this.badCopy(e);
  }

  /**
   * Why disk `diskKey` of point `pointId` must not be the base of an incremental (null when it may): its manifest or
   * chunk map cannot be read, or chunks it uses are missing or recorded damaged with no good copy. An incremental
   * carries the base's unchanged chunks over, so it would inherit the damage; a full reads them again.
   */
  async baseProblem(pointId: string, diskKey: string): Promise<string | null> {
    this.assertOpen();
    let table: Buffer;
    try {
      const d = (await this.getPoint(pointId)).disks[diskKey];
      if (!d) return `has no disk "${diskKey}"`;
      table = await this.loadTable(pointId, diskKey, d);
    } catch (e) {
      if (e instanceof HvbcError && (e.code === 'REPO_CORRUPT' || e.code === 'NOT_FOUND'))
        return `cannot be read (${e.message.replace(/\.$/, '')})`;
      throw e;
    }
    await this.refreshIndex();
    // Only the bad ids are collected (a 2 TiB disk has 8 million entries).
    const missingIds = new Set<string>();
    const damagedIds = new Set<string>();
    for (const id of nonZeroIds(table)) {
      const e = this.index.get(id);
      if (!e) missingIds.add(id);
      else if (this.damagedCopies.has(`${e.id}:${e.pack}`)) damagedIds.add(id);
    }
    const missing = missingIds.size;
    const damaged = damagedIds.size;
    if (!missing && !damaged) return null;
    const parts = [
      ...(damaged ? [`${damaged} damaged`] : []),
      ...(missing ? [`${missing} missing`] : []),
    ];
    return `uses ${parts.join(' and ')} chunk${missing + damaged === 1 ? '' : 's'} (found by a check or a restore)`;
  }

  /** Store a small blob (chunk maps) from the main thread. */
  private async storeInline(data: Buffer): Promise<{ id: string; stored: number }> {
    const id = chunkId(data, this.keys.idKey);
    if (this.known(id)) return { id, stored: 0 };
    this.pendingIds.add(id);
    const { blob, codec } = encodeBlob(data, id, this.keys.dataKey, 3);
    await this.getPacks().add(id, blob, codec, data.length);
    return { id, stored: blob.length };
  }

  /** Read and verify one chunk; REPO_CORRUPT naming it when missing or damaged. */
  private async loadChunk(id: string, context: string): Promise<Buffer> {
    const e = this.index.get(id);
    if (!e) {
      throw new HvbcError(
        'REPO_CORRUPT',
        `Chunk ${id} (${context}) is missing from the repository index. Run a repository check to see which restore points are affected.`,
        { chunk: id },
      );
    }
    return this.readEntry(e, context);
  }

  private async readEntry(e: IndexEntry, context: string): Promise<Buffer> {
    const id = e.id;
    let blob: Buffer;
    try {
      blob = await this.backend.getRange(packKey(e.pack), e.offset, e.length);
    } catch {
      throw new HvbcError(
        'REPO_CORRUPT',
        `Pack ${e.pack} holding chunk ${id} (${context}) cannot be read. Run a repository check.`,
        { chunk: id, pack: e.pack },
      );
    }
    const raw =
      blob.length === e.length
        ? decodeBlob(blob, id, e.codec, e.rawLength, this.keys.dataKey)
        : null;
    // Encrypted blobs are authenticated (AES-GCM, chunk id as associated data); plain ones are re-hashed.
    if (!raw || (!this.keys.dataKey && chunkId(raw, null) !== id)) {
      throw new HvbcError(
        'REPO_CORRUPT',
        `Chunk ${id} (${context}) in pack ${e.pack} is damaged. Run a repository check with read-data to find every affected restore point.`,
        { chunk: id, pack: e.pack },
      );
    }
    return raw;
  }

  private async loadTable(point: string, diskKey: string, d: DiskManifest): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const mapId of d.maps)
      parts.push(
        decodeChunkMap(await this.loadChunk(mapId, `chunk map of ${point}/${diskKey}`), mapId),
      );
    const table = Buffer.concat(parts);
    if (table.length !== d.chunkCount * 32) {
      throw new HvbcError(
        'REPO_CORRUPT',
        `The chunk map of ${point}/${diskKey} has the wrong length. Run a repository check.`,
        { point, disk: diskKey },
      );
    }
    return table;
  }

  // ---- points ----------------------------------------------------------------------------------------------------

  async beginPoint(meta: PointMeta): Promise<PointWriter> {
    this.assertOpen();
    if (
      !meta ||
      typeof meta.vmId !== 'string' ||
      !meta.vmId ||
      typeof meta.vmName !== 'string' ||
      (meta.kind !== 'full' && meta.kind !== 'incremental')
    ) {
      throw new HvbcError(
        'VALIDATION',
        'A restore point needs vmId, vmName and kind ("full" or "incremental").',
      );
    }
    const lock = await acquireLock(this.backend, 'backup', `backup of ${meta.vmName}`, this.timing);
    try {
      // Lock first, then read gc's garbage list, then the index: see gc().
      if (this.packs?.failed) {
        // A previous write failed (e.g. storage full): start over with a fresh pack store.
        this.packs = null;
        this.pendingIds.clear();
      }
      const pending = await this.loadGcPending();
      const damaged = await this.loadDamaged();
      if ((pending?.time ?? 0) !== this.gcPendingTime || damaged.size !== this.damagedCopies.size) {
        this.gcPending = pending?.entries ?? new Set();
        this.gcPendingTime = pending?.time ?? 0;
        this.damagedCopies = damaged;
        // Reload so that the preferred (non-garbage) copy of each chunk is the one indexed.
        await this.refreshIndex(true);
      } else {
        await this.refreshIndex();
      }
      const pool = await this.getPool();
      return new PointWriterImpl(this, pool, lock, meta);
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /** The restore points, oldest first; one that cannot be read is left out and passed to `onUnreadable`. */
  async listPoints(
    filter: { vmId?: string; onUnreadable?: (id: string, why: string) => void } = {},
  ): Promise<PointSummary[]> {
    this.assertOpen();
    const out: PointSummary[] = [];
    for (const key of await this.backend.list('points/')) {
      const id = key.slice('points/'.length);
      if (!isPointId(id)) continue;
      let m: PointManifest;
      try {
        m = await this.getPoint(id);
      } catch (e) {
        // Damaged, or deleted meanwhile (no longer listed): check() reports damage.
        if (!(e instanceof HvbcError && e.code === 'NOT_FOUND'))
          filter.onUnreadable?.(id, e instanceof Error ? e.message : String(e));
        continue;
      }
      if (filter.vmId === undefined || m.vmId === filter.vmId) out.push(summarize(m));
    }
    return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  }

  async getPoint(id: string): Promise<PointManifest> {
    this.assertOpen();
    if (typeof id !== 'string' || !isPointId(id))
      throw new HvbcError('NOT_FOUND', `There is no restore point ${String(id)}.`, { pointId: id });
    const cached = this.manifests.get(id);
    if (cached) return cached;
    let raw: Buffer;
    try {
      raw = await this.backend.get(`points/${id}`);
    } catch {
      throw new HvbcError(
        'NOT_FOUND',
        `There is no restore point ${id}; it may have been deleted by retention. List the points and pick another.`,
        { pointId: id },
      );
    }
    const m = decodeManifest(
      openFile('point', `points/${id}`, raw, this.keys.dataKey),
      `points/${id}`,
    );
    if (m.id !== id)
      throw new HvbcError(
        'REPO_CORRUPT',
        `The restore point file ${id} holds point ${m.id}. Run a repository check.`,
        { pointId: id },
      );
    this.manifests.set(id, m);
    return m;
  }

  /**
   * Read a disk of a point: `sink` is called for every chunk in order (null data = zeros). Every chunk is
   * verified (re-hashed to its id) before the sink sees it. `data` is valid only until the sink's promise
   * settles (it may live in memory shared with the worker threads): copy it to keep it. Returns the disk's
   * content digest (digest.ts), which equals the point's when its chunk table is intact.
   */
  async readDisk(
    pointId: string,
    diskKey: string,
    sink: (offset: number, data: Buffer | null, length: number) => Promise<void>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<{ digest: string }> {
    return this.withDiskRead(pointId, diskKey, async (r) => {
      if (!r.batchSource) {
        await this.readChunksHere(r.pool, r.table, r.d, sink, r.readRange, r.loop(opts.signal));
        return;
      }
      // Batches decode ahead; the sink still sees chunks one at a time, in disk order.
      let order = Promise.resolve();
      await readBatches(
        r.pool,
        r.batchSource,
        (b) =>
          (order = order.then(async () => {
            for (let k = 0; k < b.plan.at.length; k++)
              await sink((b.plan.first + k) * r.d.chunkSize, b.view(k), b.length(k));
          })),
        { ...opts, depth: 3 },
      );
    });
  }

  /**
   * Restore a disk of a point into `target` (a new disk image): every chunk verified against its id, zero chunks
   * skipped, writes of up to 16 MiB issued straight from page-aligned buffers (up to four at once, in any order).
   * `onProgress` gets the disk bytes covered so far. Returns the disk's content digest.
   */
  async readDiskTo(
    pointId: string,
    diskKey: string,
    target: RandomWriter,
    opts: { signal?: AbortSignal; onProgress?: (bytesDone: number) => void } = {},
  ): Promise<{ digest: string }> {
    return this.withDiskRead(pointId, diskKey, async (r) => {
      const cs = r.d.chunkSize;
      if (!r.batchSource) {
        const out = new BatchedWriter(target);
        await this.readChunksHere(
          r.pool,
          r.table,
          r.d,
          async (offset, data, length) => {
            if (data) await out.add(offset, data);
            opts.onProgress?.(offset + length);
          },
          r.readRange,
          r.loop(opts.signal),
        );
        await out.finish();
        return;
      }
      await readBatches(
        r.pool,
        r.batchSource,
        async (b) => {
          // One write at a time per batch, so as many writes are in flight as batches (four). Issuing every run
          // of every batch at once measured 8–25% slower in alternating runs on this project's test machine.
          for (const run of b.plan.runs)
            await target.write(run.diskOffset, b.buffer.subarray(run.at, run.at + run.length));
          opts.onProgress?.(Math.min(b.plan.next * cs, r.d.virtualSize));
        },
        opts.signal ? { signal: opts.signal } : {},
      );
    });
  }

  /** Open a disk of a point for reading under a read lock: its manifest, verified chunk table and read helpers. */
  private async withDiskRead(
    pointId: string,
    diskKey: string,
    body: (r: DiskRead) => Promise<void>,
  ): Promise<{ digest: string }> {
    this.assertOpen();
    const m = await this.getPoint(pointId);
    const d = m.disks[diskKey];
    if (!d)
      throw new HvbcError(
        'NOT_FOUND',
        `Restore point ${pointId} has no disk "${diskKey}". It has: ${Object.keys(m.disks).join(', ') || 'none'}.`,
        { pointId, diskKey },
      );
    const lock = await acquireLock(
      this.backend,
      'read',
      `reading ${pointId}/${diskKey}`,
      this.timing,
    );
    // Pack handles stay open for this read (the read lock keeps gc from deleting packs meanwhile).
    const readers = new Map<string, Promise<RangeReader>>();
    const readRange = async (pack: string, offset: number, length: number): Promise<Buffer> => {
      if (!this.backend.openRead) return this.backend.getRange(packKey(pack), offset, length);
      let r = readers.get(pack);
      if (!r) {
        if (readers.size >= 16) {
          const [oldest, h] = readers.entries().next().value as [string, Promise<RangeReader>];
          readers.delete(oldest);
          void h.then((x) => x.close()).catch(() => undefined);
        }
        r = this.backend.openRead(packKey(pack));
        r.catch(() => readers.delete(pack));
        readers.set(pack, r);
      }
      return (await r).read(offset, length);
    };
    let pool: ChunkProcessor | null = null;
    try {
      // The worker threads start (tens of ms) while the index and the chunk table load.
      const starting = this.getPool();
      starting.catch(() => undefined); // awaited below
      await this.refreshIndex();
      const table = await this.loadTable(pointId, diskKey, d);
      pool = await starting;
      const digest = tableDigest(table, d.chunkSize, d.virtualSize);
      if (d.digest && d.digest !== digest)
        throw new HvbcError(
          'REPO_CORRUPT',
          `The chunk table of ${pointId}/${diskKey} does not match the point's digest. Run a repository check.`,
          { pointId, diskKey },
        );
      const where = (i: number): string => `${pointId}/${diskKey} offset ${i * d.chunkSize}`;
      const missing = (i: number, id: string): HvbcError =>
        new HvbcError(
          'REPO_CORRUPT',
          `Chunk ${id} (${where(i)}) is missing from the repository index. Run a repository check to see which restore points are affected.`,
          { chunk: id },
        );
      const unreadable = (i: number, id: string, pack: string): HvbcError =>
        new HvbcError(
          'REPO_CORRUPT',
          `Pack ${pack} holding chunk ${id} (${where(i)}) cannot be read. Run a repository check.`,
          { chunk: id, pack },
        );
      const local = this.backend.localPath?.bind(this.backend);
      const batchSource: BatchSource | null = local
        ? {
            table,
            chunkSize: d.chunkSize,
            virtualSize: d.virtualSize,
            locate: (i, id) => {
              const e = this.index.get(id);
              if (!e) throw missing(i, id);
              const { offset, length, codec, rawLength } = e;
              return { file: local(packKey(e.pack)), offset, length, codec, rawLength, id };
            },
            failure: (i, id, status) => {
              const pack = this.index.get(id)?.pack ?? '?';
              return status === 'unreadable'
                ? unreadable(i, id, pack)
                : this.damaged(id, pack, where(i));
            },
            canceled: () => canceled('Reading the disk'),
          }
        : null;
      await body({
        d,
        table,
        pool,
        readRange,
        batchSource,
        loop: (signal) => ({ ...(signal ? { signal } : {}), where, missing, unreadable }),
      });
      return { digest };
    } finally {
      for (const r of readers.values()) await r.then((x) => x.close()).catch(() => undefined);
      await pool?.closeFiles().catch(() => undefined);
      await Promise.all(this.damageRecords.splice(0)); // before the read reports the damage
      await lock.release();
    }
  }

  /** readDisk's loop for backends without local files: read and decode here, re-hash on the workers. */
  private async readChunksHere(
    pool: ChunkProcessor,
    table: Buffer,
    d: DiskManifest,
    sink: (offset: number, data: Buffer | null, length: number) => Promise<void>,
    readRange: (pack: string, offset: number, length: number) => Promise<Buffer>,
    o: ReadLoopOptions,
  ): Promise<void> {
    const n = d.chunkCount;
    const idAt = (i: number): string => table.toString('hex', i * 32, i * 32 + 32);
    // Stage 1 (prefetch window): read + decrypt + decompress. Stage 2 (in order): re-hash on a worker.
    // Stage 3 (in order): hand to the sink once the chunk proved to be the right one.
    const fetches = new Map<number, Promise<Buffer>>();
    let ahead = 0;
    const prefetch = (upTo: number): void => {
      for (; ahead < Math.min(n, upTo); ahead++) {
        const id = idAt(ahead);
        if (id === ZERO_ID) continue;
        const i = ahead;
        const e = this.index.get(id);
        const p = (async () => {
          if (!e) throw o.missing(i, id);
          let blob: Buffer;
          try {
            blob = await readRange(e.pack, e.offset, e.length);
          } catch {
            throw o.unreadable(i, id, e.pack);
          }
          const raw =
            blob.length === e.length
              ? decodeBlob(blob, id, e.codec, e.rawLength, this.keys.dataKey)
              : null;
          if (!raw) throw this.damaged(id, e.pack, o.where(i));
          return raw;
        })();
        p.catch(() => undefined); // observed below
        fetches.set(i, p);
      }
    };
    const queue: Array<{ i: number; length: number; v: Verified | null }> = [];
    const deliver = async (): Promise<void> => {
      const q = queue.shift();
      if (!q) return;
      try {
        if (q.v) {
          const id = idAt(q.i);
          if ((await q.v.id) !== id)
            throw this.damaged(id, this.index.get(id)?.pack ?? '?', o.where(q.i));
        }
        await sink(q.i * d.chunkSize, q.v ? q.v.view : null, q.length);
      } finally {
        q.v?.release();
      }
    };
    try {
      for (let i = 0; i < n; i++) {
        if (o.signal?.aborted) throw canceled('Reading the disk');
        prefetch(i + 8);
        const length = Math.min(d.chunkSize, d.virtualSize - i * d.chunkSize);
        const f = fetches.get(i);
        if (!f) {
          queue.push({ i, length, v: null });
        } else {
          fetches.delete(i);
          const v = pool.verify(await f);
          v.id.catch(() => undefined); // observed in deliver()
          queue.push({ i, length, v });
        }
        while (queue.length > 4) await deliver();
      }
      while (queue.length) await deliver();
    } finally {
      for (const q of queue.splice(0)) q.v?.release();
    }
  }

  private damaged(id: string, pack: string, context: string): HvbcError {
    // A read that finds a copy damaged records it, as check --read-data does (best effort: the error is the news).
    const e = this.index.get(id);
    if (e && e.pack === pack) this.damageRecords.push(this.markDamaged([e]).catch(() => undefined));
    return new HvbcError(
      'REPO_CORRUPT',
      `Chunk ${id} (${context}) in pack ${pack} is damaged. Run a repository check with read-data to find every affected restore point.`,
      { chunk: id, pack },
    );
  }

  /**
   * The content digest (digest.ts) of a disk image read through `source`, with this repository's chunk size and
   * chunk-id function: compare it with a point's digest to prove a restored disk holds exactly that point.
   */
  async digestOf(source: DigestSource, opts: DigestOptions = {}): Promise<string> {
    this.assertOpen();
    return digestOf(await this.getPool(), this.chunkSize, source, opts);
  }

  /** The chunk ids of a disk of a point ('zero' for all-zero chunks), for tools and tests. */
  async diskChunks(pointId: string, diskKey: string): Promise<Array<string | 'zero'>> {
    const m = await this.getPoint(pointId);
    const d = m.disks[diskKey];
    if (!d) throw new HvbcError('NOT_FOUND', `Restore point ${pointId} has no disk "${diskKey}".`);
    await this.refreshIndex();
    return tableToIds(await this.loadTable(pointId, diskKey, d));
  }

  /** Where a chunk is stored (for tools and tests): its pack, the pack's path in the repository, offset, length. */
  async locateChunk(id: string): Promise<(IndexEntry & { packPath: string }) | null> {
    await this.refreshIndex();
    const e = this.index.get(id);
    return e ? { ...e, packPath: packKey(e.pack) } : null;
  }

  /**
   * Move a restore point whose manifest is damaged (read whole, but not decodable) out of points/ into
   * quarantine/points/, so that gc and the figures no longer wait for it and a copy can still be put back. A point
   * that reads is refused (retention removes those), and so is one that cannot be read at all (storage errors).
   */
  async quarantinePoint(id: string): Promise<{ pointId: string; movedTo: string }> {
    this.assertOpen();
    if (typeof id !== 'string' || !isPointId(id))
      throw new HvbcError('NOT_FOUND', `There is no restore point ${String(id)}.`, { pointId: id });
    let damaged = false;
    try {
      await this.getPoint(id);
    } catch (e) {
      if (!(e instanceof HvbcError) || e.code !== 'REPO_CORRUPT') throw e;
      damaged = true;
    }
    if (!damaged)
      throw new HvbcError(
        'VALIDATION',
        `Restore point ${id} reads fine, so it is not moved aside. Remove restore points with retention ("hvbc repo forget").`,
        { pointId: id },
      );
    const movedTo = `quarantine/points/${id}`;
    const lock = await acquireLock(this.backend, 'prune', `moving aside ${id}`, this.timing);
    try {
      await this.backend.putIfAbsent(movedTo, await this.backend.get(`points/${id}`));
      await this.backend.delete(`points/${id}`);
      this.manifests.delete(id);
    } finally {
      await lock.release();
    }
    return { pointId: id, movedTo };
  }

  async deletePoint(id: string): Promise<void> {
    this.assertOpen();
    await this.getPoint(id); // NOT_FOUND
    const lock = await acquireLock(this.backend, 'prune', `deleting ${id}`, this.timing);
    try {
      const usedAsBase = async (): Promise<string | null> => {
        for (const l of await listLocks(this.backend, this.timing))
          if (l.info.kind === 'backup' && l.info.basePoints?.includes(id))
            return describeLock(l.info);
        return null;
      };
      const busy = (who: string): HvbcError =>
        new HvbcError(
          'REPO_LOCKED',
          `Restore point ${id} is the base of a backup that is running (${who}). Delete it after that backup finishes.`,
          { pointId: id },
        );
      const who = await usedAsBase();
      if (who) throw busy(who);
      const raw = await this.backend.get(`points/${id}`);
      await this.backend.delete(`points/${id}`);
      this.manifests.delete(id);
      // A backup may have picked it as its base meanwhile (it records the base in its lock before reading it).
      const late = await usedAsBase();
      if (late) {
        await this.backend.putIfAbsent(`points/${id}`, raw);
        throw busy(late);
      }
    } finally {
      await lock.release();
    }
  }

  // ---- check -------------------------------------------------------------------------------------------------------

  /** Structure, and with readData every stored chunk re-hashed (check.ts), under the read lock. */
  async check(opts: CheckOptions = {}): Promise<CheckResult> {
    this.assertOpen();
    const lock = await acquireLock(
      this.backend,
      'read',
      opts.readData ? 'check --read-data' : 'check',
      this.timing,
    );
    try {
      return await runCheck(
        {
          backend: this.backend,
          keys: this.keys,
          readIndexFile: (key) => this.readIndexFile(key),
          pool: () => this.getPool(),
          markDamaged: (entries) => this.markDamaged(entries),
        },
        opts,
      );
    } finally {
      await lock.release();
    }
  }

  // ---- gc ----------------------------------------------------------------------------------------------------------

  /**
   * Mark and sweep. Safe while backups run: see README.md ("gc while backups run"). graceMs protects packs
   * younger than (oldest running backup or now) − graceMs (default 10 minutes; clock skew between hosts).
   */
  async gc(opts: GcOptions = {}): Promise<GcResult> {
    this.assertOpen();
    const lock = await acquireLock(this.backend, 'gc', 'gc', this.timing);
    try {
      return await runGc(
        {
          backend: this.backend,
          keys: this.keys,
          timing: this.timing,
          packTargetSize: this.config.packTargetSize,
          maxBlob: this.maxBlob(),
          readIndexFile: (key) => this.readIndexFile(key),
          readEntry: (e, context) => this.readEntry(e, context),
          loadGcPending: () => this.loadGcPending(),
        },
        opts,
      );
    } finally {
      await lock.release();
      // Our own index view is stale now.
      await this.refreshIndex(true).catch(() => undefined);
    }
  }

  // ---- stats -------------------------------------------------------------------------------------------------------

  async stats(): Promise<RepoStats> {
    this.assertOpen();
    await this.refreshIndex();
    const unreadablePoints: RepoStats['unreadablePoints'] = [];
    const unreadable = (id: string, why: string) => unreadablePoints.push({ id, why });
    const noMaps = (p: PointSummary, e: unknown) =>
      unreadablePoints.push({
        id: p.id,
        why: e instanceof Error ? e.message : String(e),
        vmName: p.vmName,
        time: p.time,
      });
    const vms = new Map<string, RepoStats['vms'][number]>();
    const unique = new Set<string>();
    let count = 0;
    let logicalBytes = 0;
    let dataBytes = 0;
    for (const p of await this.listPoints({ onUnreadable: unreadable })) {
      // A point counts only when its chunk maps read too (it could not be restored otherwise).
      const ids = await this.chunksOf(p.id).catch((e: unknown) => (noMaps(p, e), null));
      if (!ids) continue;
      for (const id of ids) unique.add(id);
      count++;
      logicalBytes += p.logicalBytes;
      dataBytes += p.dataBytes;
      const v = vms.get(p.vmId) ?? {
        vmId: p.vmId,
        vmName: p.vmName,
        points: 0,
        oldest: p.time,
        newest: p.time,
        logicalBytes: 0,
      };
      v.points++;
      v.vmName = p.vmName;
      v.logicalBytes += p.logicalBytes;
      if (p.time < v.oldest) v.oldest = p.time;
      if (p.time > v.newest) v.newest = p.time;
      vms.set(p.vmId, v);
    }
    let uniqueRawBytes = 0;
    let storedBytes = 0;
    for (const id of unique) {
      const e = this.index.get(id);
      if (!e) continue;
      uniqueRawBytes += e.rawLength;
      storedBytes += e.length;
    }
    let repoBytes = 0;
    let packs = 0;
    let indexFiles = 0;
    for (const prefix of ['packs/', 'index/', 'points/']) {
      for (const key of await this.backend.list(prefix)) {
        repoBytes += (await this.backend.stat(key))?.size ?? 0;
        if (prefix === 'packs/') packs++;
        if (prefix === 'index/') indexFiles++;
      }
    }
    return {
      chunkSize: this.chunkSize,
      encrypted: this.encrypted,
      points: count,
      vms: [...vms.values()],
      logicalBytes,
      dataBytes,
      uniqueChunks: unique.size,
      uniqueRawBytes,
      storedBytes,
      repoBytes,
      packs,
      indexFiles,
      dedupeRatio: uniqueRawBytes ? dataBytes / uniqueRawBytes : 1,
      compressionRatio: storedBytes ? uniqueRawBytes / storedBytes : 1,
      volume: await this.space(),
      unreadablePoints,
    };
  }

  /** The distinct non-zero chunks the disks of a point use (from their chunk maps). */
  private async chunksOf(pointId: string): Promise<Set<string>> {
    const m = await this.getPoint(pointId);
    const ids = new Set<string>();
    for (const [diskKey, d] of Object.entries(m.disks))
      for (const id of nonZeroIds(await this.loadTable(pointId, diskKey, d))) ids.add(id);
    return ids;
  }

  /** Free and total bytes of the repository's storage, where the backend says. */
  async space(): Promise<StorageSpace | null> {
    return (await this.backend.space?.()) ?? null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    // A pool that failed to start has nothing to stop (its error went to the operation that needed it).
    if (pool)
      await pool.then(
        (p) => p.close(),
        () => undefined,
      );
  }

  private assertOpen(): void {
    if (this.closed) throw new HvbcError('VALIDATION', 'The repository is closed. Open it again.');
  }

  // ---- internals used by the writers ---------------------------------------------------------------------------------

  /** @internal */
  _internals() {
    return {
      backend: this.backend,
      keys: this.keys,
      known: (id: string) => this.known(id),
      accept: (id: string) => this.pendingIds.add(id),
      packs: () => this.getPacks(),
      storeInline: (data: Buffer) => this.storeInline(data),
      loadTable: (point: string, diskKey: string, d: DiskManifest) =>
        this.loadTable(point, diskKey, d),
      refreshIndex: () => this.refreshIndex(),
      hasEntry: (id: string) => this.index.has(id),
      cache: (m: PointManifest) => this.manifests.set(m.id, m),
      assertSameRepository: () => this.assertSameRepository(),
    };
  }

  /**
   * The config on storage must still be the one this instance opened: a folder re-created by another init, or a
   * share unmounted under a running backup (its path now an empty local folder), must not get a point that no
   * one can read.
   */
  private async assertSameRepository(): Promise<void> {
    let raw: Buffer;
    try {
      raw = await this.backend.get('config');
    } catch {
      throw new HvbcError(
        'REPO_NOT_FOUND',
        `The repository's config is gone from ${this.dir}: was the share disconnected or the folder moved? Nothing was recorded; reconnect it and run the operation again.`,
        { dir: this.dir },
      );
    }
    let id: unknown;
    try {
      id = (JSON.parse(raw.toString('utf8')) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    if (id !== this.config.id)
      throw new HvbcError(
        'CONFLICT',
        `The repository at ${this.dir} was replaced while this ran (its config is not the one opened: another "repo init" or a copy put in its place). Nothing was recorded; open the repository again and rerun the operation.`,
        { dir: this.dir },
      );
  }
}

/** What withDiskRead hands its body. */
interface DiskRead {
  d: DiskManifest;
  table: Buffer;
  pool: ChunkProcessor;
  readRange(pack: string, offset: number, length: number): Promise<Buffer>;
  /** Reads decoded by the workers straight from local pack files (null: the backend has none). */
  batchSource: BatchSource | null;
  loop(signal: AbortSignal | undefined): ReadLoopOptions;
}

interface ReadLoopOptions {
  signal?: AbortSignal;
  where(i: number): string;
  missing(i: number, id: string): HvbcError;
  unreadable(i: number, id: string, pack: string): HvbcError;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
