// On-disk formats: repository config, index files, chunk maps and point manifests (see README.md).

import { z } from 'zod';
import { HvbcError } from '../../../shared/errors';

export const MIN_CHUNK = 256 * 1024;
export const MAX_CHUNK = 4 * 1024 * 1024;
/**
 * 256 KiB: a 1% change in scattered 64 KiB guest writes then re-reads and re-stores ~4% of a disk instead of ~15%
 * at 1 MiB (chunking.ts expectedChunkTouchFraction; the backup benchmark measures it against restic).
 */
export const DEFAULT_CHUNK = 256 * 1024;
export const DEFAULT_PACK_TARGET = 32 * 1024 * 1024;
/** Chunk-map entries per map blob: 4096 × 32 bytes = 128 KiB, i.e. 1 GiB of disk at 256 KiB chunks. */
export const MAP_SEGMENT = 4096;
export const ZERO_ID = '0'.repeat(64);
const HEX64 = /^[0-9a-f]{64}$/;

export function validateChunkSize(n: number): void {
  if (!Number.isInteger(n) || n < MIN_CHUNK || n > MAX_CHUNK || (n & (n - 1)) !== 0) {
    throw new HvbcError(
      'VALIDATION',
      `Chunk size ${n} is not allowed. Use a power of two from 256 KiB to 4 MiB (default 256 KiB).`,
      { chunkSize: n },
    );
  }
}

// ---- config ----------------------------------------------------------------------------------------------------

