// The two 4 KiB VHDX headers: parse with CRC-32C check, serialise, and pick the current one by sequence number.
import { crc32cWithZeroedField } from './crc32c';
import { corrupt } from './errors';
import { guidFromBytes, guidToBytes, ZERO_GUID } from './guid';
import { ALIGN, HEADER_SIGNATURE, HEADER_SIZE, HEADER1_OFFSET, HEADER2_OFFSET } from './layout';

export interface VhdxHeader {
  sequenceNumber: bigint;
  fileWriteGuid: string;
  dataWriteGuid: string;
  logGuid: string;
  logVersion: number;
  version: number;
  logLength: number;
  logOffset: number;
}

export type HeaderParse =
  { ok: true; header: VhdxHeader; raw: Buffer } | { ok: false; reason: string };

export const HEADER_OFFSETS = [HEADER1_OFFSET, HEADER2_OFFSET] as const;

/** Parse one header slot (4096 bytes). Never throws: returns why it is invalid. */
export function parseHeader(buf: Buffer): HeaderParse {
  if (buf.length < HEADER_SIZE)
    return { ok: false, reason: 'header is truncated (file too short)' };
  const b = buf.subarray(0, HEADER_SIZE);
  if (b.toString('latin1', 0, 4) !== HEADER_SIGNATURE)
    return { ok: false, reason: 'signature is not "head"' };
  const stored = b.readUInt32LE(4);
  const calc = crc32cWithZeroedField(b, 4);
  if (stored !== calc) {
    return {
      ok: false,
      reason: `checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${calc.toString(16)})`,
    };
  }
  const header: VhdxHeader = {
    sequenceNumber: b.readBigUInt64LE(8),
    fileWriteGuid: guidFromBytes(b, 16),
    dataWriteGuid: guidFromBytes(b, 32),
    logGuid: guidFromBytes(b, 48),
    logVersion: b.readUInt16LE(64),
    version: b.readUInt16LE(66),
    logLength: b.readUInt32LE(68),
    logOffset: Number(b.readBigUInt64LE(72)),
  };
  return { ok: true, header, raw: Buffer.from(b) };
}

/** Semantic checks on a header whose CRC is good. Returns problems (empty when fine). */
export function headerProblems(h: VhdxHeader): string[] {
  const p: string[] = [];
  if (h.version !== 1) p.push(`header version is ${h.version}, expected 1`);
  if (h.logVersion !== 0) p.push(`log version is ${h.logVersion}, expected 0`);
  if (h.logLength % ALIGN !== 0) p.push(`log length ${h.logLength} is not a multiple of 1 MiB`);
  if (h.logOffset % ALIGN !== 0 || h.logOffset < ALIGN)
    p.push(`log offset ${h.logOffset} is not a multiple of 1 MiB at or after 1 MiB`);
  return p;
}

export function serializeHeader(h: VhdxHeader): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.write(HEADER_SIGNATURE, 0, 'latin1');
  b.writeBigUInt64LE(h.sequenceNumber, 8);
  guidToBytes(h.fileWriteGuid).copy(b, 16);
  guidToBytes(h.dataWriteGuid).copy(b, 32);
  guidToBytes(h.logGuid || ZERO_GUID).copy(b, 48);
  b.writeUInt16LE(h.logVersion, 64);
  b.writeUInt16LE(h.version, 66);
  b.writeUInt32LE(h.logLength, 68);
  b.writeBigUInt64LE(BigInt(h.logOffset), 72);
  b.writeUInt32LE(crc32cWithZeroedField(b, 4), 4);
  return b;
}

export interface HeaderPair {
  slots: [HeaderParse, HeaderParse];
  /** Index (0 or 1) of the current header. */
  current: 0 | 1;
  header: VhdxHeader;
}

/**
 * Pick the current header [MS-VHDX 2.2.2]: valid (signature + CRC) and the only one, or the one
 * with the larger sequence number. Equal sequence numbers are accepted only when both structures
 * are byte-identical (Disk2VHD writes 1/1), as qemu does. Throws VHDX_CORRUPT otherwise.
 */
export function selectCurrentHeader(h1: Buffer, h2: Buffer): HeaderPair {
  const a = parseHeader(h1);
  const b = parseHeader(h2);
  const slots: [HeaderParse, HeaderParse] = [a, b];
  let current: 0 | 1;
  if (a.ok && b.ok) {
    if (a.header.sequenceNumber > b.header.sequenceNumber) current = 0;
    else if (b.header.sequenceNumber > a.header.sequenceNumber) current = 1;
    else if (a.raw.equals(b.raw)) current = 0;
    else {
      throw corrupt(
        `both headers are valid with the same sequence number ${a.header.sequenceNumber} but different contents, so neither is current.`,
        { sequenceNumber: a.header.sequenceNumber.toString() },
      );
    }
  } else if (a.ok) current = 0;
  else if (b.ok) current = 1;
  else {
    throw corrupt(`no valid header: header 1 ${a.reason}; header 2 ${b.reason}.`, {
      header1: a.reason,
      header2: b.reason,
    });
  }
  const chosen = slots[current] as { ok: true; header: VhdxHeader };
  const problems = headerProblems(chosen.header);
  if (problems.length > 0)
    throw corrupt(`current header (copy ${current + 1}) is invalid: ${problems.join('; ')}.`);
  return { slots, current, header: chosen.header };
}
