// Structural validation of a VHDX file (headers, log, regions, metadata, BAT, chain) with safe repairs and a readable report.
import { open as fsOpen } from 'node:fs/promises';
import { batGeometry, blockLength, entryOffset, entryReserved, type BatGeometry } from './bat';
import { openImages } from './chain';
import { HvbcError, ioError } from './errors';
import { VhdxImage } from './file';
import { logAlreadyApplied } from './open-checks';
import { ZERO_GUID } from './guid';
import { headerProblems, HEADER_OFFSETS, parseHeader, type VhdxHeader } from './header';
import { FileIo } from './io';
import {
  ALIGN,
  FILE_ID_SIGNATURE,
  HEADER_SECTION_SIZE,
  MiB,
  PAYLOAD_FULLY_PRESENT,
  PAYLOAD_NOT_PRESENT,
  PAYLOAD_PARTIALLY_PRESENT,
  PAYLOAD_UNMAPPED_V095,
  PAYLOAD_ZERO,
  REGION1_OFFSET,
  REGION2_OFFSET,
  REGION_TABLE_SIZE,
  SB_NOT_PRESENT,
  SB_PRESENT,
  SECTOR_BITMAP_BLOCK_SIZE,
} from './layout';
import { findActiveSequence } from './log';
import {
  decodeMetadata,
  parseMetadataTable,
  systemItemRanges,
  type VhdxMetadata,
} from './metadata';
import { assertNoUnknownRequired, parseRegionTable, type RegionTable } from './region';
import type { CheckIssue, CheckReport } from './types';

const MAX_PER_CODE = 10;

class Issues {
  readonly list: CheckIssue[] = [];
  private counts = new Map<string, number>();

  add(severity: 'error' | 'warning', code: string, message: string, repairable = false): void {
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n <= MAX_PER_CODE) this.list.push({ severity, code, message, repairable });
  }

  /** Append "... and N more" lines for codes that hit the per-code cap. */
  finish(): void {
    for (const [code, n] of this.counts) {
      if (n > MAX_PER_CODE) {
        const first = this.list.find((i) => i.code === code) as CheckIssue;
        this.list.push({
          severity: first.severity,
          code,
          message: `... and ${n - MAX_PER_CODE} more ${code} issue(s) not listed.`,
          repairable: first.repairable,
        });
      }
    }
  }

  has(code: string): boolean {
    return this.counts.has(code);
  }
}

interface Range {
  start: number;
  end: number;
  what: string;
}

