// VhdxImage: one open .vhdx/.avhdx file — open (headers, log, regions, metadata, BAT), map, read, write, flush, close.
import { open as fsOpen } from 'node:fs/promises';
import {
  batGeometry,
  bitmapIndex,
  blockLength,
  entryOffset,
  entryState,
  payloadIndex,
  setEntry,
  type BatGeometry,
} from './bat';
import { HvbcError, corrupt, invalid, ioError, unsupported, withPath } from './errors';
import { crashPoint, isSimulatedCrash } from './faults';
import { newGuid, ZERO_GUID } from './guid';
import {
  HEADER_OFFSETS,
  selectCurrentHeader,
  serializeHeader,
  type HeaderPair,
  type VhdxHeader,
} from './header';
import { FileIo } from './io';
import { logAlreadyApplied, validateBat, validateLogOps } from './open-checks';
import {
  ALIGN,
  CREATOR_MAX_BYTES,
  CREATOR_OFFSET,
  FILE_ID_SIGNATURE,
  HEADER_SECTION_SIZE,
  LOG_SECTOR,
  MiB,
  PAYLOAD_FULLY_PRESENT,
  PAYLOAD_NOT_PRESENT,
  PAYLOAD_PARTIALLY_PRESENT,
  PAYLOAD_UNDEFINED,
  PAYLOAD_UNMAPPED,
  PAYLOAD_UNMAPPED_V095,
  PAYLOAD_ZERO,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_TABLE_SIZE,
  SB_PRESENT,
  SECTOR_BITMAP_BLOCK_SIZE,
} from './layout';
import { buildLogEntry, findActiveSequence, logEntrySize, type LogOp } from './log';
import {
  decodeMetadata,
  parseMetadataTable,
  systemItemRanges,
  type VhdxMetadata,
} from './metadata';
import {
  assertNoUnknownRequired,
  parseRegionTable,
  serializeRegionTable,
  type RegionTable,
} from './region';
import type { BlockSummary, Extent, OpenOptions, VhdxFile, VhdxInfo } from './types';

/** Largest log we are willing to read into memory. */
const MAX_LOG_BYTES = 64 * MiB;
/** Clean sector-bitmap pages kept in memory (4 KiB each): 16 MiB. */
const SB_CACHE_PAGES = 4096;
const PAGE = 4096;

export const RUN_DATA = 0;
export const RUN_ZERO = 1;
export const RUN_PARENT = 2;

/** A piece of a virtual range: data at `foff` in this file, zeros, or inherited from the parent. */
export interface Run {
  kind: 0 | 1 | 2;
  voff: number;
  len: number;
  foff: number;
}

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function pushRun(runs: Run[], kind: 0 | 1 | 2, voff: number, len: number, foff: number): void {
  if (len <= 0) return;
  const last = runs[runs.length - 1];
  if (
    last &&
    last.kind === kind &&
    last.voff + last.len === voff &&
    (kind !== RUN_DATA || last.foff + last.len === foff)
  ) {
    last.len += len;
    return;
  }
  runs.push({ kind, voff, len, foff });
}

interface Session {
  /** A new FileWriteGuid has been written this session (first modification). */
  fwgDone: boolean;
  /** A new DataWriteGuid has been written this session (first user-visible change). */
  dwgDone: boolean;
  /** Where the next log entry goes, relative to the log start. */
  logPos: number;
  logSeq: bigint;
}

interface AtomicTxn {
  /** Space below this offset existed before the transaction: copy it before changing it. */
  boundary: number;
  dataWriteGuid: string;
}

/**
 * Crash-consistency model for writes (non-atomic mode, the normal `write` path):
 * - Payload data goes straight to its block. Blocks that are not yet allocated get fresh space at
 *   the end of the file, so until the BAT says otherwise the old state is untouched.
 * - BAT and sector-bitmap changes stay in memory until `flush`/`close`. Flush then (1) extends the
 *   file and fsyncs, so new data is durable before anything points at it; (2) writes the changed
 *   4 KiB metadata pages as one VHDX log entry and fsyncs; (3) writes the pages in place and fsyncs.
 *   A crash before (2) completes leaves the old BAT (new blocks are leaked space); a crash after it
 *   is repaired by log replay on the next writable open (or replayed in memory / refused read-only).
 * - The headers follow the two-header protocol: the non-current copy is written with seq+1 and
 *   fsynced, then the other copy with seq+2. A torn header write leaves the previous current header.
 * Atomic mode (used by merge) never overwrites any pre-existing block: see `beginAtomic`.
 */
export class VhdxImage implements VhdxFile {
  readonly path: string;
  private io: FileIo;
  private writable: boolean;
  private closed = false;
  private dead = false;
  private creator: string | undefined;
  private headers: HeaderPair;
  private logPending: boolean;
  regions: RegionTable;
  readonly meta: VhdxMetadata;
  readonly g: BatGeometry;
  private bat: Buffer;
  private batDirty = new Set<number>();
  private sbPages = new Map<number, Buffer>();
  private sbDirty = new Set<number>();
  private nextFree: number;
  private session: Session = { fwgDone: false, dwgDone: false, logPos: 0, logSeq: 1n };
  private txn: AtomicTxn | undefined;
  private dataWritten = false;
  private summary: BlockSummary | undefined;
  /** Serialises writers (and readers of a writable file): allocation spans awaits. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The log was replayed to disk while opening; headers still need LogGuid cleared. */
  replayedOnOpen = false;

