// The VHDX metadata log: find the active sequence in the circular buffer, turn it into writes, and build new entries.
import { crc32cWithZeroedField } from './crc32c';
import { corrupt } from './errors';
import { guidFromBytes, guidToBytes } from './guid';
import {
  LOG_DATA_SIGNATURE,
  LOG_DESC_SIGNATURE,
  LOG_ENTRY_SIGNATURE,
  LOG_SECTOR,
  LOG_ZERO_SIGNATURE,
} from './layout';

/** One replay operation: write a 4 KiB sector, or zero `zeroLength` bytes. */
export interface LogOp {
  fileOffset: number;
  data?: Buffer;
  zeroLength?: number;
}

export interface LogEntry {
  /** Offset of the entry inside the log region. */
  offset: number;
  length: number;
  sequence: bigint;
  tail: number;
  flushedFileOffset: number;
  lastFileOffset: number;
  ops: LogOp[];
}

export interface ActiveSequence {
  entries: LogEntry[];
  ops: LogOp[];
  flushedFileOffset: number;
  lastFileOffset: number;
  lastSequence: bigint;
  /** Where the next entry would be written (just after the last one). */
  nextOffset: number;
}

function descSectors(count: number): number {
  return Math.ceil((count + 2) / 128);
}

/** Read `len` bytes of the circular log starting at `off` (wrapping at the end). */
function circular(log: Buffer, off: number, len: number): Buffer {
  const L = log.length;
  if (off + len <= L) return log.subarray(off, off + len);
  const first = log.subarray(off, L);
  return Buffer.concat([first, log.subarray(0, len - first.length)]);
}

/** Parse and fully validate the entry at `off`; undefined if it is not a valid entry of this log. */
export function parseLogEntryAt(log: Buffer, off: number, logGuid: string): LogEntry | undefined {
  const L = log.length;
  if (off % LOG_SECTOR !== 0 || off + 64 > L) return undefined;
  if (log.toString('latin1', off, off + 4) !== LOG_ENTRY_SIGNATURE) return undefined;
  const length = log.readUInt32LE(off + 8);
  if (length === 0 || length % LOG_SECTOR !== 0 || length > L) return undefined;
  const sequence = log.readBigUInt64LE(off + 16);
  if (sequence === 0n) return undefined;
  if (guidFromBytes(log, off + 32) !== logGuid) return undefined;
  const count = log.readUInt32LE(off + 24);
  const nDesc = descSectors(count);
  if (nDesc * LOG_SECTOR > length) return undefined;
  const e = circular(log, off, length);
  if (crc32cWithZeroedField(e, 4) !== e.readUInt32LE(4)) return undefined;
  const tail = e.readUInt32LE(12);
  const flushedFileOffset = Number(e.readBigUInt64LE(48));
  const lastFileOffset = Number(e.readBigUInt64LE(56));
  const seqHi = Number(sequence >> 32n);
  const seqLo = Number(sequence & 0xffffffffn);
  const ops: LogOp[] = [];
  let dataIndex = 0;
  const dataStart = nDesc * LOG_SECTOR;
  for (let i = 0; i < count; i++) {
    const d = 64 + i * 32;
    const sig = e.toString('latin1', d, d + 4);
    const fileOffset = Number(e.readBigUInt64LE(d + 16));
    if (e.readBigUInt64LE(d + 24) !== sequence) return undefined;
    if (fileOffset % LOG_SECTOR !== 0) return undefined;
    if (sig === LOG_ZERO_SIGNATURE) {
      const zeroLength = Number(e.readBigUInt64LE(d + 8));
      if (zeroLength % LOG_SECTOR !== 0) return undefined;
      if (zeroLength > 0) ops.push({ fileOffset, zeroLength });
    } else if (sig === LOG_DESC_SIGNATURE) {
      const s = dataStart + dataIndex * LOG_SECTOR;
      if (s + LOG_SECTOR > length) return undefined;
      if (e.toString('latin1', s, s + 4) !== LOG_DATA_SIGNATURE) return undefined;
      if (e.readUInt32LE(s + 4) !== seqHi || e.readUInt32LE(s + 4092) !== seqLo) return undefined;
      const data = Buffer.alloc(LOG_SECTOR);
      e.copy(data, 0, d + 8, d + 16); // LeadingBytes
      e.copy(data, 8, s + 8, s + 4092);
      e.copy(data, 4092, d + 4, d + 8); // TrailingBytes
      ops.push({ fileOffset, data });
      dataIndex++;
    } else {
      return undefined;
    }
  }
  return { offset: off, length, sequence, tail, flushedFileOffset, lastFileOffset, ops };
}

/**
 * Find the active sequence [MS-VHDX 2.3.3]: the run of consecutive valid entries (sequence
 * numbers +1, same LogGuid, good CRCs) that ends with the highest sequence number. Replay starts at
 * the last entry's Tail when that entry is part of the run, else at the run's first entry (replaying
 * already-applied entries again is harmless: they are applied in order). Undefined when the log
 * holds no valid entry (then the log is empty, as qemu treats it).
 */
