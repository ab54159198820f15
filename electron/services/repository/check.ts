// Repository check: structure (every index file, pack, manifest and chunk map) and, with readData, every stored
// chunk read back and re-hashed. Names every missing or corrupt chunk and every restore point that uses one.
import type { CheckResult } from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import type { Backend } from './backend';
import { decodeBlob, openFile } from './blob';
import type { ChunkProcessor, ChunkStatus } from './chunk-pool';
import { chunkId, type RepoKeys } from './crypto';
import {
  decodeChunkMap,
  decodeManifest,
  nonZeroIds,
  packKey,
  type IndexEntry,
  type PointManifest,
} from './format';
import { PACK_MAGIC } from './pack-store';
import { verifyStored } from './verify-stored';

export interface CheckOptions {
  readData?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** What the check needs of the repository (which holds the read lock while it runs). */
export interface CheckDeps {
  backend: Backend;
  keys: RepoKeys;
  readIndexFile(key: string): Promise<IndexEntry[]>;
  pool(): Promise<ChunkProcessor>;
  /** Record copies found damaged (backups then store those chunks again; see Repository.markDamaged). */
  markDamaged(entries: IndexEntry[]): Promise<void>;
}

/** A stored blob decoded, if it decodes and hashes to its id; null when damaged. */
function verifiedRaw(blob: Buffer, e: IndexEntry, keys: RepoKeys): Buffer | null {
  const raw = decodeBlob(blob, e.id, e.codec, e.rawLength, keys.dataKey);
  return raw && chunkId(raw, keys.idKey) === e.id ? raw : null;
}

const canceled = (): HvbcError => new HvbcError('CANCELED', 'The repository check was canceled.');

export async function runCheck(deps: CheckDeps, opts: CheckOptions): Promise<CheckResult> {
  const errors: string[] = [];
  const missing = new Set<string>();
  const corrupt = new Set<string>();
  const affected = new Set<string>();
  // Every index entry, by chunk id (a chunk may be stored twice, e.g. by two concurrent backups).
  const entries = new Map<string, IndexEntry[]>();
  for (const key of await deps.backend.list('index/')) {
    try {
      for (const e of await deps.readIndexFile(key)) {
        const list = entries.get(e.id);
        if (list) list.push(e);
        else entries.set(e.id, [e]);
      }
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  const packSizes = new Map<string, number>();
  for (const key of await deps.backend.list('packs/')) {
    const st = await deps.backend.stat(key);
    if (st) packSizes.set(key.slice(key.lastIndexOf('/') + 1), st.size);
  }
  const structurallyOk = (e: IndexEntry): boolean => {
    const size = packSizes.get(e.pack);
    return size !== undefined && e.offset >= PACK_MAGIC.length && e.offset + e.length <= size;
  };
  const goodEntry = (id: string): IndexEntry | undefined => entries.get(id)?.find(structurallyOk);
  const badPacks = new Set<string>();
  for (const list of entries.values())
    for (const e of list) if (!structurallyOk(e)) badPacks.add(e.pack);
  for (const p of badPacks) {
    errors.push(
      packSizes.has(p) ? `Pack ${p} is shorter than its index says.` : `Pack ${p} is missing.`,
    );
  }

  // Which chunks each point uses.
  const users = new Map<string, Set<string>>();
  const use = (id: string, point: string): void => {
    const s = users.get(id);
    if (s) s.add(point);
    else users.set(id, new Set([point]));
  };
  const readEntry = async (e: IndexEntry): Promise<Buffer | null> => {
    try {
      const blob = await deps.backend.getRange(packKey(e.pack), e.offset, e.length);
      return blob.length === e.length ? verifiedRaw(blob, e, deps.keys) : null;
    } catch {
      return null;
    }
  };
  const pointKeys = await deps.backend.list('points/');
  for (const key of pointKeys) {
    if (opts.signal?.aborted) throw canceled();
    const point = key.slice('points/'.length);
    let m: PointManifest;
    try {
      m = decodeManifest(
        openFile('point', key, await deps.backend.get(key), deps.keys.dataKey),
        key,
      );
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
      affected.add(point);
      continue;
    }
    for (const [diskKey, d] of Object.entries(m.disks)) {
      const parts: Buffer[] = [];
      let mapsOk = true;
      for (const mapId of d.maps) {
        use(mapId, point);
        const e = goodEntry(mapId);
        const raw = e ? await readEntry(e) : null;
        if (!raw) {
          (e ? corrupt : missing).add(mapId);
          errors.push(
            `The chunk map ${mapId} of ${point}/${diskKey} is ${e ? 'damaged' : 'missing'}; the disk cannot be restored.`,
          );
          affected.add(point);
          mapsOk = false;
          continue;
        }
        try {
          parts.push(decodeChunkMap(raw, mapId));
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err));
          affected.add(point);
          mapsOk = false;
        }
      }
      if (!mapsOk) continue;
      const table = Buffer.concat(parts);
      if (table.length !== d.chunkCount * 32) {
        errors.push(`The chunk map of ${point}/${diskKey} has the wrong length.`);
        affected.add(point);
        continue;
      }
      for (const id of nonZeroIds(table)) {
        use(id, point);
        if (!goodEntry(id)) {
          missing.add(id);
          affected.add(point);
        }
      }
    }
  }

  let checked = 0;
  if (opts.readData) {
    // Re-read every stored chunk (used or not: an unused one may be deduplicated against later).
    const stored = [...entries.values()]
      .flat()
      .filter(structurallyOk)
      // Plain code-unit order (pack ids are hex): localeCompare costs too much over millions of chunks.
      .sort((a, b) => (a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : a.offset - b.offset));
    const total = stored.length;
    opts.onProgress?.(0, total);
    const unreadable = new Set<string>();
    const bad: IndexEntry[] = [];
    const good = new Set<string>();
    const judge = (e: IndexEntry, status: ChunkStatus): void => {
      if (status === 'unreadable' && !unreadable.has(e.pack)) {
        unreadable.add(e.pack);
        errors.push(`Pack ${e.pack} cannot be read.`);
      }
      if (status === 'ok') good.add(e.id);
      else bad.push(e);
      checked++;
    };
    await reReadStored(deps, stored, judge, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      afterBatch: () => opts.onProgress?.(checked, total),
    });
    // A chunk is lost only when no copy of it is good: one stored anew after damage was found heals it.
    const recorded = await deps.markDamaged(bad).then(
      () => true,
      (e: unknown) => {
        errors.push(
          `The damaged copies could not be recorded (${e instanceof Error ? e.message : String(e)}): until a check that can write to the repository records them, backups may still deduplicate against them.`,
        );
        return false;
      },
    );
    for (const e of bad) {
      if (good.has(e.id)) continue;
      corrupt.add(e.id);
      for (const p of users.get(e.id) ?? []) affected.add(p);
    }
    if (recorded && [...corrupt].some((id) => users.has(id)))
      errors.push(
        'The damaged chunks are recorded: the next backup of each affected VM stores them anew where the VM still holds that data (deduplication skips the damaged copies), and the restore points that need them can then be restored again.',
      );
    for (const id of corrupt)
      if (!users.has(id))
        errors.push(
          `Unused chunk ${id} is damaged (no restore point needs it; gc will remove it).`,
        );
  } else {
    // Distinct chunks (data and chunk maps) the points use: a shared one counts once, as in the read-data count.
    checked = users.size;
    opts.onProgress?.(checked, checked);
  }
  for (const id of missing) for (const p of users.get(id) ?? []) affected.add(p);
  const result: CheckResult = {
    ok: errors.length === 0 && missing.size === 0 && corrupt.size === 0,
    missingChunks: [...missing].sort(),
    corruptChunks: [...corrupt].sort(),
    affectedPoints: [...affected].sort(),
    errors,
    chunksChecked: checked,
  };
  return result;
}

