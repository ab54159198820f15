// Create fixed, dynamic and differencing VHDX files in the Hyper-V layout (log @1 MiB, metadata @2 MiB, BAT @3 MiB).
import { execFileSync } from 'node:child_process';
import { open as fsOpen } from 'node:fs/promises';
import nodePath from 'node:path';
import { batGeometry, batRegionLength, payloadIndex, setEntry } from './bat';
import { invalid, ioError } from './errors';
import { VhdxImage } from './file';
import { bracedGuid, isGuidString, newGuid, normalizeGuid, ZERO_GUID } from './guid';
import { serializeHeader } from './header';
import {
  ALIGN,
  CREATOR_OFFSET,
  CREATOR_STRING,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_DIFF_BLOCK_SIZE,
  DEFAULT_LOG_SIZE,
  FILE_ID_SIGNATURE,
  HEADER1_OFFSET,
  HEADER2_OFFSET,
  MAX_BLOCK_SIZE,
  MAX_VIRTUAL_SIZE,
  MIN_BLOCK_SIZE,
  MiB,
  PAYLOAD_FULLY_PRESENT,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
} from './layout';
import { buildMetadataRegion, buildParentLocator } from './metadata';
import { serializeRegionTable } from './region';

export interface CreateOptions {
  virtualSize: number;
  type: 'fixed' | 'dynamic';
  blockSize?: number;
  logicalSectorSize?: 512 | 4096;
  physicalSectorSize?: 512 | 4096;
  virtualDiskId?: string;
  /** Write block payload unbuffered where the platform allows (large restores; see direct-io.ts). */
  directIo?: boolean;
}

interface Layout {
  virtualSize: number;
  blockSize: number;
  lss: number;
  pss: number;
  diskId: string;
  fixed: boolean;
  locator?: Buffer;
}

function validateCreate(o: Layout, path: string): void {
  const where = { path };
  if (
    !Number.isSafeInteger(o.virtualSize) ||
    o.virtualSize <= 0 ||
    o.virtualSize > MAX_VIRTUAL_SIZE
  ) {
    throw invalid(
      `cannot create ${path}: the virtual size ${o.virtualSize} must be between 1 sector and 64 TiB.`,
      where,
    );
  }
  if (o.lss !== 512 && o.lss !== 4096)
    throw invalid(`cannot create ${path}: the logical sector size must be 512 or 4096.`, where);
  if (o.pss !== 512 && o.pss !== 4096)
    throw invalid(`cannot create ${path}: the physical sector size must be 512 or 4096.`, where);
  if (o.virtualSize % o.lss !== 0)
    throw invalid(
      `cannot create ${path}: the virtual size ${o.virtualSize} is not a multiple of the ${o.lss}-byte sector size.`,
      where,
    );
  if (
    !Number.isInteger(o.blockSize) ||
    o.blockSize < MIN_BLOCK_SIZE ||
    o.blockSize > MAX_BLOCK_SIZE ||
    (o.blockSize & (o.blockSize - 1)) !== 0
  ) {
    throw invalid(
      `cannot create ${path}: the block size ${o.blockSize} must be a power of two from 1 MiB to 256 MiB.`,
      where,
    );
  }
  if (!isGuidString(o.diskId))
    throw invalid(`cannot create ${path}: the virtual disk id "${o.diskId}" is not a GUID.`, where);
}

/**
 * Write a complete new file. Everything except the headers is written and fsynced first; the two
 * headers come last, so a crash part-way leaves a file without a valid header (a clear
 * VHDX_CORRUPT), never a file that looks valid but is not. The file is created exclusively.
 */