/** Check BAT entries: states, reserved bits, offsets inside the file, overlaps with regions, log and each other. */
function checkBat(
  g: BatGeometry,
  bat: Buffer,
  meta: VhdxMetadata,
  fileSize: number,
  fixed: Range[],
  issues: Issues,
): void {
  const used: Range[] = [];
  let inChunk = 0;
  let blk = 0;
  let chunkPartial = false;
  let notFull = 0;
  for (let i = 0; i < g.totalEntries; i++) {
    const st = (bat[i * 8] as number) & 7;
    const off = entryOffset(bat, i);
    if (entryReserved(bat, i) !== 0)
      issues.add('warning', 'BAT_RESERVED_BITS', `BAT entry ${i} has reserved bits 3-19 set.`);
    if (inChunk === g.chunkRatio) {
      inChunk = 0;
      const chunk = Math.floor(i / (g.chunkRatio + 1));
      if (!g.hasParent) {
        if (st !== SB_NOT_PRESENT)
          issues.add(
            'warning',
            'SB_STATE_INVALID',
            `sector bitmap entry ${i} (chunk ${chunk}) has state ${st}, but a disk without a parent must have SB_BLOCK_NOT_PRESENT (0).`,
          );
      } else if (st === SB_PRESENT) {
        if (off < HEADER_SECTION_SIZE)
          issues.add(
            'error',
            'BAT_OFFSET_INVALID',
            `sector bitmap entry ${i} (chunk ${chunk}) points into the header section (${off}).`,
          );
        else if (off + SECTOR_BITMAP_BLOCK_SIZE > fileSize)
          issues.add(
            'error',
            'BAT_PAST_EOF',
            `sector bitmap entry ${i} (chunk ${chunk}) points to ${off}, past the end of the file (${fileSize} bytes).`,
          );
        used.push({
          start: off,
          end: off + SECTOR_BITMAP_BLOCK_SIZE,
          what: `sector bitmap of chunk ${chunk}`,
        });
      } else if (st !== SB_NOT_PRESENT) {
        issues.add(
          'error',
          'SB_STATE_INVALID',
          `sector bitmap entry ${i} (chunk ${chunk}) has the reserved state ${st}.`,
        );
      } else if (chunkPartial) {
        issues.add(
          'error',
          'SB_MISSING',
          `chunk ${chunk} has partially present blocks but its sector bitmap (BAT entry ${i}) is not present.`,
        );
      }
      chunkPartial = false;
      continue;
    }
    inChunk++;
    if (blk >= g.dataBlocks) {
      if (st !== PAYLOAD_NOT_PRESENT)
        issues.add(
          'warning',
          'BAT_BEYOND_DISK',
          `BAT entry ${i} describes block ${blk}, beyond the end of the virtual disk, but is not NOT_PRESENT.`,
        );
      blk++;
      continue;
    }
    if (st === 4 || st > 7)
      issues.add(
        'error',
        'BAT_STATE_INVALID',
        `BAT entry ${i} (block ${blk}) has the reserved state ${st}.`,
      );
    if (st === PAYLOAD_UNMAPPED_V095)
      issues.add(
        'warning',
        'BAT_STATE_LEGACY',
        `BAT entry ${i} (block ${blk}) uses state 5 (UNMAPPED in the v0.95 spec; 3 today).`,
      );
    if (st === PAYLOAD_PARTIALLY_PRESENT && !g.hasParent)
      issues.add(
        'error',
        'BAT_STATE_INVALID',
        `BAT entry ${i} (block ${blk}) is PARTIALLY_PRESENT in a disk without a parent.`,
      );
    if (st === PAYLOAD_PARTIALLY_PRESENT) chunkPartial = true;
    if (st !== PAYLOAD_FULLY_PRESENT) notFull++;
    if (st === PAYLOAD_FULLY_PRESENT || st === PAYLOAD_PARTIALLY_PRESENT) {
      const len = blockLength(g, blk);
      if (off < HEADER_SECTION_SIZE)
        issues.add(
          'error',
          'BAT_OFFSET_INVALID',
          `BAT entry ${i} (block ${blk}) points into the header section (${off}).`,
        );
      else if (off >= fileSize)
        issues.add(
          'error',
          'BAT_PAST_EOF',
          `BAT entry ${i} (block ${blk}) starts at ${off}, at or past the end of the file (${fileSize} bytes): the file is probably truncated.`,
        );
      else if (off + len > fileSize)
        issues.add(
          'error',
          'BAT_PAST_EOF',
          `BAT entry ${i} (block ${blk}) ends at ${off + len}, past the end of the file (${fileSize} bytes): the file is probably truncated.`,
        );
      used.push({ start: off, end: off + len, what: `block ${blk}` });
    } else if (off !== 0 && (st === PAYLOAD_ZERO || st === PAYLOAD_NOT_PRESENT)) {
      issues.add(
        'warning',
        'BAT_OFFSET_IGNORED',
        `BAT entry ${i} (block ${blk}) is ${st === PAYLOAD_ZERO ? 'ZERO' : 'NOT_PRESENT'} but has a non-zero file offset ${off} (Hyper-V rejects this).`,
      );
    }
    blk++;
  }
  if (g.hasParent && chunkPartial)
    issues.add(
      'error',
      'SB_MISSING',
      'the last chunk has partially present blocks but no sector bitmap entry.',
    );
  if (meta.leaveBlocksAllocated && !meta.hasParent && notFull > 0) {
    issues.add(
      'warning',
      'FIXED_NOT_ALLOCATED',
      `the disk is marked fixed (LeaveBlockAllocated) but ${notFull} payload block(s) are not FULLY_PRESENT (qemu's subformat=fixed does this).`,
    );
  }
  const all = [...fixed, ...used].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < all.length; i++) {
    const p = all[i - 1] as Range;
    const c = all[i] as Range;
    if (c.start < p.end) {
      const code = fixed.includes(p) || fixed.includes(c) ? 'BAT_OVERLAPS_REGION' : 'BAT_OVERLAP';
      issues.add(
        'error',
        code,
        `${p.what} (${p.start}..${p.end}) overlaps ${c.what} (${c.start}..${c.end}).`,
      );
    }
  }
}

