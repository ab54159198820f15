// BAT arithmetic: chunk ratio, interleaved payload / sector-bitmap entries, entry encode/decode on a raw buffer.
import { corrupt } from './errors';
import {
  BAT_OFFSET_MASK_LO,
  BAT_RESERVED_MASK_LO,
  BAT_STATE_MASK,
  PAYLOAD_FULLY_PRESENT,
  PAYLOAD_NOT_PRESENT,
  PAYLOAD_PARTIALLY_PRESENT,
  PAYLOAD_UNDEFINED,
  PAYLOAD_UNMAPPED,
  PAYLOAD_UNMAPPED_V095,
  PAYLOAD_ZERO,
  SECTORS_PER_BITMAP_BLOCK,
} from './layout';

export type BlockState =
  'not-present' | 'undefined' | 'zero' | 'unmapped' | 'fully-present' | 'partially-present';

export interface BatGeometry {
  blockSize: number;
  logicalSectorSize: number;
  virtualSize: number;
  hasParent: boolean;
  /** Payload blocks covered by one sector-bitmap block: 2^23 * LSS / BlockSize. */
  chunkRatio: number;
  dataBlocks: number;
  bitmapBlocks: number;
  /** Number of BAT entries the file must have. */
  totalEntries: number;
  sectorsPerBlock: number;
}

export function batGeometry(
  virtualSize: number,
  blockSize: number,
  logicalSectorSize: number,
  hasParent: boolean,
): BatGeometry {
  const chunkRatio = (SECTORS_PER_BITMAP_BLOCK * logicalSectorSize) / blockSize;
  if (!Number.isInteger(chunkRatio) || chunkRatio < 1)
    throw corrupt(`block size ${blockSize} gives a non-integer chunk ratio.`);
  const dataBlocks = Math.ceil(virtualSize / blockSize);
  const bitmapBlocks = Math.ceil(dataBlocks / chunkRatio);
  const totalEntries = hasParent
    ? bitmapBlocks * (chunkRatio + 1)
    : dataBlocks + Math.floor((dataBlocks - 1) / chunkRatio);
  return {
    blockSize,
    logicalSectorSize,
    virtualSize,
    hasParent,
    chunkRatio,
    dataBlocks,
    bitmapBlocks,
    totalEntries,
    sectorsPerBlock: blockSize / logicalSectorSize,
  };
}

/** BAT index of payload block `block`. */
export function payloadIndex(g: BatGeometry, block: number): number {
  return block + Math.floor(block / g.chunkRatio);
}

/** BAT index of the sector-bitmap entry of chunk `chunk`. */
export function bitmapIndex(g: BatGeometry, chunk: number): number {
  return chunk * (g.chunkRatio + 1) + g.chunkRatio;
}

export function isBitmapIndex(g: BatGeometry, index: number): boolean {
  return index % (g.chunkRatio + 1) === g.chunkRatio;
}

/** Payload block number for a payload BAT index (caller checks it is not a bitmap index). */
export function blockOfIndex(g: BatGeometry, index: number): number {
  return index - Math.floor(index / (g.chunkRatio + 1));
}

/** Bytes of virtual disk covered by payload block `block` (the last one may be short). */
export function blockLength(g: BatGeometry, block: number): number {
  return Math.min(g.blockSize, g.virtualSize - block * g.blockSize);
}

export function entryState(bat: Buffer, index: number): number {
  return (bat[index * 8] as number) & BAT_STATE_MASK;
}

export function entryOffset(bat: Buffer, index: number): number {
  const lo = bat.readUInt32LE(index * 8);
  const hi = bat.readUInt32LE(index * 8 + 4);
  return hi * 4294967296 + ((lo & BAT_OFFSET_MASK_LO) >>> 0);
}

export function entryReserved(bat: Buffer, index: number): number {
  return bat.readUInt32LE(index * 8) & BAT_RESERVED_MASK_LO;
}

export function setEntry(bat: Buffer, index: number, state: number, fileOffset: number): void {
  if (fileOffset % 1048576 !== 0)
    throw new RangeError(`BAT offset ${fileOffset} is not 1 MiB aligned`);
  const hi = Math.floor(fileOffset / 4294967296);
  const lo = (fileOffset % 4294967296) >>> 0;
  bat.writeUInt32LE(((lo & BAT_OFFSET_MASK_LO) | (state & BAT_STATE_MASK)) >>> 0, index * 8);
  bat.writeUInt32LE(hi >>> 0, index * 8 + 4);
}

export function encodeEntry(state: number, fileOffset: number): Buffer {
  const b = Buffer.alloc(8);
  setEntry(b, 0, state, fileOffset);
  return b;
}

export function stateName(state: number): BlockState | 'reserved' {
  switch (state) {
    case PAYLOAD_NOT_PRESENT:
      return 'not-present';
    case PAYLOAD_UNDEFINED:
      return 'undefined';
    case PAYLOAD_ZERO:
      return 'zero';
    case PAYLOAD_UNMAPPED:
    case PAYLOAD_UNMAPPED_V095:
      return 'unmapped';
    case PAYLOAD_FULLY_PRESENT:
      return 'fully-present';
    case PAYLOAD_PARTIALLY_PRESENT:
      return 'partially-present';
    default:
      return 'reserved';
  }
}

/** Bytes the BAT occupies on disk (entries rounded up to 1 MiB), the minimum BAT region length. */
export function batRegionLength(g: BatGeometry): number {
  return Math.max(1048576, Math.ceil((g.totalEntries * 8) / 1048576) * 1048576);
}
