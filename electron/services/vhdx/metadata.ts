// The metadata region: table and system items (block size, sizes, disk id, parent locator), parse and build.
import { corrupt, unsupported } from './errors';
import { guidFromBytes, guidToBytes, isGuidString, normalizeGuid } from './guid';
import {
  FILE_PARAM_HAS_PARENT,
  FILE_PARAM_LEAVE_BLOCKS_ALLOCATED,
  KiB,
  MAX_BLOCK_SIZE,
  MAX_VIRTUAL_SIZE,
  META_FILE_PARAMETERS,
  META_FLAG_IS_REQUIRED,
  META_FLAG_IS_USER,
  META_FLAG_IS_VIRTUAL_DISK,
  META_LOGICAL_SECTOR_SIZE,
  META_PARENT_LOCATOR,
  META_PHYSICAL_SECTOR_SIZE,
  META_VIRTUAL_DISK_ID,
  META_VIRTUAL_DISK_SIZE,
  METADATA_ITEM_MAX,
  METADATA_MAX_ENTRIES,
  METADATA_SIGNATURE,
  METADATA_TABLE_SIZE,
  MIN_BLOCK_SIZE,
  PARENT_LOCATOR_TYPE_VHDX,
} from './layout';

export interface MetadataEntry {
  itemId: string;
  offset: number;
  length: number;
  isUser: boolean;
  isVirtualDisk: boolean;
  isRequired: boolean;
}

export interface ParentLocator {
  locatorType: string;
  /** Key/value pairs in on-disk order. */
  entries: Array<[string, string]>;
}

export interface ParentInfo {
  linkage: string;
  linkage2?: string;
  relativePath?: string;
  absoluteWin32Path?: string;
  volumePath?: string;
}

export interface VhdxMetadata {
  blockSize: number;
  leaveBlocksAllocated: boolean;
  hasParent: boolean;
  virtualSize: number;
  virtualDiskId: string;
  logicalSectorSize: number;
  physicalSectorSize: number;
  locator?: ParentLocator;
  parent?: ParentInfo;
}

const KNOWN_SYSTEM = new Set([
  META_FILE_PARAMETERS,
  META_VIRTUAL_DISK_SIZE,
  META_VIRTUAL_DISK_ID,
  META_LOGICAL_SECTOR_SIZE,
  META_PHYSICAL_SECTOR_SIZE,
  META_PARENT_LOCATOR,
]);

/** Parse the metadata table (first 64 KiB of the region). Throws VHDX_CORRUPT / VHDX_UNSUPPORTED. */
export function parseMetadataTable(table: Buffer, regionLength: number): MetadataEntry[] {
  if (table.length < 32) throw corrupt('the metadata table is truncated.');
  if (table.toString('latin1', 0, 8) !== METADATA_SIGNATURE)
    throw corrupt('the metadata table signature is not "metadata".');
  const count = table.readUInt16LE(10);
  if (count > METADATA_MAX_ENTRIES)
    throw corrupt(`the metadata table lists ${count} entries (max ${METADATA_MAX_ENTRIES}).`);
  if (32 + count * 32 > Math.min(table.length, METADATA_TABLE_SIZE))
    throw corrupt('the metadata table entries run past the table.');
  const entries: MetadataEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const o = 32 + i * 32;
    const flags = table.readUInt32LE(o + 24);
    const e: MetadataEntry = {
      itemId: guidFromBytes(table, o),
      offset: table.readUInt32LE(o + 16),
      length: table.readUInt32LE(o + 20),
      isUser: (flags & META_FLAG_IS_USER) !== 0,
      isVirtualDisk: (flags & META_FLAG_IS_VIRTUAL_DISK) !== 0,
      isRequired: (flags & META_FLAG_IS_REQUIRED) !== 0,
    };
    const key = `${e.itemId}/${e.isUser}`;
    if (seen.has(key)) throw corrupt(`metadata item ${e.itemId} is listed twice.`);
    seen.add(key);
    if (e.length === 0) {
      if (e.offset !== 0)
        throw corrupt(`metadata item ${e.itemId} has length 0 but offset ${e.offset}.`);
    } else {
      if (e.offset < METADATA_TABLE_SIZE)
        throw corrupt(
          `metadata item ${e.itemId} starts inside the metadata table (offset ${e.offset}).`,
        );
      if (e.length > METADATA_ITEM_MAX)
        throw corrupt(`metadata item ${e.itemId} is ${e.length} bytes (max 1 MiB).`);
      if (e.offset + e.length > regionLength)
        throw corrupt(`metadata item ${e.itemId} runs past the end of the metadata region.`);
    }
    if (e.isRequired && !(KNOWN_SYSTEM.has(e.itemId) && !e.isUser)) {
      throw unsupported(`the file has an unknown required metadata item ${e.itemId}.`, {
        item: e.itemId,
      });
    }
    entries.push(e);
  }
  const sorted = entries.filter((e) => e.length > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1] as MetadataEntry;
    const c = sorted[i] as MetadataEntry;
    if (p.offset + p.length > c.offset)
      throw corrupt(`metadata items ${p.itemId} and ${c.itemId} overlap.`);
  }
  return entries;
}