async function writeNewFile(path: string, o: Layout): Promise<void> {
  validateCreate(o, path);
  const g = batGeometry(o.virtualSize, o.blockSize, o.lss, o.locator !== undefined);
  const logOffset = MiB;
  const metaOffset = 2 * MiB;
  const batOffset = 3 * MiB;
  const batLen = batRegionLength(g);
  const dataStart = batOffset + batLen;
  let fh;
  try {
    fh = await fsOpen(path, 'wx');
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    const id = Buffer.alloc(64 * 1024);
    id.write(FILE_ID_SIGNATURE, 0, 'latin1');
    id.write(CREATOR_STRING, CREATOR_OFFSET, 'utf16le');
    await fh.write(id, 0, id.length, 0);
    const table = serializeRegionTable([
      { guid: REGION_GUID_BAT, fileOffset: batOffset, length: batLen, required: true },
      { guid: REGION_GUID_METADATA, fileOffset: metaOffset, length: MiB, required: true },
    ]);
    await fh.write(table, 0, table.length, REGION1_OFFSET);
    await fh.write(table, 0, table.length, REGION2_OFFSET);
    const md = buildMetadataRegion(
      {
        blockSize: o.blockSize,
        leaveBlocksAllocated: o.fixed,
        hasParent: o.locator !== undefined,
        virtualSize: o.virtualSize,
        virtualDiskId: normalizeGuid(o.diskId),
        logicalSectorSize: o.lss,
        physicalSectorSize: o.pss,
        ...(o.locator ? { locator: o.locator } : {}),
      },
      MiB,
    );
    await fh.write(md, 0, md.length, metaOffset);
    let end = dataStart;
    if (o.fixed) {
      const bat = Buffer.alloc(g.totalEntries * 8);
      for (let b = 0; b < g.dataBlocks; b++)
        setEntry(bat, payloadIndex(g, b), PAYLOAD_FULLY_PRESENT, dataStart + b * o.blockSize);
      await fh.write(bat, 0, bat.length, batOffset);
      end = dataStart + g.dataBlocks * o.blockSize;
    }
    // An all-zero BAT (dynamic, differencing) needs no write: extending the file reads as zeros.
    await fh.truncate(Math.ceil(end / ALIGN) * ALIGN);
    await fh.sync();
    const header = {
      sequenceNumber: 1n,
      fileWriteGuid: newGuid(),
      dataWriteGuid: newGuid(),
      logGuid: ZERO_GUID,
      logVersion: 0,
      version: 1,
      logLength: DEFAULT_LOG_SIZE,
      logOffset,
    };
    await fh.write(serializeHeader(header), 0, 4096, HEADER1_OFFSET);
    await fh.write(serializeHeader({ ...header, sequenceNumber: 2n }), 0, 4096, HEADER2_OFFSET);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function createVhdx(path: string, opts: CreateOptions): Promise<VhdxImage> {
  if (opts.type !== 'fixed' && opts.type !== 'dynamic')
    throw invalid(`cannot create ${path}: type must be "fixed" or "dynamic".`, { path });
  await writeNewFile(path, {
    virtualSize: opts.virtualSize,
    blockSize: opts.blockSize ?? DEFAULT_BLOCK_SIZE,
    lss: opts.logicalSectorSize ?? 512,
    pss: opts.physicalSectorSize ?? 4096,
    diskId: opts.virtualDiskId ?? newGuid(),
    fixed: opts.type === 'fixed',
  });
  return VhdxImage.open(path, { writable: true, ...(opts.directIo ? { directIo: true } : {}) });
}

/** Windows-style relative path from the child's folder to the parent, as Hyper-V writes it (`.\name`, `..\dir\name`). */
export function relativeWin32Path(childPath: string, parentPath: string): string {
  const rel = nodePath.relative(
    nodePath.dirname(nodePath.resolve(childPath)),
    nodePath.resolve(parentPath),
  );
  const win = rel.split(/[\\/]+/).join('\\');
  return win.startsWith('..') ? win : `.\\${win}`;
}

/** Absolute path in Win32 form. On Windows the real path; elsewhere the POSIX path with backslashes (its file name is what other tools use). */
export function absoluteWin32Path(p: string): string {
  if (process.platform === 'win32') return nodePath.win32.resolve(p);
  return nodePath.resolve(p).split('/').join('\\');
}

/** `\\?\Volume{GUID}\path` on Windows (via mountvol); undefined elsewhere or when it cannot be found. */
export function volumePath(p: string): string | undefined {
  if (process.platform !== 'win32') return undefined;
  try {
    const abs = nodePath.win32.resolve(p);
    const drive = /^[A-Za-z]:/.exec(abs)?.[0];
    if (!drive) return undefined;
    const out = execFileSync('mountvol', [drive, '/L'], {
      encoding: 'utf8',
      timeout: 5000,
      windowsHide: true,
    }).trim();
    if (!/^\\\\\?\\Volume\{[0-9a-fA-F-]+\}\\$/.test(out)) return undefined;
    return out + abs.slice(3);
  } catch {
    return undefined;
  }
}

/** Locator entries in Hyper-V's key order (parent_linkage2 is not written: the spec says it must not be present). */
export function locatorEntries(
  childPath: string,
  parentPath: string,
  parentDataWriteGuid: string,
): Array<[string, string]> {
  const entries: Array<[string, string]> = [
    ['parent_linkage', bracedGuid(parentDataWriteGuid)],
    ['absolute_win32_path', absoluteWin32Path(parentPath)],
    ['relative_path', relativeWin32Path(childPath, parentPath)],
  ];
  const vol = volumePath(parentPath);
  if (vol) entries.push(['volume_path', vol]);
  return entries;
}

export async function createDifferencing(
  childPath: string,
  parentPath: string,
  opts: { blockSize?: number } = {},
): Promise<VhdxImage> {
  const parent = await VhdxImage.open(parentPath);
  let info;
  try {
    info = parent.info;
  } finally {
    await parent.close();
  }
  await writeNewFile(childPath, {
    virtualSize: info.virtualSize,
    blockSize: opts.blockSize ?? DEFAULT_DIFF_BLOCK_SIZE,
    lss: info.logicalSectorSize,
    pss: info.physicalSectorSize,
    diskId: info.virtualDiskId,
    fixed: false,
    locator: buildParentLocator(locatorEntries(childPath, parentPath, info.dataWriteGuid)),
  });
  return VhdxImage.open(childPath, { writable: true });
}
