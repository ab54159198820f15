// Garbage collection, mark and sweep: chunks no restore point uses are removed, partly used packs rewritten.
// Safe while backups run (README.md, "gc while backups run"): the caller holds the exclusive gc lock.
import { randomBytes } from 'node:crypto';
import type { GcResult } from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import { LocalFolderBackend, type Backend } from './backend';
import { openFile, sealFile } from './blob';
import type { RepoKeys } from './crypto';
import {
  decodeChunkMap,
  decodeManifest,
  encodeIndex,
  nonZeroIds,
  packKey,
  type IndexEntry,
} from './format';
import { listLocks, type LockTiming } from './locks';
import { PackStore, PACK_MAGIC } from './pack-store';

/** Garbage seen by the last gc while backups ran, kept for the next one. */
export const GC_PENDING = 'gc/pending';

export interface GcOptions {
  signal?: AbortSignal;
  graceMs?: number;
}

/** What gc needs of the repository. */
export interface GcDeps {
  backend: Backend;
  keys: RepoKeys;
  timing: LockTiming;
  packTargetSize: number;
  /** Largest blob a pack may hold. */
  maxBlob: number;
  readIndexFile(key: string): Promise<IndexEntry[]>;
  readEntry(e: IndexEntry, context: string): Promise<Buffer>;
  loadGcPending(): Promise<{ time: number; entries: Set<string> } | null>;
}