/** The system items we must read, as [offset, length] within the region. */
export function systemItemRanges(
  entries: MetadataEntry[],
): Array<{ itemId: string; offset: number; length: number }> {
  return entries
    .filter((e) => !e.isUser && KNOWN_SYSTEM.has(e.itemId) && e.length > 0)
    .map((e) => ({ itemId: e.itemId, offset: e.offset, length: e.length }));
}

function item(items: Map<string, Buffer>, id: string, name: string, minLen: number): Buffer {
  const b = items.get(id);
  if (!b) throw corrupt(`the required metadata item ${name} (${id}) is missing.`);
  if (b.length < minLen)
    throw corrupt(`the metadata item ${name} is ${b.length} bytes, expected at least ${minLen}.`);
  return b;
}

/** Decode and validate the system metadata items. Throws VHDX_CORRUPT / VHDX_UNSUPPORTED. */
export function decodeMetadata(items: Map<string, Buffer>): VhdxMetadata {
  const fp = item(items, META_FILE_PARAMETERS, 'File Parameters', 8);
  const blockSize = fp.readUInt32LE(0);
  const flags = fp.readUInt32LE(4);
  if (
    blockSize < MIN_BLOCK_SIZE ||
    blockSize > MAX_BLOCK_SIZE ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw corrupt(`the block size ${blockSize} is not a power of two between 1 MiB and 256 MiB.`);
  }
  const lss = item(items, META_LOGICAL_SECTOR_SIZE, 'Logical Sector Size', 4).readUInt32LE(0);
  const pss = item(items, META_PHYSICAL_SECTOR_SIZE, 'Physical Sector Size', 4).readUInt32LE(0);
  if (lss !== 512 && lss !== 4096)
    throw corrupt(`the logical sector size ${lss} is not 512 or 4096.`);
  if (pss !== 512 && pss !== 4096)
    throw corrupt(`the physical sector size ${pss} is not 512 or 4096.`);
  const vsBig = item(items, META_VIRTUAL_DISK_SIZE, 'Virtual Disk Size', 8).readBigUInt64LE(0);
  if (vsBig === 0n || vsBig > BigInt(MAX_VIRTUAL_SIZE))
    throw corrupt(`the virtual disk size ${vsBig} is outside 1 byte .. 64 TiB.`);
  const virtualSize = Number(vsBig);
  if (virtualSize % lss !== 0)
    throw corrupt(
      `the virtual disk size ${virtualSize} is not a multiple of the logical sector size ${lss}.`,
    );
  const virtualDiskId = guidFromBytes(item(items, META_VIRTUAL_DISK_ID, 'Virtual Disk ID', 16), 0);
  const hasParent = (flags & FILE_PARAM_HAS_PARENT) !== 0;
  const md: VhdxMetadata = {
    blockSize,
    leaveBlocksAllocated: (flags & FILE_PARAM_LEAVE_BLOCKS_ALLOCATED) !== 0,
    hasParent,
    virtualSize,
    virtualDiskId,
    logicalSectorSize: lss,
    physicalSectorSize: pss,
  };
  if (hasParent) {
    const loc = parseParentLocator(item(items, META_PARENT_LOCATOR, 'Parent Locator', 20));
    md.locator = loc;
    md.parent = parentInfoFromLocator(loc);
  }
  return md;
}

/** Parse a parent locator item [2.6.2.6]. Offsets are relative to the item; strings are UTF-16LE without NUL. */
export function parseParentLocator(b: Buffer): ParentLocator {
  if (b.length < 20) throw corrupt('the parent locator is truncated.');
  const locatorType = guidFromBytes(b, 0);
  const count = b.readUInt16LE(18);
  if (20 + count * 12 > b.length)
    throw corrupt(`the parent locator lists ${count} entries but is only ${b.length} bytes.`);
  const entries: Array<[string, string]> = [];
  const keys = new Set<string>();
  const str = (off: number, len: number, what: string): string => {
    if (len % 2 !== 0) throw corrupt(`a parent locator ${what} has an odd byte length ${len}.`);
    if (off + len > b.length || off < 20 + count * 12)
      throw corrupt(`a parent locator ${what} lies outside the locator.`);
    return b.toString('utf16le', off, off + len);
  };
  for (let i = 0; i < count; i++) {
    const o = 20 + i * 12;
    const key = str(b.readUInt32LE(o), b.readUInt16LE(o + 8), 'key');
    const value = str(b.readUInt32LE(o + 4), b.readUInt16LE(o + 10), 'value');
    if (key.length === 0) throw corrupt('the parent locator has an empty key.');
    if (keys.has(key)) throw corrupt(`the parent locator lists key "${key}" twice.`);
    keys.add(key);
    entries.push([key, value]);
  }
  return { locatorType, entries };
}