export function findActiveSequence(log: Buffer, logGuid: string): ActiveSequence | undefined {
  const L = log.length;
  if (L === 0 || L % LOG_SECTOR !== 0) return undefined;
  const cache = new Map<number, LogEntry | null>();
  const at = (o: number): LogEntry | undefined => {
    let v = cache.get(o);
    if (v === undefined) {
      if (log.toString('latin1', o, o + 4) === LOG_ENTRY_SIGNATURE) {
        budget -= Math.min(log.readUInt32LE(o + 8), L);
        if (budget < 0)
          throw corrupt('the log is too damaged to scan (too many overlapping entry headers).');
      }
      v = parseLogEntryAt(log, o, logGuid) ?? null;
      cache.set(o, v);
    }
    return v ?? undefined;
  };
  let best: LogEntry[] | undefined;
  const maxRun = L / LOG_SECTOR;
  // A crafted log could make every sector look like a long entry; bound the checksum work.
  let budget = 8 * L + 64 * 1024 * 1024;
  for (let o = 0; o < L; o += LOG_SECTOR) {
    const first = at(o);
    if (!first) continue;
    const run = [first];
    let cur = first;
    while (run.length < maxRun) {
      const nextOff = (cur.offset + cur.length) % L;
      if (nextOff === first.offset) break;
      const n = at(nextOff);
      if (!n || n.sequence !== cur.sequence + 1n) break;
      run.push(n);
      cur = n;
    }
    const last = run[run.length - 1] as LogEntry;
    const bestLast = best?.[best.length - 1];
    if (
      !best ||
      !bestLast ||
      last.sequence > bestLast.sequence ||
      (last.sequence === bestLast.sequence && run.length > best.length)
    ) {
      best = run;
    }
  }
  if (!best) return undefined;
  const last = best[best.length - 1] as LogEntry;
  const tailIdx = best.findIndex((e) => e.offset === last.tail);
  const entries = tailIdx > 0 ? best.slice(tailIdx) : best;
  return {
    entries,
    ops: entries.flatMap((e) => e.ops),
    flushedFileOffset: last.flushedFileOffset,
    lastFileOffset: last.lastFileOffset,
    lastSequence: last.sequence,
    nextOffset: (last.offset + last.length) % L,
  };
}

export interface BuildEntry {
  sequence: bigint;
  logGuid: string;
  tail: number;
  flushedFileOffset: number;
  lastFileOffset: number;
  writes: Array<{ fileOffset: number; data: Buffer }>;
  zeros?: Array<{ fileOffset: number; length: number }>;
}

/** Size in bytes of an entry carrying `writes` data sectors and `zeros` zero descriptors. */
export function logEntrySize(writes: number, zeros = 0): number {
  return (descSectors(writes + zeros) + writes) * LOG_SECTOR;
}

/** Serialise one log entry (header, descriptors, data sectors) with its CRC-32C. */
export function buildLogEntry(p: BuildEntry): Buffer {
  const zeros = p.zeros ?? [];
  const count = p.writes.length + zeros.length;
  const nDesc = descSectors(count);
  const length = (nDesc + p.writes.length) * LOG_SECTOR;
  const e = Buffer.alloc(length);
  e.write(LOG_ENTRY_SIGNATURE, 0, 'latin1');
  e.writeUInt32LE(length, 8);
  e.writeUInt32LE(p.tail, 12);
  e.writeBigUInt64LE(p.sequence, 16);
  e.writeUInt32LE(count, 24);
  guidToBytes(p.logGuid).copy(e, 32);
  e.writeBigUInt64LE(BigInt(p.flushedFileOffset), 48);
  e.writeBigUInt64LE(BigInt(p.lastFileOffset), 56);
  const seqHi = Number(p.sequence >> 32n);
  const seqLo = Number(p.sequence & 0xffffffffn);
  let d = 64;
  zeros.forEach((z) => {
    e.write(LOG_ZERO_SIGNATURE, d, 'latin1');
    e.writeBigUInt64LE(BigInt(z.length), d + 8);
    e.writeBigUInt64LE(BigInt(z.fileOffset), d + 16);
    e.writeBigUInt64LE(p.sequence, d + 24);
    d += 32;
  });
  p.writes.forEach((w, i) => {
    if (w.data.length !== LOG_SECTOR || w.fileOffset % LOG_SECTOR !== 0)
      throw new RangeError('log writes are whole 4 KiB sectors');
    e.write(LOG_DESC_SIGNATURE, d, 'latin1');
    w.data.copy(e, d + 4, 4092, 4096); // TrailingBytes
    w.data.copy(e, d + 8, 0, 8); // LeadingBytes
    e.writeBigUInt64LE(BigInt(w.fileOffset), d + 16);
    e.writeBigUInt64LE(p.sequence, d + 24);
    d += 32;
    const s = (nDesc + i) * LOG_SECTOR;
    e.write(LOG_DATA_SIGNATURE, s, 'latin1');
    e.writeUInt32LE(seqHi, s + 4);
    w.data.copy(e, s + 8, 8, 4092);
    e.writeUInt32LE(seqLo, s + 4092);
  });
  e.writeUInt32LE(crc32cWithZeroedField(e, 4), 4);
  return e;
}
