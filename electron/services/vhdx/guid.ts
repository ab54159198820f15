// GUIDs in the Microsoft mixed-endian on-disk layout: parse, format, compare and generate.
import { randomUUID } from 'node:crypto';

const GUID_RE =
  /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** True when `s` is a GUID string, braced or not, any case. */
export function isGuidString(s: string): boolean {
  return GUID_RE.test(s.trim());
}

/** Canonical form used everywhere in the API: lowercase, no braces. Throws on malformed input. */
export function normalizeGuid(s: string): string {
  const m = GUID_RE.exec(s.trim());
  if (!m) throw new RangeError(`not a GUID: ${JSON.stringify(s)}`);
  return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
}

/** 16 on-disk bytes (Data1..3 little-endian, Data4 raw) from a GUID string. */
export function guidToBytes(s: string): Buffer {
  const g = normalizeGuid(s).replace(/-/g, '');
  const b = Buffer.alloc(16);
  b.writeUInt32LE(parseInt(g.slice(0, 8), 16), 0);
  b.writeUInt16LE(parseInt(g.slice(8, 12), 16), 4);
  b.writeUInt16LE(parseInt(g.slice(12, 16), 16), 6);
  Buffer.from(g.slice(16), 'hex').copy(b, 8);
  return b;
}

/** GUID string (lowercase, no braces) from 16 on-disk bytes at `off`. */
export function guidFromBytes(buf: Uint8Array, off = 0): string {
  const b = Buffer.from(buf.buffer, buf.byteOffset + off, 16);
  const d1 = b.readUInt32LE(0).toString(16).padStart(8, '0');
  const d2 = b.readUInt16LE(4).toString(16).padStart(4, '0');
  const d3 = b.readUInt16LE(6).toString(16).padStart(4, '0');
  const d4 = b.toString('hex', 8, 10);
  const d5 = b.toString('hex', 10, 16);
  return `${d1}-${d2}-${d3}-${d4}-${d5}`;
}

export function newGuid(): string {
  return randomUUID();
}

export function guidEquals(a: string, b: string): boolean {
  try {
    return normalizeGuid(a) === normalizeGuid(b);
  } catch {
    return false;
  }
}

export function isZeroGuid(s: string): boolean {
  return guidEquals(s, ZERO_GUID);
}

/** Braced form as Hyper-V writes it in parent locators: `{ff34003b-11ed-4cf8-a166-b2be05e20b80}`. */
export function bracedGuid(s: string): string {
  return `{${normalizeGuid(s)}}`;
}