  private constructor(init: {
    path: string;
    io: FileIo;
    writable: boolean;
    creator: string | undefined;
    headers: HeaderPair;
    logPending: boolean;
    regions: RegionTable;
    meta: VhdxMetadata;
    g: BatGeometry;
    bat: Buffer;
    nextFree: number;
  }) {
    this.path = init.path;
    this.io = init.io;
    this.writable = init.writable;
    this.creator = init.creator;
    this.headers = init.headers;
    this.logPending = init.logPending;
    this.regions = init.regions;
    this.meta = init.meta;
    this.g = init.g;
    this.bat = init.bat;
    this.nextFree = init.nextFree;
  }

  // ---------------------------------------------------------------- open

  static async open(path: string, opts: OpenOptions = {}): Promise<VhdxImage> {
    const writable = opts.writable === true;
    let fh;
    try {
      fh = await fsOpen(path, writable ? 'r+' : 'r');
    } catch (e) {
      throw ioError(e, path);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw invalid(`${path} is not a regular file.`, { path });
      const io = new FileIo(fh, path, st.size);
      if (writable && opts.directIo) await io.enableDirect();
      const img = await VhdxImage.load(path, io, writable, opts.replayLog ?? 'refuse');
      if (img.replayedOnOpen) await img.completeReplay();
      return img;
    } catch (e) {
      await fh.close().catch(() => undefined);
      if (isSimulatedCrash(e)) throw e;
      throw withPath(e, path);
    }
  }

  private static async load(
    path: string,
    io: FileIo,
    writable: boolean,
    replay: 'refuse' | 'in-memory',
  ): Promise<VhdxImage> {
    if (io.diskSize < HEADER_SECTION_SIZE) {
      const head = await io.readZeroPadded(0, 8);
      if (head.toString('latin1') !== FILE_ID_SIGNATURE)
        throw corrupt('is not a VHDX file (no "vhdxfile" signature).');
      throw corrupt(`is truncated: ${io.diskSize} bytes, shorter than the 1 MiB header section.`);
    }
    const hdrArea = await io.readZeroPadded(0, REGION1_OFFSET);
    const sig = hdrArea.toString('latin1', 0, 8);
    if (sig !== FILE_ID_SIGNATURE) {
      if (sig === 'conectix') throw unsupported('is a VHD (version 1) file, not VHDX.');
      throw corrupt('is not a VHDX file (no "vhdxfile" signature).');
    }
    const creatorRaw = hdrArea.toString(
      'utf16le',
      CREATOR_OFFSET,
      CREATOR_OFFSET + CREATOR_MAX_BYTES,
    );
    const nul = creatorRaw.indexOf('\u0000');
    const creator = (nul >= 0 ? creatorRaw.slice(0, nul) : creatorRaw) || undefined;
    const headers = selectCurrentHeader(
      hdrArea.subarray(HEADER_OFFSETS[0], HEADER_OFFSETS[0] + 4096),
      hdrArea.subarray(HEADER_OFFSETS[1], HEADER_OFFSETS[1] + 4096),
    );
    let logPending = false;
    let logState: Session | undefined;
    const h = headers.header;
    if (h.logGuid !== ZERO_GUID && h.logLength > 0) {
      if (h.logLength > MAX_LOG_BYTES)
        throw unsupported(
          `has a ${h.logLength}-byte log; logs over ${MAX_LOG_BYTES} bytes are not supported.`,
        );
      if (h.logOffset + h.logLength > io.diskSize)
        throw corrupt(
          `the log (${h.logOffset}+${h.logLength}) runs past the end of the file (${io.diskSize} bytes): the file is truncated.`,
        );
      const logBuf = await io.readZeroPadded(h.logOffset, h.logLength);
      const seq = findActiveSequence(logBuf, h.logGuid);
      if (seq) {
        if (seq.flushedFileOffset > io.diskSize) {
          throw corrupt(
            `the log says the file was at least ${seq.flushedFileOffset} bytes long but it is ${io.diskSize}: the file is truncated.`,
          );
        }
        validateLogOps(
          seq.ops,
          Math.max(io.diskSize, roundUp(seq.lastFileOffset, ALIGN)),
          seq.lastFileOffset,
        );
        if (writable) {
          await VhdxImage.replayToDisk(io, seq.ops, seq.lastFileOffset);
          logState = { fwgDone: false, dwgDone: false, logPos: 0, logSeq: seq.lastSequence + 1n };
        } else if (await logAlreadyApplied(io, seq.ops, seq.lastFileOffset)) {
          // Unclean close after the entries were applied: the disk already holds what the log
          // says, so reading it returns current data. (qemu still asks for a replay here.)
        } else if (replay === 'in-memory') {
          io.setOverlay(seq.ops, roundUp(seq.lastFileOffset, ALIGN));
          logPending = true;
        } else {
          throw new HvbcError(
            'LOG_REPLAY_REQUIRED',
            `${path} holds a metadata log (LogGuid ${h.logGuid}) that must be replayed before the disk can be read safely; reading it as-is could return stale data. ` +
              `Replay it by opening the file writable, or run \`hvbc vhdx check --repair "${path}"\` (qemu: \`qemu-img check -r all\`). ` +
              `To inspect it without modifying the file, open it with replayLog: 'in-memory'.`,
            { path, logGuid: h.logGuid },
          );
        }
      }
    }

    // Region tables are read after the log so an in-memory replay also covers them.
    const rt = await io.readZeroPadded(REGION1_OFFSET, 2 * REGION_TABLE_SIZE);
    const r1 = parseRegionTable(rt.subarray(0, REGION_TABLE_SIZE));
    let regions: RegionTable;
    if (r1.ok) regions = r1.table;
    else {
      const r2 = parseRegionTable(rt.subarray(REGION_TABLE_SIZE));
      if (!r2.ok)
        throw corrupt(`no valid region table: table 1 ${r1.reason}; table 2 ${r2.reason}.`);
      regions = r2.table; // table 2 is an identical copy by definition; `check --repair` rewrites table 1.
    }
    assertNoUnknownRequired(regions);
    const size = io.size;
    for (const r of [regions.bat, regions.metadata]) {
      if (r.fileOffset + r.length > size) {
        throw corrupt(
          `the ${r === regions.bat ? 'BAT' : 'metadata'} region (${r.fileOffset}+${r.length}) runs past the end of the file (${size} bytes): the file is truncated.`,
        );
      }
    }
    if (h.logLength > 0) {
      for (const r of regions.entries) {
        if (r.fileOffset < h.logOffset + h.logLength && h.logOffset < r.fileOffset + r.length)
          throw corrupt(`region ${r.guid} overlaps the log.`);
      }
    }

    const mdRegion = regions.metadata;
    const table = await io.readZeroPadded(
      mdRegion.fileOffset,
      Math.min(mdRegion.length, 64 * 1024),
    );
    const entries = parseMetadataTable(table, mdRegion.length);
    const items = new Map<string, Buffer>();
    for (const r of systemItemRanges(entries))
      items.set(r.itemId, await io.readZeroPadded(mdRegion.fileOffset + r.offset, r.length));
    const meta = decodeMetadata(items);

    const g = batGeometry(meta.virtualSize, meta.blockSize, meta.logicalSectorSize, meta.hasParent);
    const batBytes = g.totalEntries * 8;
    if (batBytes > regions.bat.length) {
      throw corrupt(
        `the BAT region is ${regions.bat.length} bytes but ${g.totalEntries} entries (${batBytes} bytes) are needed for this disk size and block size.`,
      );
    }
    const bat = await io.readZeroPadded(
      regions.bat.fileOffset,
      Math.min(regions.bat.length, roundUp(batBytes, PAGE)),
    );
    let nextFree = roundUp(size, ALIGN);
    for (const r of regions.entries) nextFree = Math.max(nextFree, r.fileOffset + r.length);
    if (h.logLength > 0) nextFree = Math.max(nextFree, h.logOffset + h.logLength);
    nextFree = Math.max(nextFree, validateBat(g, bat, size));

    const img = new VhdxImage({
      path,
      io,
      writable,
      creator,
      headers,
      logPending,
      regions,
      meta,
      g,
      bat,
      nextFree,
    });
    if (logState) {
      img.session = logState;
      img.replayedOnOpen = true;
    }
    return img;
  }