/**
 * Read every stored chunk back and tell `judge` how it decoded and hashed: on the worker threads for local packs
 * (verify-stored.ts), one pack at a time on this thread for other backends.
 */
async function reReadStored(
  deps: CheckDeps,
  stored: IndexEntry[],
  judge: (e: IndexEntry, status: ChunkStatus) => void,
  opts: { signal?: AbortSignal; afterBatch: () => void },
): Promise<void> {
  const local = deps.backend.localPath?.bind(deps.backend);
  if (local) {
    // Local packs: decoded and re-hashed on the worker threads (verify-stored.ts).
    const pool = await deps.pool();
    try {
      await verifyStored(pool, stored, {
        fileOf: (pack) => local(packKey(pack)),
        ...(opts.signal ? { signal: opts.signal } : {}),
        canceled,
        onBatch: (first, statuses) => {
          statuses.forEach((st, n) => judge(stored[first + n] as IndexEntry, st));
          opts.afterBatch();
        },
      });
    } finally {
      await pool.closeFiles().catch(() => undefined);
    }
  } else {
    // Other backends: one pack at a time, decoded here.
    for (let i = 0; i < stored.length;) {
      if (opts.signal?.aborted) throw canceled();
      const pack = (stored[i] as IndexEntry).pack;
      let data: Buffer | null = null;
      try {
        data = await deps.backend.get(packKey(pack));
      } catch {
        /* every chunk of the pack is reported unreadable below */
      }
      for (; i < stored.length && (stored[i] as IndexEntry).pack === pack; i++) {
        const e = stored[i] as IndexEntry;
        if (!data) judge(e, 'unreadable');
        else {
          const blob = data.subarray(e.offset, e.offset + e.length);
          judge(e, verifiedRaw(blob, e, deps.keys) ? 'ok' : 'damaged');
        }
      }
      opts.afterBatch();
    }
  }
}
