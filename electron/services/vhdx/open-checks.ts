// Checks a file must pass when it opens (and that `check` reuses): every BAT entry, and a log's writes before replay.
import { blockLength, entryOffset, type BatGeometry } from './bat';
import { corrupt } from './errors';
import type { FileIo } from './io';
import {
  ALIGN,
  HEADER_SECTION_SIZE,
  MAX_VIRTUAL_SIZE,
  MiB,
  PAYLOAD_FULLY_PRESENT,
  PAYLOAD_PARTIALLY_PRESENT,
  REGION1_OFFSET,
  SB_NOT_PRESENT,
  SB_PRESENT,
  SECTOR_BITMAP_BLOCK_SIZE,
} from './layout';
import type { LogOp } from './log';

/**
 * Check every BAT entry once at open: valid states, PARTIALLY_PRESENT only with a parent and with
 * a sector bitmap, allocated blocks inside the file (as qemu does). Returns the end of the highest
 * allocated block or bitmap.
 */
export function validateBat(g: BatGeometry, bat: Buffer, fileSize: number): number {
  let maxEnd = 0;
  let blk = 0;
  let inChunk = 0;
  let chunkHasPartial = false;
  const ratio = g.chunkRatio;
  for (let i = 0; i < g.totalEntries; i++) {
    const st = (bat[i * 8] as number) & 7;
    if (inChunk === ratio) {
      // sector bitmap entry
      inChunk = 0;
      if (g.hasParent) {
        if (st === SB_PRESENT) {
          const off = entryOffset(bat, i);
          if (off < HEADER_SECTION_SIZE || off + SECTOR_BITMAP_BLOCK_SIZE > fileSize) {
            throw corrupt(
              `sector bitmap BAT entry ${i} points to ${off}, outside the file (${fileSize} bytes).`,
              { batIndex: i },
            );
          }
          maxEnd = Math.max(maxEnd, off + SECTOR_BITMAP_BLOCK_SIZE);
        } else if (st !== SB_NOT_PRESENT) {
          throw corrupt(`sector bitmap BAT entry ${i} has the reserved state ${st}.`, {
            batIndex: i,
          });
        } else if (chunkHasPartial) {
          throw corrupt(
            `chunk ${Math.floor(i / (ratio + 1))} has partially present blocks but no sector bitmap (BAT entry ${i}).`,
            { batIndex: i },
          );
        }
      }
      chunkHasPartial = false;
      continue;
    }
    inChunk++;
    if (blk < g.dataBlocks) {
      if (st === 4 || st > 7)
        throw corrupt(`BAT entry ${i} (block ${blk}) has the reserved state ${st}.`, {
          batIndex: i,
        });
      if (st === PAYLOAD_PARTIALLY_PRESENT) {
        if (!g.hasParent)
          throw corrupt(
            `BAT entry ${i} (block ${blk}) is PARTIALLY_PRESENT in a disk without a parent.`,
            { batIndex: i },
          );
        chunkHasPartial = true;
      }
      if (st === PAYLOAD_FULLY_PRESENT || st === PAYLOAD_PARTIALLY_PRESENT) {
        const off = entryOffset(bat, i);
        const len = blockLength(g, blk);
        if (off < HEADER_SECTION_SIZE)
          throw corrupt(
            `BAT entry ${i} (block ${blk}) points into the header section (offset ${off}).`,
            { batIndex: i },
          );
        if (off + len > fileSize) {
          throw corrupt(
            `BAT entry ${i} (block ${blk}) points to ${off}..${off + len}, past the end of the file (${fileSize} bytes): the file is probably truncated.`,
            { batIndex: i },
          );
        }
        maxEnd = Math.max(maxEnd, off + g.blockSize);
      }
    }
    blk++;
  }
  if (g.hasParent && chunkHasPartial)
    throw corrupt('the last chunk has partially present blocks but no sector bitmap entry.');
  return Math.ceil(maxEnd / ALIGN) * ALIGN;
}

/** True when every write of the log sequence is already on disk (and the file is long enough). */
export async function logAlreadyApplied(
  io: FileIo,
  ops: LogOp[],
  lastFileOffset: number,
): Promise<boolean> {
  if (io.diskSize < lastFileOffset) return false;
  for (const op of ops) {
    const len = op.data ? op.data.length : (op.zeroLength ?? 0);
    if (op.fileOffset + len > io.diskSize) return false;
    for (let o = 0; o < len; o += 4 * MiB) {
      const n = Math.min(4 * MiB, len - o);
      const cur = await io.readZeroPadded(op.fileOffset + o, n);
      const want = op.data ? op.data.subarray(o, o + n) : Buffer.alloc(n);
      if (!cur.equals(want)) return false;
    }
  }
  return true;
}

/**
 * Refuse a log whose writes could not come from a sane writer: into the file identifier or the
 * headers (they are updated by the header protocol, never through the log), past the end the log
 * itself declares, or extending the file beyond any possible VHDX.
 */
export function validateLogOps(ops: LogOp[], end: number, lastFileOffset: number): void {
  if (lastFileOffset > 2 * MAX_VIRTUAL_SIZE)
    throw corrupt(`the log declares an impossible file size ${lastFileOffset}.`);
  for (const op of ops) {
    const len = op.data ? op.data.length : (op.zeroLength ?? 0);
    if (op.fileOffset < REGION1_OFFSET || op.fileOffset + len > end) {
      throw corrupt(
        `the log writes ${len} bytes at ${op.fileOffset}, outside the file area a log may change (${REGION1_OFFSET}..${end}).`,
      );
    }
  }
}