  /** Apply a log sequence to the file, extend it to LastFileOffset, fsync. The caller then clears LogGuid. */
  private static async replayToDisk(
    io: FileIo,
    ops: LogOp[],
    lastFileOffset: number,
  ): Promise<void> {
    for (const op of ops) {
      if (op.data) await io.writeAll(op.data, op.fileOffset);
      else if (op.zeroLength) {
        const z = Buffer.alloc(Math.min(op.zeroLength, 4 * MiB));
        for (let o = 0; o < op.zeroLength; o += z.length)
          await io.writeAll(
            z.subarray(0, Math.min(z.length, op.zeroLength - o)),
            op.fileOffset + o,
          );
      }
    }
    const want = roundUp(lastFileOffset, ALIGN);
    if (io.diskSize < want) await io.truncate(want);
    await io.sync();
    crashPoint('replay:after-apply');
  }

  /** Finish opening writable after a replay to disk: new FileWriteGuid, LogGuid cleared (DataWriteGuid kept: no user data changed). */
  async completeReplay(): Promise<void> {
    await this.updateHeaders({ fileWriteGuid: newGuid(), logGuid: ZERO_GUID });
    this.session.fwgDone = true;
  }

  // ---------------------------------------------------------------- info

  get header(): VhdxHeader {
    return this.headers.header;
  }

  get fileSize(): number {
    return this.io.size;
  }

  get info(): VhdxInfo {
    const m = this.meta;
    const h = this.headers.header;
    const info: VhdxInfo = {
      path: this.path,
      kind: m.hasParent ? 'differencing' : m.leaveBlocksAllocated ? 'fixed' : 'dynamic',
      virtualSize: m.virtualSize,
      blockSize: m.blockSize,
      logicalSectorSize: m.logicalSectorSize,
      physicalSectorSize: m.physicalSectorSize,
      virtualDiskId: m.virtualDiskId,
      fileWriteGuid: h.fileWriteGuid,
      dataWriteGuid: h.dataWriteGuid,
      logGuid: h.logGuid,
      logPending: this.logPending,
      headerSequence: Number(h.sequenceNumber),
      fileSize: this.io.size,
      allocatedBytes: 0,
    };
    if (this.creator !== undefined) info.creator = this.creator;
    if (m.parent) info.parent = { ...m.parent };
    const s = this.blockSummary();
    info.allocatedBytes = (s['fully-present'] + s['partially-present']) * m.blockSize;
    return info;
  }

  blockSummary(): BlockSummary {
    if (this.summary) return { ...this.summary };
    const s: BlockSummary = {
      'not-present': 0,
      undefined: 0,
      zero: 0,
      unmapped: 0,
      'fully-present': 0,
      'partially-present': 0,
      sectorBitmaps: 0,
    };
    const g = this.g;
    for (let blk = 0; blk < g.dataBlocks; blk++) {
      switch (entryState(this.bat, payloadIndex(g, blk))) {
        case PAYLOAD_NOT_PRESENT:
          s['not-present']++;
          break;
        case PAYLOAD_UNDEFINED:
          s.undefined++;
          break;
        case PAYLOAD_ZERO:
          s.zero++;
          break;
        case PAYLOAD_UNMAPPED:
        case PAYLOAD_UNMAPPED_V095:
          s.unmapped++;
          break;
        case PAYLOAD_FULLY_PRESENT:
          s['fully-present']++;
          break;
        case PAYLOAD_PARTIALLY_PRESENT:
          s['partially-present']++;
          break;
      }
    }
    if (g.hasParent)
      for (let c = 0; c < g.bitmapBlocks; c++)
        if (entryState(this.bat, bitmapIndex(g, c)) === SB_PRESENT) s.sectorBitmaps++;
    this.summary = s;
    return { ...s };
  }