async function inspect(path: string, issues: Issues): Promise<void> {
  let fh;
  try {
    fh = await fsOpen(path, 'r');
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    const size = (await fh.stat()).size;
    const io = new FileIo(fh, path, size);
    const head = await io.readZeroPadded(0, REGION1_OFFSET + 2 * REGION_TABLE_SIZE);
    if (head.toString('latin1', 0, 8) !== FILE_ID_SIGNATURE) {
      issues.add(
        'error',
        'NOT_VHDX',
        'the file does not start with the "vhdxfile" signature; it is not a VHDX file.',
      );
      return;
    }
    if (size < HEADER_SECTION_SIZE) {
      issues.add(
        'error',
        'TRUNCATED',
        `the file is ${size} bytes, shorter than the 1 MiB header section.`,
      );
      return;
    }
    const slots = HEADER_OFFSETS.map((o) => parseHeader(head.subarray(o, o + 4096)));
    const [a, b] = slots as [ReturnType<typeof parseHeader>, ReturnType<typeof parseHeader>];
    let cur: VhdxHeader | undefined;
    if (a.ok && b.ok) {
      if (a.header.sequenceNumber === b.header.sequenceNumber && !a.raw.equals(b.raw)) {
        issues.add(
          'error',
          'HEADER_AMBIGUOUS',
          `both headers have sequence number ${a.header.sequenceNumber} but different contents; neither can be chosen.`,
        );
        return;
      }
      cur = a.header.sequenceNumber >= b.header.sequenceNumber ? a.header : b.header;
    } else if (a.ok || b.ok) {
      const good = a.ok ? a : b;
      const bad = a.ok ? b : a;
      cur = good.ok ? good.header : undefined;
      issues.add(
        'error',
        'HEADER_INVALID',
        `header ${a.ok ? 2 : 1} is invalid (${bad.ok ? '' : bad.reason}); the other copy is valid and current, so it can be rewritten from it.`,
        true,
      );
    } else {
      issues.add(
        'error',
        'HEADER_INVALID',
        `both headers are invalid (header 1: ${a.ok ? '' : a.reason}; header 2: ${b.ok ? '' : b.reason}); the file cannot be opened.`,
      );
      return;
    }
    if (!cur) return;
    for (const p of headerProblems(cur))
      issues.add('error', 'HEADER_FIELDS', `current header: ${p}.`);
    if (issues.has('HEADER_FIELDS')) return;

    const fixedRanges: Range[] = [
      { start: 0, end: HEADER_SECTION_SIZE, what: 'the header section' },
    ];
    if (cur.logLength > 0) {
      fixedRanges.push({
        start: cur.logOffset,
        end: cur.logOffset + cur.logLength,
        what: 'the log',
      });
      if (cur.logOffset + cur.logLength > size)
        issues.add(
          'error',
          'LOG_PAST_EOF',
          `the log (${cur.logOffset}+${cur.logLength}) runs past the end of the file (${size} bytes).`,
        );
    }
    if (
      cur.logGuid !== ZERO_GUID &&
      cur.logLength > 0 &&
      cur.logOffset + cur.logLength <= size &&
      cur.logLength <= 64 * MiB
    ) {
      const seq = findActiveSequence(
        await io.readZeroPadded(cur.logOffset, cur.logLength),
        cur.logGuid,
      );
      if (seq) {
        if (seq.flushedFileOffset > size) {
          issues.add(
            'error',
            'LOG_TRUNCATED',
            `the log says the file was at least ${seq.flushedFileOffset} bytes long but it is ${size}: the file was truncated.`,
          );
        } else if (await logAlreadyApplied(io, seq.ops, seq.lastFileOffset)) {
          issues.add(
            'warning',
            'LOG_NOT_CLEARED',
            `the log holds ${seq.entries.length} entr${seq.entries.length === 1 ? 'y' : 'ies'} that are already applied, but LogGuid was not cleared (the writer did not close cleanly). Readers that cannot tell (qemu) will ask for a replay; --repair clears it.`,
            true,
          );
        } else {
          issues.add(
            'error',
            'LOG_PENDING',
            `the log holds ${seq.entries.length} entr${seq.entries.length === 1 ? 'y' : 'ies'} (${seq.ops.length} sector writes) that have not been replayed; readers must replay it first.`,
            true,
          );
          io.setOverlay(seq.ops, Math.ceil(seq.lastFileOffset / ALIGN) * ALIGN);
        }
      }
    }
    const rt = await io.readZeroPadded(REGION1_OFFSET, 2 * REGION_TABLE_SIZE);
    const r1 = parseRegionTable(rt.subarray(0, REGION_TABLE_SIZE));
    const r2 = parseRegionTable(rt.subarray(REGION_TABLE_SIZE));
    let regions: RegionTable;
    if (r1.ok && r2.ok) {
      regions = r1.table;
      if (!r1.raw.equals(r2.raw))
        issues.add(
          'warning',
          'REGION_TABLES_DIFFER',
          'region tables 1 and 2 differ; table 2 can be rewritten from table 1.',
          true,
        );
    } else if (r1.ok) {
      regions = r1.table;
      issues.add(
        'error',
        'REGION_TABLE_INVALID',
        `region table 2 is invalid (${r2.ok ? '' : r2.reason}); it can be rewritten from table 1.`,
        true,
      );
    } else if (r2.ok) {
      regions = r2.table;
      issues.add(
        'error',
        'REGION_TABLE_INVALID',
        `region table 1 is invalid (${r1.reason}); qemu and libvhdi refuse such files. It can be rewritten from table 2.`,
        true,
      );
    } else {
      issues.add(
        'error',
        'REGION_TABLE_INVALID',
        `both region tables are invalid (table 1: ${r1.reason}; table 2: ${r2.reason}).`,
      );
      return;
    }
    try {
      assertNoUnknownRequired(regions);
    } catch (e) {
      issues.add('error', 'REGION_UNSUPPORTED', (e as Error).message);
    }
    for (const r of regions.entries) {
      if (r.fileOffset + r.length > io.size)
        issues.add(
          'error',
          'REGION_PAST_EOF',
          `region ${r.guid} (${r.fileOffset}+${r.length}) runs past the end of the file (${io.size} bytes).`,
        );
      if (
        cur.logLength > 0 &&
        r.fileOffset < cur.logOffset + cur.logLength &&
        cur.logOffset < r.fileOffset + r.length
      ) {
        issues.add('error', 'REGION_OVERLAPS_LOG', `region ${r.guid} overlaps the log.`);
      }
      fixedRanges.push({
        start: r.fileOffset,
        end: r.fileOffset + r.length,
        what:
          r === regions.bat
            ? 'the BAT region'
            : r === regions.metadata
              ? 'the metadata region'
              : `region ${r.guid}`,
      });
    }
    if (issues.has('REGION_PAST_EOF')) return;

    let meta: VhdxMetadata;
    try {
      const md = regions.metadata;
      const entries = parseMetadataTable(
        await io.readZeroPadded(md.fileOffset, Math.min(md.length, 64 * 1024)),
        md.length,
      );
      const items = new Map<string, Buffer>();
      for (const r of systemItemRanges(entries))
        items.set(r.itemId, await io.readZeroPadded(md.fileOffset + r.offset, r.length));
      meta = decodeMetadata(items);
      const locatorEntry = entries.find(
        (e) => e.itemId === 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c' && !e.isUser,
      );
      if (locatorEntry && !meta.hasParent)
        issues.add(
          'warning',
          'METADATA_LOCATOR_UNUSED',
          'a parent locator is present but HasParent is not set; it is ignored.',
        );
      for (const e of entries) {
        if (
          !e.isUser &&
          e.itemId !== 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c' &&
          items.has(e.itemId) &&
          !e.isRequired
        ) {
          issues.add(
            'warning',
            'METADATA_FLAGS',
            `system metadata item ${e.itemId} is not flagged IsRequired.`,
          );
        }
      }
    } catch (e) {
      issues.add(
        'error',
        e instanceof HvbcError && e.code === 'VHDX_UNSUPPORTED'
          ? 'METADATA_UNSUPPORTED'
          : 'METADATA_INVALID',
        (e as Error).message,
      );
      return;
    }
    const g = batGeometry(meta.virtualSize, meta.blockSize, meta.logicalSectorSize, meta.hasParent);
    if (g.totalEntries * 8 > regions.bat.length) {
      issues.add(
        'error',
        'BAT_TOO_SMALL',
        `the BAT region is ${regions.bat.length} bytes but ${g.totalEntries} entries (${g.totalEntries * 8} bytes) are needed.`,
      );
      return;
    }
    const bat = await io.readZeroPadded(regions.bat.fileOffset, g.totalEntries * 8);
    checkBat(g, bat, meta, io.size, fixedRanges, issues);
  } finally {
    await fh.close();
  }
}