export const RepoConfig = z.object({
  format: z.literal('hvbc-repository'),
  version: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  createdAt: z.string(),
  chunkSize: z.number().int(),
  packTargetSize: z.number().int().positive(),
  compression: z.object({ codec: z.literal('zstd'), level: z.number().int().min(-7).max(22) }),
  encryption: z
    .object({
      cipher: z.literal('aes-256-gcm'),
      chunkIds: z.literal('hmac-sha256'),
      key: z.object({
        kdf: z.object({
          alg: z.literal('scrypt'),
          N: z.number().int(),
          r: z.number().int(),
          p: z.number().int(),
          salt: z.string(),
        }),
        wrapped: z.string(),
      }),
    })
    .nullable(),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

// ---- index files -----------------------------------------------------------------------------------------------

export interface IndexEntry {
  id: string;
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: number;
}

const IDX_MAGIC = Buffer.from('HVBCIX01');
const ENTRY_BYTES = 32 + 4 + 4 + 4 + 4 + 1;

export function packKey(pack: string): string {
  return `packs/${pack.slice(0, 2)}/${pack}`;
}

/** magic | u32 packs | packs × 16-byte id | u32 entries | entries × (id 32 | pack# u32 | offset u32 | length u32 | rawLength u32 | codec u8) */
export function encodeIndex(entries: IndexEntry[]): Buffer {
  const packs = [...new Set(entries.map((e) => e.pack))];
  const packNo = new Map(packs.map((p, i) => [p, i]));
  const buf = Buffer.alloc(8 + 4 + packs.length * 16 + 4 + entries.length * ENTRY_BYTES);
  IDX_MAGIC.copy(buf, 0);
  let o = 8;
  buf.writeUInt32LE(packs.length, o);
  o += 4;
  for (const p of packs) o += buf.write(p, o, 16, 'hex');
  buf.writeUInt32LE(entries.length, o);
  o += 4;
  for (const e of entries) {
    o += buf.write(e.id, o, 32, 'hex');
    buf.writeUInt32LE(packNo.get(e.pack) ?? 0, o);
    buf.writeUInt32LE(e.offset, o + 4);
    buf.writeUInt32LE(e.length, o + 8);
    buf.writeUInt32LE(e.rawLength, o + 12);
    buf.writeUInt8(e.codec, o + 16);
    o += 17;
  }
  return buf;
}

export function decodeIndex(buf: Buffer, key = 'index'): IndexEntry[] {
  const bad = (): HvbcError =>
    new HvbcError('REPO_CORRUPT', `The index file ${key} is malformed. Run a repository check.`, {
      key,
    });
  if (buf.length < 16 || !buf.subarray(0, 8).equals(IDX_MAGIC)) throw bad();
  let o = 8;
  const np = buf.readUInt32LE(o);
  o += 4;
  if (buf.length < o + np * 16 + 4) throw bad();
  const packs: string[] = [];
  for (let i = 0; i < np; i++, o += 16) packs.push(buf.toString('hex', o, o + 16));
  const ne = buf.readUInt32LE(o);
  o += 4;
  if (buf.length !== o + ne * ENTRY_BYTES) throw bad();
  const out: IndexEntry[] = new Array(ne);
  for (let i = 0; i < ne; i++, o += ENTRY_BYTES) {
    const pack = packs[buf.readUInt32LE(o + 32)];
    if (pack === undefined) throw bad();
    out[i] = {
      id: buf.toString('hex', o, o + 32),
      pack,
      offset: buf.readUInt32LE(o + 36),
      length: buf.readUInt32LE(o + 40),
      rawLength: buf.readUInt32LE(o + 44),
      codec: buf.readUInt8(o + 48),
    };
  }
  return out;
}

// ---- chunk maps --------------------------------------------------------------------------------------------------

/**
 * A disk's chunk table is chunkCount × 32 bytes (the chunk id; 32 zero bytes = an all-zero chunk, not stored).
 * It is cut into segments of MAP_SEGMENT entries, each stored as a content-addressed blob in the packs, so that
 * points whose regions did not change share those segments.
 */
const MAP_MAGIC = Buffer.from('HVBCCM01');

export function encodeChunkMap(table: Buffer): Buffer {
  const head = Buffer.alloc(12);
  MAP_MAGIC.copy(head, 0);
  head.writeUInt32LE(table.length / 32, 8);
  return Buffer.concat([head, table]);
}

export function decodeChunkMap(buf: Buffer, key = 'chunk map'): Buffer {
  if (
    buf.length < 12 ||
    !buf.subarray(0, 8).equals(MAP_MAGIC) ||
    buf.length !== 12 + buf.readUInt32LE(8) * 32
  ) {
    throw new HvbcError(
      'REPO_CORRUPT',
      `The chunk map ${key} is malformed. Run a repository check.`,
      { key },
    );
  }
  return buf.subarray(12);
}

/** The ids of a chunk table's non-zero chunks, in table order (repeats included). */
export function* nonZeroIds(table: Buffer): Generator<string> {
  for (let o = 0; o < table.length; o += 32) {
    const id = table.toString('hex', o, o + 32);
    if (id !== ZERO_ID) yield id;
  }
}

/** Chunk ids of a table ('zero' for all-zero chunks): for tests and tools; the repository works on the table. */
export function tableToIds(table: Buffer): Array<string | 'zero'> {
  const out: Array<string | 'zero'> = [];
  for (let o = 0; o < table.length; o += 32) {
    const id = table.toString('hex', o, o + 32);
    out.push(id === ZERO_ID ? 'zero' : id);
  }
  return out;
}

export function idsToTable(ids: Array<string | 'zero'>): Buffer {
  const t = Buffer.alloc(ids.length * 32);
  ids.forEach((id, i) => {
    if (id !== 'zero') {
      if (!HEX64.test(id)) throw new HvbcError('VALIDATION', `Not a chunk id: ${id}`);
      t.write(id, i * 32, 32, 'hex');
    }
  });
  return t;
}

// ---- manifests ---------------------------------------------------------------------------------------------------

export const DiskStats = z.object({
  chunksNew: z.number().int(),
  chunksReused: z.number().int(),
  chunksFromBase: z.number().int(),
  chunksZero: z.number().int(),
  bytesRead: z.number(),
  bytesStored: z.number(),
  /** Bytes of the disk in non-zero chunks (the logical data). */
  dataBytes: z.number(),
});
export type DiskStats = z.infer<typeof DiskStats>;

export const DiskManifest = z.object({
  virtualSize: z.number().int().nonnegative(),
  chunkSize: z.number().int().positive(),
  chunkCount: z.number().int().nonnegative(),
  /** Ids of the chunk-map blobs, in order. */
  maps: z.array(z.string().regex(HEX64)),
  /** Content digest of the whole disk (digest.ts). */
  digest: z.string().regex(HEX64).optional(),
  basePointId: z.string().optional(),
  meta: z.record(z.string(), z.unknown()),
  stats: DiskStats,
});
export type DiskManifest = z.infer<typeof DiskManifest>;

export const PointManifest = z.object({
  format: z.literal('hvbc-point'),
  version: z.literal(1),
  id: z.string(),
  vmId: z.string(),
  vmName: z.string(),
  kind: z.enum(['full', 'incremental']),
  createdAt: z.string(),
  committedAt: z.string(),
  /** Everything else the caller gave: VM configuration JSON, checkpoint id, change-tracking ids, consistency,
   *  events, timestamps, source, tags… */
  meta: z.record(z.string(), z.unknown()),
  disks: z.record(z.string(), DiskManifest),
});
export type PointManifest = z.infer<typeof PointManifest>;

export function encodeManifest(m: PointManifest): Buffer {
  return Buffer.from(JSON.stringify(PointManifest.parse(m)));
}

export function decodeManifest(buf: Buffer, key = 'manifest'): PointManifest {
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HvbcError(
      'REPO_CORRUPT',
      `The restore point ${key} is not valid JSON. Run a repository check.`,
      { key },
    );
  }
  const r = PointManifest.safeParse(json);
  if (!r.success)
    throw new HvbcError(
      'REPO_CORRUPT',
      `The restore point ${key} is malformed: ${r.error.issues[0]?.message ?? 'invalid'}.`,
      { key },
    );
  return r.data;
}

const POINT_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
export function isPointId(id: string): boolean {
  return POINT_ID.test(id);
}

export function newPointId(now: Date, rand: string): string {
  const iso = now.toISOString(); // 2025-01-02T03:04:05.678Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z-${rand}`;
}