/** Interpret a VHDX parent locator: linkage GUIDs and the three path hints. */
export function parentInfoFromLocator(loc: ParentLocator): ParentInfo {
  if (loc.locatorType !== PARENT_LOCATOR_TYPE_VHDX) {
    throw unsupported(`the parent locator type ${loc.locatorType} is not the VHDX locator type.`);
  }
  const get = (k: string): string | undefined => loc.entries.find(([key]) => key === k)?.[1];
  const linkage = get('parent_linkage');
  if (linkage === undefined || !isGuidString(linkage)) {
    throw corrupt(
      `the parent locator has no valid parent_linkage (found ${JSON.stringify(linkage)}).`,
    );
  }
  const info: ParentInfo = { linkage: normalizeGuid(linkage) };
  const l2 = get('parent_linkage2');
  if (l2 !== undefined && isGuidString(l2)) info.linkage2 = normalizeGuid(l2);
  const rel = get('relative_path');
  const abs = get('absolute_win32_path');
  const vol = get('volume_path');
  if (rel) info.relativePath = rel;
  if (abs) info.absoluteWin32Path = abs;
  if (vol) info.volumePath = vol;
  if (!rel && !abs && !vol)
    throw corrupt(
      'the parent locator has none of relative_path, absolute_win32_path, volume_path.',
    );
  return info;
}

export function buildParentLocator(
  entries: Array<[string, string]>,
  locatorType = PARENT_LOCATOR_TYPE_VHDX,
): Buffer {
  const head = 20 + entries.length * 12;
  const parts: Buffer[] = [];
  const table = Buffer.alloc(head);
  guidToBytes(locatorType).copy(table, 0);
  table.writeUInt16LE(entries.length, 18);
  let off = head;
  entries.forEach(([k, v], i) => {
    const kb = Buffer.from(k, 'utf16le');
    const vb = Buffer.from(v, 'utf16le');
    if (kb.length > 0xffff || vb.length > 0xffff)
      throw corrupt('a parent locator string is too long.');
    const o = 20 + i * 12;
    table.writeUInt32LE(off, o);
    table.writeUInt32LE(off + kb.length, o + 4);
    table.writeUInt16LE(kb.length, o + 8);
    table.writeUInt16LE(vb.length, o + 10);
    parts.push(kb, vb);
    off += kb.length + vb.length;
  });
  const out = Buffer.concat([table, ...parts]);
  if (out.length > METADATA_ITEM_MAX) throw corrupt('the parent locator is larger than 1 MiB.');
  return out;
}

export interface MetadataBuild {
  blockSize: number;
  leaveBlocksAllocated: boolean;
  hasParent: boolean;
  virtualSize: number;
  virtualDiskId: string;
  logicalSectorSize: number;
  physicalSectorSize: number;
  locator?: Buffer;
}

/** Build a metadata region of `regionLength` bytes, items packed from +64 KiB in Hyper-V's order. */
export function buildMetadataRegion(m: MetadataBuild, regionLength: number): Buffer {
  const r = Buffer.alloc(regionLength);
  r.write(METADATA_SIGNATURE, 0, 'latin1');
  const req = META_FLAG_IS_REQUIRED;
  const vd = META_FLAG_IS_REQUIRED | META_FLAG_IS_VIRTUAL_DISK;
  const items: Array<{ id: string; data: Buffer; flags: number }> = [];
  const fp = Buffer.alloc(8);
  fp.writeUInt32LE(m.blockSize, 0);
  fp.writeUInt32LE(
    (m.leaveBlocksAllocated ? FILE_PARAM_LEAVE_BLOCKS_ALLOCATED : 0) |
      (m.hasParent ? FILE_PARAM_HAS_PARENT : 0),
    4,
  );
  items.push({ id: META_FILE_PARAMETERS, data: fp, flags: req });
  const vs = Buffer.alloc(8);
  vs.writeBigUInt64LE(BigInt(m.virtualSize), 0);
  items.push({ id: META_VIRTUAL_DISK_SIZE, data: vs, flags: vd });
  const ls = Buffer.alloc(4);
  ls.writeUInt32LE(m.logicalSectorSize, 0);
  items.push({ id: META_LOGICAL_SECTOR_SIZE, data: ls, flags: vd });
  const ps = Buffer.alloc(4);
  ps.writeUInt32LE(m.physicalSectorSize, 0);
  items.push({ id: META_PHYSICAL_SECTOR_SIZE, data: ps, flags: vd });
  items.push({ id: META_VIRTUAL_DISK_ID, data: guidToBytes(m.virtualDiskId), flags: vd });
  if (m.locator) items.push({ id: META_PARENT_LOCATOR, data: m.locator, flags: req });
  r.writeUInt16LE(items.length, 10);
  let off = 64 * KiB;
  items.forEach((it, i) => {
    const o = 32 + i * 32;
    guidToBytes(it.id).copy(r, o);
    r.writeUInt32LE(off, o + 16);
    r.writeUInt32LE(it.data.length, o + 20);
    r.writeUInt32LE(it.flags, o + 24);
    it.data.copy(r, off);
    off += it.data.length;
  });
  if (off > regionLength) throw corrupt('metadata does not fit its region.');
  return r;
}