async function chainIssues(path: string, issues: Issues): Promise<void> {
  try {
    const imgs = await openImages(path, { replayLog: 'in-memory' });
    await Promise.all(imgs.map((i) => i.close()));
  } catch (e) {
    if (
      e instanceof HvbcError &&
      (e.code === 'PARENT_MISSING' || e.code === 'CHAIN_BROKEN' || e.code === 'CHAIN_CYCLE')
    ) {
      issues.add('warning', e.code, e.message);
    }
  }
}

async function runCheck(path: string): Promise<CheckReport> {
  const issues = new Issues();
  await inspect(path, issues);
  let info;
  try {
    const img = await VhdxImage.open(path, { replayLog: 'in-memory' });
    info = img.info;
    await img.close();
    if (img.meta.hasParent) await chainIssues(path, issues);
  } catch (e) {
    if (e instanceof HvbcError && e.code === 'NOT_FOUND') throw e;
    if (!issues.list.some((i) => i.severity === 'error')) {
      issues.add(
        'error',
        e instanceof HvbcError ? e.code : 'OPEN_FAILED',
        e instanceof Error ? e.message : String(e),
      );
    }
  }
  issues.finish();
  const report: CheckReport = {
    path,
    ok: !issues.list.some((i) => i.severity === 'error'),
    issues: issues.list,
  };
  if (info) report.info = info;
  return report;
}

