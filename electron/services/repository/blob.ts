// Chunk blobs (compress, then encrypt) and sealed repository files (index, manifests, gc state).

import { createHash } from 'node:crypto';
import { HvbcError } from '../../../shared/errors';
import { decrypt, encrypt } from './crypto';
import { zstdCompress as compress, zstdDecompress as decompress } from './zstd';

export { ensureZstd } from './zstd';

export const CODEC_RAW = 0;
export const CODEC_ZSTD = 1;
export type Codec = typeof CODEC_RAW | typeof CODEC_ZSTD;
export const CODEC_NAMES: Record<Codec, string> = { [CODEC_RAW]: 'raw', [CODEC_ZSTD]: 'zstd' };

/**
 * The content size a zstd frame header declares, or -1 when absent or not a zstd frame. Checked before
 * decompressing so that a damaged header cannot make the decoder allocate an absurd buffer.
 */
export function zstdFrameContentSize(buf: Uint8Array): number {
  if (buf.length < 6 || buf[0] !== 0x28 || buf[1] !== 0xb5 || buf[2] !== 0x2f || buf[3] !== 0xfd)
    return -1;
  const fhd = buf[4] ?? 0;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3] ?? 0;
  let pos = 5 + (single ? 0 : 1) + dictBytes;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] ?? 0);
  if (fcsBytes === 0 || pos + fcsBytes > buf.length) return -1;
  let v = 0;
  let mul = 1;
  for (let i = 0; i < fcsBytes; i++, pos++) {
    v += (buf[pos] ?? 0) * mul;
    mul *= 256;
  }
  return fcsBytes === 2 ? v + 256 : v;
}

/** True when the previous chunk did not compress: the next one is probed before a full compression. */
let lastRaw = false;

/**
 * Compress with zstd when it helps by at least 1/32. Incompressible (random, encrypted, already compressed) data
 * comes in runs, so after a chunk that did not compress, two 16 KiB samples are tried first and a chunk whose
 * samples do not shrink is stored raw without compressing it whole; compressible runs pay no probe.
 */
export function compressChunk(raw: Uint8Array, level: number): { data: Uint8Array; codec: Codec } {
  if (lastRaw && raw.length >= 64 * 1024) {
    const probe = 16 * 1024;
    const mid = (raw.length >> 1) - (probe >> 1);
    const a = compress(raw.subarray(0, probe), level).length;
    const b = compress(raw.subarray(mid, mid + probe), level).length;
    if (a > probe * 0.97 && b > probe * 0.97) return { data: raw, codec: CODEC_RAW };
  }
  const c = compress(raw, level);
  lastRaw = c.length >= raw.length - (raw.length >> 5);
  if (lastRaw) return { data: raw, codec: CODEC_RAW };
  return { data: c, codec: CODEC_ZSTD };
}

/** A stored chunk: payload = codec(raw), then AES-256-GCM with the chunk id as associated data when encrypted. */
export function encodeBlob(
  raw: Uint8Array,
  id: string,
  dataKey: Buffer | null,
  level: number,
): { blob: Buffer; codec: Codec } {
  const { data, codec } = compressChunk(raw, level);
  const blob = dataKey
    ? encrypt(dataKey, data, Buffer.from(id, 'hex'))
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { blob, codec };
}

/** Decode a stored chunk; null if it fails authentication, decompression or its length (the caller re-hashes). */
export function decodeBlob(
  blob: Buffer,
  id: string,
  codec: number,
  rawLength: number,
  dataKey: Buffer | null,
): Buffer | null {
  let payload: Buffer | null = blob;
  if (dataKey) payload = decrypt(dataKey, blob, Buffer.from(id, 'hex'));
  if (!payload) return null;
  if (codec === CODEC_RAW) return payload.length === rawLength ? payload : null;
  if (codec !== CODEC_ZSTD) return null;
  if (zstdFrameContentSize(payload) !== rawLength) return null;
  try {
    const out = decompress(payload);
    return out.length === rawLength
      ? Buffer.from(out.buffer, out.byteOffset, out.byteLength)
      : null;
  } catch {
    return null;
  }
}

// ---- sealed files --------------------------------------------------------------------------------------------

const SEAL_MAGIC = Buffer.from('HVBCSF01');
const F_ZSTD = 1;
const F_ENC = 2;

/**
 * Layout: magic(8) | flags(1) | rawLength(6, BE) | payload | sha256(header+payload) when not encrypted.
 * Encrypted payloads are AES-256-GCM with the header and the file kind as associated data.
 */
export function sealFile(kind: string, raw: Buffer, dataKey: Buffer | null): Buffer {
  const c = raw.length > 64 ? compress(raw, 3) : raw;
  const zipped = c.length < raw.length;
  const header = Buffer.alloc(15);
  SEAL_MAGIC.copy(header, 0);
  header[8] = (zipped ? F_ZSTD : 0) | (dataKey ? F_ENC : 0);
  header.writeUIntBE(raw.length, 9, 6);
  const body = zipped ? c : raw;
  if (dataKey)
    return Buffer.concat([
      header,
      encrypt(dataKey, body, Buffer.concat([header, Buffer.from(kind)])),
    ]);
  const sum = createHash('sha256').update(header).update(body).digest();
  return Buffer.concat([header, body, sum]);
}

/** Open a sealed file; REPO_CORRUPT with the key when damaged, WRONG_PASSPHRASE-free (keys already verified). */
export function openFile(kind: string, key: string, file: Buffer, dataKey: Buffer | null): Buffer {
  const bad = (why: string): HvbcError =>
    new HvbcError(
      'REPO_CORRUPT',
      `The repository file ${key} is damaged (${why}). Run a repository check; restore it from a copy of the repository if you have one.`,
      { key },
    );
  if (file.length < 15 || !file.subarray(0, 8).equals(SEAL_MAGIC)) throw bad('bad header');
  const header = file.subarray(0, 15);
  const flags = header[8] ?? 0;
  const rawLength = header.readUIntBE(9, 6);
  let body: Buffer;
  if (flags & F_ENC) {
    if (!dataKey) throw bad('encrypted, but the repository is not');
    const plain = decrypt(dataKey, file.subarray(15), Buffer.concat([header, Buffer.from(kind)]));
    if (!plain) throw bad('authentication failed');
    body = plain;
  } else {
    if (dataKey) throw bad('not encrypted, but the repository is');
    if (file.length < 47) throw bad('truncated');
    body = file.subarray(15, file.length - 32);
    const sum = createHash('sha256').update(header).update(body).digest();
    if (!sum.equals(file.subarray(file.length - 32))) throw bad('checksum mismatch');
  }
  if (!(flags & F_ZSTD)) {
    if (body.length !== rawLength) throw bad('length mismatch');
    return body;
  }
  if (zstdFrameContentSize(body) !== rawLength) throw bad('length mismatch');
  try {
    const out = decompress(body);
    if (out.length !== rawLength) throw new Error('length');
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    throw bad('decompression failed');
  }
}