  /** Raw BAT entry access for tools (check, tests). */
  batEntry(index: number): { state: number; offset: number } {
    return { state: entryState(this.bat, index), offset: entryOffset(this.bat, index) };
  }

  // ---------------------------------------------------------------- mapping

  /** Run `fn` after every earlier exclusive operation on this file has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private ensureOpen(): void {
    if (this.closed) throw invalid(`${this.path} is closed.`, { path: this.path });
  }

  private checkRange(offset: number, length: number): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.meta.virtualSize
    ) {
      throw invalid(
        `range ${offset}+${length} is outside the virtual disk of ${this.path} (${this.meta.virtualSize} bytes).`,
        { path: this.path, offset, length },
      );
    }
  }

  private async sbPage(pos: number): Promise<Buffer> {
    let p = this.sbPages.get(pos);
    if (p) {
      if (!this.sbDirty.has(pos)) {
        this.sbPages.delete(pos);
        this.sbPages.set(pos, p);
      }
      return p;
    }
    p = await this.io.readZeroPadded(pos, PAGE);
    this.sbPages.set(pos, p);
    if (this.sbPages.size > SB_CACHE_PAGES + this.sbDirty.size) {
      for (const k of this.sbPages.keys()) {
        if (this.sbPages.size <= SB_CACHE_PAGES + this.sbDirty.size) break;
        if (!this.sbDirty.has(k) && k !== pos) this.sbPages.delete(k);
      }
    }
    return p;
  }

  private sbOffsetFor(chunk: number): number {
    const idx = bitmapIndex(this.g, chunk);
    if (entryState(this.bat, idx) !== SB_PRESENT) {
      throw corrupt(
        `a partially present block in chunk ${chunk} has no sector bitmap (BAT entry ${idx} is not SB_BLOCK_PRESENT).`,
        { path: this.path },
      );
    }
    return entryOffset(this.bat, idx);
  }

  /**
   * Runs of present (1) / absent (0) sectors for `count` bits starting at `bit` of the sector
   * bitmap block at `sbOff`. Bit k is byte k>>3, bit k&7 (LSB first).
   */
  private async bitmapRuns(
    sbOff: number,
    bit: number,
    count: number,
  ): Promise<Array<[boolean, number]>> {
    const b0 = bit >>> 3;
    const b1 = (bit + count - 1) >>> 3;
    const p0 = Math.floor(b0 / PAGE);
    const p1 = Math.floor(b1 / PAGE);
    const pages: Buffer[] = [];
    for (let p = p0; p <= p1; p++) pages.push(await this.sbPage(sbOff + p * PAGE));
    const byteAt = (byte: number): number =>
      (pages[Math.floor(byte / PAGE) - p0] as Buffer)[byte % PAGE] as number;
    const out: Array<[boolean, number]> = [];
    const end = bit + count;
    let i = bit;
    let cur = ((byteAt(i >>> 3) >>> (i & 7)) & 1) === 1;
    let runStart = i;
    while (i < end) {
      if ((i & 7) === 0 && i + 8 <= end) {
        const v = byteAt(i >>> 3);
        if (v === (cur ? 0xff : 0)) {
          i += 8;
          continue;
        }
      }
      const b = ((byteAt(i >>> 3) >>> (i & 7)) & 1) === 1;
      if (b !== cur) {
        out.push([cur, i - runStart]);
        cur = b;
        runStart = i;
      }
      i++;
    }
    out.push([cur, end - runStart]);
    return out;
  }

  /**
   * Payload can be read with plain positional reads of this file at the offsets mapRange gives (read-only, and
   * no log replayed in memory over it).
   */
  get plainReads(): boolean {
    return !this.writable && !this.closed && this.io.plain;
  }

  /** Split [voff, voff+len) into data / zero / parent runs, coalesced. */
  async mapRange(voff: number, len: number): Promise<Run[]> {
    const g = this.g;
    const runs: Run[] = [];
    const end = voff + len;
    let pos = voff;
    while (pos < end) {
      const blk = Math.floor(pos / g.blockSize);
      const bStart = blk * g.blockSize;
      const segEnd = Math.min(end, bStart + blockLength(g, blk));
      const idx = payloadIndex(g, blk);
      const st = entryState(this.bat, idx);
      if (st === PAYLOAD_FULLY_PRESENT) {
        pushRun(runs, RUN_DATA, pos, segEnd - pos, entryOffset(this.bat, idx) + (pos - bStart));
      } else if (st === PAYLOAD_PARTIALLY_PRESENT) {
        const bOff = entryOffset(this.bat, idx);
        const lss = g.logicalSectorSize;
        const chunk = Math.floor(blk / g.chunkRatio);
        const sbOff = this.sbOffsetFor(chunk);
        const s0 = Math.floor((pos - bStart) / lss);
        const s1 = Math.ceil((segEnd - bStart) / lss);
        const firstBit = (blk % g.chunkRatio) * g.sectorsPerBlock;
        let s = s0;
        for (const [present, n] of await this.bitmapRuns(sbOff, firstBit + s0, s1 - s0)) {
          const a = Math.max(pos, bStart + s * lss);
          const b = Math.min(segEnd, bStart + (s + n) * lss);
          if (present) pushRun(runs, RUN_DATA, a, b - a, bOff + (a - bStart));
          else pushRun(runs, RUN_PARENT, a, b - a, 0);
          s += n;
        }
      } else if (st === PAYLOAD_NOT_PRESENT && g.hasParent) {
        pushRun(runs, RUN_PARENT, pos, segEnd - pos, 0);
      } else {
        pushRun(runs, RUN_ZERO, pos, segEnd - pos, 0);
      }
      pos = segEnd;
    }
    return runs;
  }

