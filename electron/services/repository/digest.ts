// The content digest of a disk: SHA-256 over its chunk table (each chunk's id in disk order, an all-zero chunk as
// 32 zero bytes) with the chunk size and virtual size. Chunk ids are already hashes of the data, so a backup gets
// the digest for free, and a restored file is verified by recomputing it from the bytes that landed on disk.
import { createHash } from 'node:crypto';
import { chunkId } from './crypto';

const DOMAIN = Buffer.from('hvbc-disk-digest-v1\0');

/** Digest of a chunk table (32 bytes per chunk, zero chunks as zeros). */
export function tableDigest(table: Buffer, chunkSize: number, virtualSize: number): string {
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(BigInt(chunkSize), 0);
  head.writeBigUInt64BE(BigInt(virtualSize), 8);
  return createHash('sha256').update(DOMAIN).update(head).update(table).digest('hex');
}

const ZEROS = Buffer.alloc(1 << 20);

/** True when every byte of `data` is zero (memcmp against a zero buffer). */
export function isZero(data: Uint8Array): boolean {
  const b = Buffer.isBuffer(data)
    ? data
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let o = 0; o < b.length; o += ZEROS.length) {
    const part = b.subarray(o, Math.min(b.length, o + ZEROS.length));
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/** Digest of a whole disk held in memory (tests and small tools; the engine builds it from its table). */
export function dataDigest(data: Buffer, chunkSize: number, idKey: Buffer | null = null): string {
  const count = Math.ceil(data.length / chunkSize);
  const table = Buffer.alloc(count * 32);
  for (let i = 0; i < count; i++) {
    const c = data.subarray(i * chunkSize, Math.min(data.length, (i + 1) * chunkSize));
    if (!isZero(c)) table.write(chunkId(c, idKey), i * 32, 32, 'hex');
  }
  return tableDigest(table, chunkSize, data.length);
}
