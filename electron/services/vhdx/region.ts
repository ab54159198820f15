// The 64 KiB region table (two copies): parse with CRC check, validate entries, serialise.
import { crc32cWithZeroedField } from './crc32c';
import { corrupt, unsupported } from './errors';
import { guidFromBytes, guidToBytes } from './guid';
import {
  ALIGN,
  HEADER_SECTION_SIZE,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
  REGION_MAX_ENTRIES,
  REGION_SIGNATURE,
  REGION_TABLE_SIZE,
} from './layout';

export interface RegionEntry {
  guid: string;
  fileOffset: number;
  length: number;
  required: boolean;
}

export interface RegionTable {
  entries: RegionEntry[];
  bat: RegionEntry;
  metadata: RegionEntry;
}

export type RegionParse =
  { ok: true; table: RegionTable; raw: Buffer } | { ok: false; reason: string };

const KNOWN = new Set([REGION_GUID_BAT, REGION_GUID_METADATA]);

/**
 * Parse and validate a region table. Never throws; returns the reason when invalid.
 * Checks: signature, CRC over 64 KiB, entry count, alignment, overlap with the header section
 * and with each other, unknown required regions, presence of BAT and metadata.
 */
export function parseRegionTable(buf: Buffer): RegionParse {
  if (buf.length < REGION_TABLE_SIZE)
    return { ok: false, reason: 'region table is truncated (file too short)' };
  const b = buf.subarray(0, REGION_TABLE_SIZE);
  if (b.toString('latin1', 0, 4) !== REGION_SIGNATURE)
    return { ok: false, reason: 'signature is not "regi"' };
  const stored = b.readUInt32LE(4);
  const calc = crc32cWithZeroedField(b, 4);
  if (stored !== calc)
    return {
      ok: false,
      reason: `checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${calc.toString(16)})`,
    };
  const count = b.readUInt32LE(8);
  if (count > REGION_MAX_ENTRIES)
    return { ok: false, reason: `entry count ${count} exceeds ${REGION_MAX_ENTRIES}` };
  const entries: RegionEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = 16 + i * 32;
    entries.push({
      guid: guidFromBytes(b, o),
      fileOffset: Number(b.readBigUInt64LE(o + 16)),
      length: b.readUInt32LE(o + 24),
      required: (b.readUInt32LE(o + 28) & 1) === 1,
    });
  }
  const problem = regionProblems(entries);
  if (problem) return { ok: false, reason: problem };
  const bat = entries.find((e) => e.guid === REGION_GUID_BAT) as RegionEntry;
  const metadata = entries.find((e) => e.guid === REGION_GUID_METADATA) as RegionEntry;
  return { ok: true, table: { entries, bat, metadata }, raw: Buffer.from(b) };
}

function regionProblems(entries: RegionEntry[]): string | undefined {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.guid)) return `region ${e.guid} is listed twice`;
    seen.add(e.guid);
    if (e.fileOffset % ALIGN !== 0 || e.fileOffset < HEADER_SECTION_SIZE) {
      return `region ${e.guid} offset ${e.fileOffset} is not a multiple of 1 MiB after the header section`;
    }
    if (e.length === 0 || e.length % ALIGN !== 0)
      return `region ${e.guid} length ${e.length} is not a non-zero multiple of 1 MiB`;
    if (!Number.isSafeInteger(e.fileOffset + e.length))
      return `region ${e.guid} offset is out of range`;
  }
  const sorted = [...entries].sort((x, y) => x.fileOffset - y.fileOffset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1] as RegionEntry;
    const c = sorted[i] as RegionEntry;
    if (p.fileOffset + p.length > c.fileOffset) return `regions ${p.guid} and ${c.guid} overlap`;
  }
  if (!seen.has(REGION_GUID_BAT)) return 'the BAT region is missing';
  if (!seen.has(REGION_GUID_METADATA)) return 'the metadata region is missing';
  return undefined;
}

/** Throw VHDX_UNSUPPORTED when a region we do not know is marked required [2.2.3.2]. */
export function assertNoUnknownRequired(t: RegionTable): void {
  for (const e of t.entries) {
    if (e.required && !KNOWN.has(e.guid)) {
      throw unsupported(`the region table lists an unknown required region ${e.guid}.`, {
        region: e.guid,
      });
    }
  }
}

export function serializeRegionTable(entries: RegionEntry[]): Buffer {
  if (entries.length > REGION_MAX_ENTRIES) throw corrupt('too many regions');
  const b = Buffer.alloc(REGION_TABLE_SIZE);
  b.write(REGION_SIGNATURE, 0, 'latin1');
  b.writeUInt32LE(entries.length, 8);
  entries.forEach((e, i) => {
    const o = 16 + i * 32;
    guidToBytes(e.guid).copy(b, o);
    b.writeBigUInt64LE(BigInt(e.fileOffset), o + 16);
    b.writeUInt32LE(e.length, o + 24);
    b.writeUInt32LE(e.required ? 1 : 0, o + 28);
  });
  b.writeUInt32LE(crc32cWithZeroedField(b, 4), 4);
  return b;
}