  /** Read `len` bytes of payload at file offset `foff`. Blocks were checked to lie inside the file at open. */
  async readData(buf: Buffer, off: number, len: number, foff: number): Promise<void> {
    const n = await this.io.readInto(buf, off, len, foff);
    if (n < len) {
      throw corrupt(
        `a payload block at file offset ${foff} runs past the end of the file (${this.io.size} bytes); the file was truncated while open.`,
        { path: this.path },
      );
    }
  }

  /** Resolve runs into `buf`; 'parent' runs go to `parent` (or zeros when there is none). */
  async readRuns(
    runs: Run[],
    buf: Buffer,
    bufOff: number,
    voff: number,
    parent?: (buf: Buffer, off: number, voff: number, len: number) => Promise<void>,
  ): Promise<void> {
    const pending: Array<Promise<void>> = [];
    for (const r of runs) {
      const d = bufOff + (r.voff - voff);
      if (r.kind === RUN_DATA) pending.push(this.readData(buf, d, r.len, r.foff));
      else if (r.kind === RUN_ZERO || !parent) buf.fill(0, d, d + r.len);
      else pending.push(parent(buf, d, r.voff, r.len));
      if (pending.length >= 16) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }

  async readInto(buf: Buffer, offset: number): Promise<void> {
    this.ensureOpen();
    this.checkRange(offset, buf.length);
    const go = async (): Promise<void> =>
      this.readRuns(await this.mapRange(offset, buf.length), buf, 0, offset);
    await (this.writable ? this.exclusive(go) : go());
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.checkRange(offset, length);
    const b = Buffer.allocUnsafe(length);
    await this.readInto(b, offset);
    return b;
  }

  /** Extents of [start, end): data (in this file), zero, parent (not present here). */
  async extentsIn(start: number, end: number): Promise<Extent[]> {
    this.ensureOpen();
    const out: Extent[] = [];
    const g = this.g;
    const add = (kind: Extent['kind'], offset: number, length: number): void => {
      if (length <= 0) return;
      const last = out[out.length - 1];
      if (last && last.kind === kind && last.offset + last.length === offset) last.length += length;
      else out.push({ offset, length, kind });
    };
    let pos = start;
    while (pos < end) {
      const blk = Math.floor(pos / g.blockSize);
      const bStart = blk * g.blockSize;
      const segEnd = Math.min(end, bStart + blockLength(g, blk));
      const st = entryState(this.bat, payloadIndex(g, blk));
      if (st === PAYLOAD_PARTIALLY_PRESENT) {
        for (const r of await this.mapRange(pos, segEnd - pos))
          add(
            r.kind === RUN_DATA ? 'data' : r.kind === RUN_ZERO ? 'zero' : 'parent',
            r.voff,
            r.len,
          );
      } else if (st === PAYLOAD_FULLY_PRESENT) add('data', pos, segEnd - pos);
      else if (st === PAYLOAD_NOT_PRESENT && g.hasParent) add('parent', pos, segEnd - pos);
      else add('zero', pos, segEnd - pos);
      pos = segEnd;
    }
    return out;
  }

  async extents(): Promise<Extent[]> {
    const go = (): Promise<Extent[]> => this.extentsIn(0, this.meta.virtualSize);
    return this.writable ? this.exclusive(go) : go();
  }

  // ---------------------------------------------------------------- writing

  private ensureWritable(): void {
    this.ensureOpen();
    if (this.dead)
      throw invalid(`${this.path} was abandoned after a failure; reopen it.`, { path: this.path });
    if (!this.writable)
      throw invalid(`${this.path} is open read-only; open it with { writable: true } to write.`, {
        path: this.path,
      });
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    return p.catch((e: unknown) => {
      if (isSimulatedCrash(e)) this.dead = true;
      throw e;
    });
  }

  /**
   * Two-header update [MS-VHDX 2.2.2.1]: fsync pending writes, write the non-current copy with seq+1, fsync, then the
   * other copy with seq+2, fsync. Whatever is torn, one valid header with the old or new content
   * remains current.
   */
  async updateHeaders(
    changes: Partial<Pick<VhdxHeader, 'fileWriteGuid' | 'dataWriteGuid' | 'logGuid'>>,
  ): Promise<void> {
    // Everything written before a header change is made durable first (e.g. applied log pages must
    // not be lost once the header stops pointing at their log entries).
    await this.io.syncIfDirty();
    const cur = this.headers.current;
    const other = (1 - cur) as 0 | 1;
    const base = { ...this.headers.header, ...changes };
    const h1: VhdxHeader = { ...base, sequenceNumber: this.headers.header.sequenceNumber + 1n };
    await this.io.writeAll(serializeHeader(h1), HEADER_OFFSETS[other]);
    await this.io.sync();
    crashPoint('header:after-first-copy');
    const h2: VhdxHeader = { ...base, sequenceNumber: h1.sequenceNumber + 1n };
    await this.io.writeAll(serializeHeader(h2), HEADER_OFFSETS[cur]);
    await this.io.sync();
    const slot = { ok: true as const, header: h2, raw: serializeHeader(h2) };
    const slot1 = { ok: true as const, header: h1, raw: serializeHeader(h1) };
    this.headers = {
      slots: cur === 0 ? [slot, slot1] : [slot1, slot],
      current: cur,
      header: h2,
    };
  }

  /** First modification of a session: new FileWriteGuid and DataWriteGuid, and a fresh LogGuid for our log entries. */
  private async startSession(): Promise<void> {
    if (this.session.dwgDone) return;
    if (this.header.logLength < ALIGN)
      throw unsupported('has no usable log region, so it cannot be written safely.', {
        path: this.path,
      });
    const logGuid = this.header.logGuid === ZERO_GUID ? { logGuid: newGuid() } : {};
    await this.updateHeaders(
      this.session.fwgDone
        ? { dataWriteGuid: newGuid(), ...logGuid }
        : { fileWriteGuid: newGuid(), dataWriteGuid: newGuid(), ...logGuid },
    );
    this.session.logPos = 0;
    this.session.fwgDone = true;
    this.session.dwgDone = true;
  }

  private alloc(bytes: number): number {
    const off = this.nextFree;
    this.nextFree += roundUp(bytes, ALIGN);
    return off;
  }

  private markBat(index: number): void {
    this.summary = undefined;
    this.batDirty.add(Math.floor((index * 8) / PAGE));
  }

  /** Sector bitmap of `chunk`, allocated if missing, copied first when in atomic mode and pre-existing. */
  private async writableSb(chunk: number): Promise<number> {
    const idx = bitmapIndex(this.g, chunk);
    const st = entryState(this.bat, idx);
    if (st !== SB_PRESENT) {
      const off = this.alloc(SECTOR_BITMAP_BLOCK_SIZE);
      setEntry(this.bat, idx, SB_PRESENT, off);
      this.markBat(idx);
      return off;
    }
    const old = entryOffset(this.bat, idx);
    if (this.txn && old < this.txn.boundary) {
      const off = this.alloc(SECTOR_BITMAP_BLOCK_SIZE);
      const data = await this.io.readZeroPadded(old, SECTOR_BITMAP_BLOCK_SIZE);
      for (let p = 0; p < SECTOR_BITMAP_BLOCK_SIZE; p += PAGE) {
        const cached = this.sbPages.get(old + p);
        if (cached) cached.copy(data, p);
      }
      await this.io.writeAll(data, off);
      setEntry(this.bat, idx, SB_PRESENT, off);
      this.markBat(idx);
      return off;
    }
    return old;
  }

  private async setBits(blk: number, firstSector: number, count: number): Promise<void> {
    const g = this.g;
    const sbOff = await this.writableSb(Math.floor(blk / g.chunkRatio));
    let bit = (blk % g.chunkRatio) * g.sectorsPerBlock + firstSector;
    const end = bit + count;
    while (bit < end) {
      const byte = bit >>> 3;
      const pagePos = sbOff + Math.floor(byte / PAGE) * PAGE;
      const page = await this.sbPage(pagePos);
      const pageEndBit = (Math.floor(byte / PAGE) + 1) * PAGE * 8;
      const stop = Math.min(end, pageEndBit);
      while (bit < stop) {
        const by = (bit >>> 3) % PAGE;
        if ((bit & 7) === 0 && bit + 8 <= stop) {
          page[by] = 0xff;
          bit += 8;
        } else {
          page[by] = (page[by] as number) | (1 << (bit & 7));
          bit++;
        }
      }
      this.sbDirty.add(pagePos);
    }
  }

  /** In atomic mode, move a pre-existing block to fresh space (copying its content) before changing it. */
  private async cowBlock(
    blk: number,
    idx: number,
    state: number,
    old: number,
    skipCopy: boolean,
  ): Promise<number> {
    const len = blockLength(this.g, blk);
    const off = this.alloc(this.g.blockSize);
    if (!skipCopy) {
      const chunk = Math.min(len, 32 * MiB);
      const b = Buffer.allocUnsafe(chunk);
      for (let o = 0; o < len; o += chunk) {
        const n = Math.min(chunk, len - o);
        await this.readData(b, 0, n, old + o);
        await this.io.writeAll(b.subarray(0, n), off + o);
      }
    }
    setEntry(this.bat, idx, state, off);
    this.markBat(idx);
    return off;
  }

  private async writeSegment(blk: number, within: number, src: Buffer): Promise<void> {
    const g = this.g;
    const idx = payloadIndex(g, blk);
    let st = entryState(this.bat, idx);
    let off = entryOffset(this.bat, idx);
    const full = within === 0 && src.length === blockLength(g, blk);
    const lss = g.logicalSectorSize;
    if (
      (st === PAYLOAD_FULLY_PRESENT || st === PAYLOAD_PARTIALLY_PRESENT) &&
      this.txn &&
      off < this.txn.boundary
    ) {
      off = await this.cowBlock(blk, idx, st, off, full);
    }
    if (st === PAYLOAD_FULLY_PRESENT) {
      await this.io.writePayload(src, off + within);
    } else if (st === PAYLOAD_PARTIALLY_PRESENT) {
      await this.io.writePayload(src, off + within);
      if (full) {
        setEntry(this.bat, idx, PAYLOAD_FULLY_PRESENT, off);
        this.markBat(idx);
      } else await this.setBits(blk, within / lss, src.length / lss);
    } else {
      off = this.alloc(g.blockSize);
      if (g.hasParent && st === PAYLOAD_NOT_PRESENT && !full) {
        st = PAYLOAD_PARTIALLY_PRESENT;
        await this.setBits(blk, within / lss, src.length / lss);
      } else st = PAYLOAD_FULLY_PRESENT;
      setEntry(this.bat, idx, st, off);
      this.markBat(idx);
      await this.io.writePayload(src, off + within);
    }
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.ensureWritable();
    this.checkRange(offset, data.length);
    const lss = this.g.logicalSectorSize;
    if (offset % lss !== 0 || data.length % lss !== 0) {
      throw invalid(
        `writes to ${this.path} must start and end on ${lss}-byte sector boundaries (got ${offset}+${data.length}).`,
        { path: this.path },
      );
    }
    if (data.length === 0) return;
    // Unbuffered payload writes (directIo) are issued under the lock and awaited after it, so the next write call
    // can map its blocks while this one's data is still on its way to the device (FileIo.collect).
    const issued: Array<Promise<void>> = [];
    await this.exclusive(async () => {
      this.io.collect = issued;
      try {
        await this.guard(this.writeImpl(offset, data));
      } finally {
        this.io.collect = null;
      }
    });
    await Promise.all(issued);
  }

  private async writeImpl(offset: number, data: Buffer): Promise<void> {
    if (!this.txn) await this.startSession();
    this.dataWritten = true;
    const g = this.g;
    const end = offset + data.length;
    let pos = offset;
    while (pos < end) {
      const blk = Math.floor(pos / g.blockSize);
      const bStart = blk * g.blockSize;
      const segEnd = Math.min(end, bStart + blockLength(g, blk));
      await this.writeSegment(blk, pos - bStart, data.subarray(pos - offset, segEnd - offset));
      pos = segEnd;
    }
  }

  /**
   * Make [offset, offset+length) read as zeros. Whole blocks become PAYLOAD_ZERO (no data written)
   * unless the file is fixed (LeaveBlockAllocated), where zeros are written in place.
   */
  async writeZeroes(offset: number, length: number): Promise<void> {
    this.ensureWritable();
    this.checkRange(offset, length);
    const lss = this.g.logicalSectorSize;
    if (offset % lss !== 0 || length % lss !== 0)
      throw invalid(`zeroing ${this.path} needs sector-aligned ranges.`);
    if (length === 0) return;
    await this.exclusive(() =>
      this.guard(
        (async () => {
          if (!this.txn) await this.startSession();
          this.dataWritten = true;
          const g = this.g;
          const end = offset + length;
          let pos = offset;
          let zero: Buffer | undefined;
          while (pos < end) {
            const blk = Math.floor(pos / g.blockSize);
            const bStart = blk * g.blockSize;
            const bLen = blockLength(g, blk);
            const segEnd = Math.min(end, bStart + bLen);
            const idx = payloadIndex(g, blk);
            const st = entryState(this.bat, idx);
            const allocated = st === PAYLOAD_FULLY_PRESENT || st === PAYLOAD_PARTIALLY_PRESENT;
            const readsZero = !allocated && !(g.hasParent && st === PAYLOAD_NOT_PRESENT);
            if (pos === bStart && segEnd === bStart + bLen && !this.meta.leaveBlocksAllocated) {
              if (st !== PAYLOAD_ZERO) {
                setEntry(this.bat, idx, PAYLOAD_ZERO, 0);
                this.markBat(idx);
              }
            } else if (!readsZero) {
              for (let p = pos; p < segEnd;) {
                const n = Math.min(segEnd - p, 8 * MiB);
                zero ??= Buffer.alloc(Math.min(8 * MiB, g.blockSize));
                await this.writeSegment(blk, p - bStart, zero.subarray(0, n));
                p += n;
              }
            }
            pos = segEnd;
          }
        })(),
      ),
    );
  }

  /** Extend the file so every allocated block lies inside it. */
  private async extendToNextFree(): Promise<void> {
    if (this.io.diskSize < this.nextFree) await this.io.truncate(this.nextFree);
  }

  private dirtyPages(): Array<{ fileOffset: number; data: Buffer }> {
    const out: Array<{ fileOffset: number; data: Buffer }> = [];
    const batOff = this.regions.bat.fileOffset;
    for (const p of [...this.batDirty].sort((a, b) => a - b)) {
      out.push({
        fileOffset: batOff + p * PAGE,
        data: Buffer.from(this.bat.subarray(p * PAGE, p * PAGE + PAGE)),
      });
    }
    for (const pos of [...this.sbDirty].sort((a, b) => a - b))
      out.push({ fileOffset: pos, data: Buffer.from(this.sbPages.get(pos) as Buffer) });
    return out;
  }

  /**
   * Write one log entry at the session's log position, fsync, then apply its pages in place.
   * Entries never wrap: when the next one would not fit, the log is restarted under a new LogGuid
   * (every earlier entry is already applied), so no reader can mistake an old entry for a new one.
   */
  private async logAndApply(writes: Array<{ fileOffset: number; data: Buffer }>): Promise<void> {
    const size = logEntrySize(writes.length);
    if (this.header.logGuid === ZERO_GUID || this.session.logPos + size > this.header.logLength) {
      await this.updateHeaders({ logGuid: newGuid() });
      this.session.logPos = 0;
    }
    const h = this.header;
    const entry = buildLogEntry({
      sequence: this.session.logSeq,
      logGuid: this.header.logGuid,
      tail: this.session.logPos,
      flushedFileOffset: this.io.diskSize,
      lastFileOffset: this.io.diskSize,
      writes,
    });
    await this.io.writeAll(entry, h.logOffset + this.session.logPos);
    await this.io.sync();
    crashPoint('flush:after-log-write');
    this.session.logPos += size;
    this.session.logSeq++;
    for (const w of writes) await this.io.writeAll(w.data, w.fileOffset);
    crashPoint('flush:after-apply');
  }

  /** Largest number of 4 KiB pages per log entry: at most half the log, so an entry never overwrites the previous one. */
  private pagesPerEntry(): number {
    const half = Math.floor(this.header.logLength / 2);
    let n = Math.floor(half / LOG_SECTOR) - 1;
    while (n > 1 && logEntrySize(n) > half) n--;
    return Math.max(1, n);
  }

  async flush(): Promise<void> {
    this.ensureWritable();
    await this.exclusive(() => this.guard(this.flushImpl()));
  }

  private async flushImpl(): Promise<void> {
    if (this.txn) {
      await this.io.sync();
      return;
    }
    const pages = this.dirtyPages();
    if (pages.length === 0) {
      if (this.dataWritten) await this.io.sync();
      this.dataWritten = false;
      return;
    }
    await this.extendToNextFree();
    await this.io.syncIfDirty(); // data and new blocks are durable before any metadata points at them
    crashPoint('flush:after-data-sync');
    const per = this.pagesPerEntry();
    for (let i = 0; i < pages.length; i += per) await this.logAndApply(pages.slice(i, i + per));
    // No fsync needed here: the log entries are durable, so a crash now is repaired by replay. The
    // applied pages are fsynced before the log is reset or LogGuid cleared (updateHeaders does that).
    this.batDirty.clear();
    this.sbDirty.clear();
    this.dataWritten = false;
  }

  /**
   * Atomic mode (merge): from now on no block, sector bitmap or BAT page that exists in the file is
   * modified. Writes to allocated blocks first copy the block to fresh space at the end of the file;
   * bitmaps likewise; the BAT changes only in memory. `commitAtomic` then publishes everything with
   * one atomic step. A crash before that step leaves the file exactly as it was (plus unreferenced
   * space at the end); a crash after it leaves the new content, completed by log replay.
   */
  async beginAtomic(dataWriteGuid: string): Promise<void> {
    this.ensureWritable();
    await this.flush();
    await this.guard(this.updateHeaders({ fileWriteGuid: newGuid() }));
    this.txn = { boundary: this.nextFree, dataWriteGuid };
    this.session.fwgDone = true;
  }

  get inAtomic(): boolean {
    return this.txn !== undefined;
  }

  /**
   * Publish an atomic transaction:
   * 1. write dirty bitmap pages (all in fresh space) and a complete new copy of the BAT in fresh
   *    space, extend the file, fsync;
   * 2. header update: new DataWriteGuid (the one given to beginAtomic) and a new LogGuid;
   * 3. one log entry that rewrites both region tables to point at the new BAT; fsync (the commit point);
   * 4. apply it in place, fsync; header update clearing LogGuid.
   * Returns the new BAT offset (recorded by merge to recognise a finished commit).
   */
  async commitAtomic(): Promise<number> {
    this.ensureWritable();
    const txn = this.txn;
    if (!txn) throw invalid('no atomic transaction is open.');
    return this.guard(
      (async () => {
        for (const pos of this.sbDirty)
          await this.io.writeAll(this.sbPages.get(pos) as Buffer, pos);
        const batLen = this.regions.bat.length;
        const newBat = this.alloc(batLen);
        await this.extendToNextFree();
        await this.io.writeAll(this.bat, newBat);
        await this.io.sync();
        crashPoint('commit:after-bat-copy');
        const entries = this.regions.entries.map((e) =>
          e === this.regions.bat ? { ...e, fileOffset: newBat } : { ...e },
        );
        const table = serializeRegionTable(entries);
        await this.updateHeaders({ dataWriteGuid: txn.dataWriteGuid, logGuid: newGuid() });
        crashPoint('commit:after-header');
        this.session.logPos = 0;
        const writes: Array<{ fileOffset: number; data: Buffer }> = [];
        for (const base of [REGION1_OFFSET, REGION2_OFFSET]) {
          for (let p = 0; p < REGION_TABLE_SIZE; p += PAGE)
            writes.push({ fileOffset: base + p, data: table.subarray(p, p + PAGE) });
        }
        await this.logAndApply(writes);
        crashPoint('commit:after-apply');
        const parsed = parseRegionTable(table);
        if (!parsed.ok)
          throw corrupt(`internal error: rebuilt region table is invalid (${parsed.reason}).`);
        this.regions = parsed.table;
        this.batDirty.clear();
        this.sbDirty.clear();
        this.txn = undefined;
        this.dataWritten = false;
        this.session.dwgDone = true;
        await this.updateHeaders({ logGuid: ZERO_GUID });
        return newBat;
      })(),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.exclusive(() => this.closeImpl());
  }

  private async closeImpl(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.writable && !this.dead) {
        if (this.txn) {
          // An uncommitted atomic transaction is dropped: nothing that exists was modified.
          this.txn = undefined;
          this.batDirty.clear();
          this.sbDirty.clear();
        } else {
          await this.guard(this.flushImpl());
        }
        if (this.header.logGuid !== ZERO_GUID) {
          await this.guard(
            this.updateHeaders(
              this.session.fwgDone
                ? { logGuid: ZERO_GUID }
                : { logGuid: ZERO_GUID, fileWriteGuid: newGuid() },
            ),
          );
        }
      }
    } finally {
      this.closed = true;
      await this.io.close();
    }
  }

  /** Repair helper for `check --repair` (call refreshHeaders first): write `data` at `pos` and fsync. */
  async repairWrite(pos: number, data: Buffer): Promise<void> {
    this.ensureWritable();
    await this.io.writeAll(data, pos);
    await this.io.sync();
  }

  /** Rewrite both headers from the current one with a new FileWriteGuid (repairs a bad copy). */
  async refreshHeaders(): Promise<void> {
    this.ensureWritable();
    await this.updateHeaders({ fileWriteGuid: newGuid() });
    this.session.fwgDone = true;
  }

  /** Close the handle without writing anything (after a simulated crash, or to drop a failed session). */
  async abandon(): Promise<void> {
    this.dead = true;
    if (this.closed) return;
    this.closed = true;
    await this.io.close();
  }
}