export async function runGc(deps: GcDeps, opts: GcOptions): Promise<GcResult> {
  const grace = opts.graceMs ?? 10 * 60_000;
  const check = (): void => {
    if (opts.signal?.aborted) throw new HvbcError('CANCELED', 'Garbage collection was canceled.');
  };
  const gcStart = Date.now();
  const prev = await deps.loadGcPending();
  const writers1 = (await listLocks(deps.backend, deps.timing)).filter(
    (l) => l.info.kind === 'backup',
  );

  // Load every index file.
  const files = new Map<string, IndexEntry[]>();
  for (const key of await deps.backend.list('index/'))
    files.set(key, await deps.readIndexFile(key));
  const all: IndexEntry[] = [...files.values()].flat();
  const byId = new Map<string, IndexEntry>();
  for (const e of all) if (!byId.has(e.id)) byId.set(e.id, e);

  // Mark: every chunk and chunk map of every point. Any unreadable point stops gc (never sweep on a partial mark).
  const live = new Set<string>();
  const seenPoints = new Set<string>();
  const markPoint = async (key: string): Promise<void> => {
    const id = key.slice('points/'.length);
    const m = decodeManifest(
      openFile('point', key, await deps.backend.get(key), deps.keys.dataKey),
      key,
    );
    for (const [diskKey, d] of Object.entries(m.disks)) {
      for (const mapId of d.maps) {
        live.add(mapId);
        const e = byId.get(mapId);
        if (!e)
          throw new HvbcError(
            'REPO_CORRUPT',
            `gc stopped: the chunk map ${mapId} of ${id}/${diskKey} is missing. Run a repository check.`,
          );
        const t = decodeChunkMap(await deps.readEntry(e, `chunk map of ${id}/${diskKey}`), mapId);
        for (const cid of nonZeroIds(t)) live.add(cid);
      }
    }
    seenPoints.add(key);
  };
  for (const key of await deps.backend.list('points/')) {
    check();
    await markPoint(key);
  }

  // Packs on storage, with time; those newer than the cutoff are never touched.
  const oldestWriter = Math.min(
    gcStart,
    ...writers1.map((w) => Date.parse(w.info.created)).filter(Number.isFinite),
  );
  const cutoff = oldestWriter - grace;
  const packInfo = new Map<string, { size: number; mtimeMs: number }>();
  for (const key of await deps.backend.list('packs/')) {
    const st = await deps.backend.stat(key);
    if (st) packInfo.set(key.slice(key.lastIndexOf('/') + 1), st);
  }
  const old = (pack: string): boolean => {
    const p = packInfo.get(pack);
    return !!p && p.mtimeMs < cutoff;
  };
  const pair = (e: IndexEntry): string => `${e.id}:${e.pack}`;
  const garbage = all.filter((e) => !live.has(e.id) && old(e.pack));
  const young = all.filter((e) => !live.has(e.id) && packInfo.has(e.pack) && !old(e.pack)).length;
  // Entries pointing at packs that are gone are dropped from the index if unused.
  const dangling = all.filter((e) => !packInfo.has(e.pack) && !live.has(e.id));

  // Publish the garbage list first: backups that start from now on do not dedupe against it.
  const pendingTime = Date.now();
  const writePending = async (entries: string[]): Promise<void> => {
    if (!entries.length) await deps.backend.delete(GC_PENDING);
    else
      await deps.backend.put(
        GC_PENDING,
        sealFile(
          'gc',
          Buffer.from(JSON.stringify({ time: pendingTime, entries })),
          deps.keys.dataKey,
        ),
      );
  };
  await writePending(garbage.map(pair));
  const writers2 = (await listLocks(deps.backend, deps.timing)).filter(
    (l) => l.info.kind === 'backup',
  );
  // Points committed meanwhile (by backups that finished during the mark) are live too.
  for (const key of await deps.backend.list('points/'))
    if (!seenPoints.has(key)) await markPoint(key);

  // What may go now: everything if no backup ran during gc; otherwise only garbage already published by the
  // previous gc, and only if every running backup started after that (so it never deduplicated against it).
  let deletable: Set<string>;
  if (writers2.length === 0 && writers1.length === 0) {
    deletable = new Set(garbage.filter((e) => !live.has(e.id)).map(pair));
  } else if (prev && writers2.every((w) => Date.parse(w.info.created) > prev.time + grace)) {
    deletable = new Set(
      garbage.filter((e) => !live.has(e.id) && prev.entries.has(pair(e))).map(pair),
    );
  } else {
    deletable = new Set();
  }
  for (const e of dangling) deletable.add(pair(e));
  check();

  // Sweep: packs whose entries all go are deleted; packs with ≥ 20% dead bytes are rewritten.
  const byPack = new Map<string, IndexEntry[]>();
  for (const e of all) (byPack.get(e.pack) ?? byPack.set(e.pack, []).get(e.pack))?.push(e);
  const deletePacks = new Set<string>();
  const rewritePacks = new Set<string>();
  for (const [pack, list] of byPack) {
    if (!packInfo.has(pack) || !old(pack)) continue;
    const dead = list.filter((e) => deletable.has(pair(e)));
    if (!dead.length) continue;
    if (dead.length === list.length) deletePacks.add(pack);
    else if (dead.reduce((s, e) => s + e.length, 0) >= 0.2 * (packInfo.get(pack)?.size ?? 0))
      rewritePacks.add(pack);
  }
  // Orphan packs (no index entry: a backup that crashed before writing its index).
  const indexed = new Set(all.map((e) => e.pack));
  for (const [pack, st] of packInfo)
    if (!indexed.has(pack) && st.mtimeMs < cutoff) deletePacks.add(pack);

  let bytesFreed = 0;
  const moved: IndexEntry[] = [];
  if (rewritePacks.size) {
    const store = new PackStore(
      deps.backend,
      deps.keys.dataKey,
      deps.packTargetSize,
      deps.maxBlob,
      (entries) => moved.push(...entries),
    );
    for (const pack of rewritePacks) {
      check();
      const data = await deps.backend.get(packKey(pack));
      const keep = new Set<string>();
      for (const e of byPack.get(pack) ?? []) {
        if (deletable.has(pair(e)) || keep.has(e.id)) continue;
        keep.add(e.id);
        await store.add(
          e.id,
          Buffer.from(data.subarray(e.offset, e.offset + e.length)),
          e.codec,
          e.rawLength,
        );
      }
      bytesFreed += data.length;
    }
    await store.flush(); // new packs, then their index
    bytesFreed -= moved.reduce((s, e) => s + e.length, 0) + store.packsWritten * PACK_MAGIC.length;
  }
  // Replace index files that mention removed entries, then delete the old files, then the packs.
  const gone = (e: IndexEntry): boolean =>
    deletable.has(pair(e)) || deletePacks.has(e.pack) || rewritePacks.has(e.pack);
  const stale = [...files].filter(([, list]) => list.some(gone));
  const survivors = stale.flatMap(([, list]) => list.filter((e) => !gone(e)));
  if (survivors.length) {
    await deps.backend.putIfAbsent(
      `index/${randomBytes(16).toString('hex')}`,
      sealFile('index', encodeIndex(survivors), deps.keys.dataKey),
    );
  }
  for (const [key] of stale) await deps.backend.delete(key);
  for (const pack of [...deletePacks, ...rewritePacks]) {
    if (deletePacks.has(pack)) bytesFreed += packInfo.get(pack)?.size ?? 0;
    await deps.backend.delete(packKey(pack));
  }
  // Temporary files left by crashed writers.
  if (deps.backend instanceof LocalFolderBackend) {
    for (const t of await deps.backend.listTemp())
      if (t.mtimeMs < cutoff) await deps.backend.removeTemp(t.file);
  }
  const remaining = garbage.filter((e) => !gone(e) && !live.has(e.id)).map(pair);
  await writePending(remaining);
  return {
    packsDeleted: deletePacks.size,
    packsRewritten: rewritePacks.size,
    bytesFreed: Math.max(0, bytesFreed),
    deferredChunks: remaining.length,
    youngChunks: young,
  };
}