/**
 * Safe repairs, in one writable session: log replay (on open), both headers rewritten from the
 * current one (fixes a bad copy; new FileWriteGuid), a bad region table rewritten from the good
 * one. Nothing that needs a guess is touched.
 */
async function repair(path: string, before: CheckReport): Promise<string | undefined> {
  let img: VhdxImage;
  try {
    img = await VhdxImage.open(path, { writable: true });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  try {
    if (before.issues.some((i) => i.code === 'HEADER_INVALID' && i.repairable))
      await img.refreshHeaders();
    if (
      before.issues.some(
        (i) =>
          (i.code === 'REGION_TABLE_INVALID' || i.code === 'REGION_TABLES_DIFFER') && i.repairable,
      )
    ) {
      const fh = await fsOpen(path, 'r');
      let raw: Buffer;
      try {
        raw = Buffer.alloc(2 * REGION_TABLE_SIZE);
        await fh.read(raw, 0, raw.length, REGION1_OFFSET);
      } finally {
        await fh.close();
      }
      const t1 = parseRegionTable(raw.subarray(0, REGION_TABLE_SIZE));
      const t2 = parseRegionTable(raw.subarray(REGION_TABLE_SIZE));
      if (!t1.ok && !t2.ok) return 'no valid region table to copy from';
      await img.refreshHeaders();
      if (t1.ok) await img.repairWrite(REGION2_OFFSET, t1.raw);
      else if (t2.ok) await img.repairWrite(REGION1_OFFSET, t2.raw);
    }
    await img.close();
    return undefined;
  } catch (e) {
    await img.abandon();
    return e instanceof Error ? e.message : String(e);
  }
}

export async function checkVhdx(
  path: string,
  opts: { repair?: boolean } = {},
): Promise<CheckReport> {
  const first = await runCheck(path);
  if (!opts.repair || !first.issues.some((i) => i.repairable)) return first;
  const failure = await repair(path, first);
  const after = await runCheck(path);
  const issues: CheckIssue[] = [];
  for (const i of first.issues) {
    if (i.repairable && !after.issues.some((a) => a.code === i.code))
      issues.push({ ...i, repaired: true });
  }
  for (const a of after.issues) issues.push(a);
  if (failure)
    issues.push({
      severity: 'error',
      code: 'REPAIR_FAILED',
      message: `repair was not completed: ${failure}`,
      repairable: false,
    });
  const report: CheckReport = {
    path,
    ok: !issues.some((i) => i.severity === 'error' && !i.repaired),
    issues,
  };
  if (after.info) report.info = after.info;
  return report;
}

function human(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatBytes(n: number): string {
  return human(n);
}

export function formatCheckReport(r: CheckReport): string {
  const lines: string[] = [];
  const open = r.issues.filter((i) => !i.repaired);
  const errors = open.filter((i) => i.severity === 'error').length;
  const warnings = open.filter((i) => i.severity === 'warning').length;
  const repaired = r.issues.filter((i) => i.repaired).length;
  const verdict = r.ok ? 'OK' : 'PROBLEMS FOUND';
  lines.push(
    `${r.path}: ${verdict} — ${errors} error(s), ${warnings} warning(s)${repaired ? `, ${repaired} repaired` : ''}`,
  );
  if (r.info) {
    const i = r.info;
    lines.push(
      `  ${i.kind} disk, ${human(i.virtualSize)} virtual, ${human(i.blockSize)} blocks, ${i.logicalSectorSize}/${i.physicalSectorSize}-byte sectors, ${human(i.fileSize)} file${i.parent ? `, parent ${i.parent.relativePath ?? i.parent.absoluteWin32Path ?? '?'}` : ''}`,
    );
  }
  for (const i of r.issues) {
    const tag = i.repaired ? 'REPAIRED' : i.severity === 'error' ? 'ERROR   ' : 'WARNING ';
    lines.push(
      `  ${tag} [${i.code}] ${i.message}${i.repairable && !i.repaired ? ' (repairable: run again with --repair)' : ''}`,
    );
  }
  if (!r.ok && open.some((i) => i.severity === 'error' && !i.repairable)) {
    lines.push(
      '  Some errors cannot be repaired safely: restore the file from a backup, or copy out what still reads.',
    );
  }
  return lines.join('\n');
}
