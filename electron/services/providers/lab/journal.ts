// Append-only per-disk records under the lab: the guest write log (<lab>/iolog/<disk>.jsonl: what the lab wrote where,
// the source of the content model) and the resilient change-tracking record (<lab>/rct/<disk>.rct, 2016+ modes).
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ByteRange, ChangedRanges } from '../types';
import { unionRanges, type WriteSpec } from './content';
import { writeFileAtomic } from './atomic';

export const IOLOG_DIR = 'iolog';
export const RCT_DIR = 'rct';

/** One logged write: the file it went to (file id of the disk state) plus how to regenerate its bytes. */
export interface LoggedWrite extends WriteSpec {
  /** File id the write went to. */
  f: string;
  /** "seed" or "io:<burst>". */
  s: string;
}

/** A marker line: a checkpoint was taken here (tests read "what was written since"). */
export interface LogMarker {
  m: 'checkpoint';
  id: string;
  t: string;
}

/**
 * A reset line: from here on the disk holds exactly `writes` (the model of the disk at checkpoint `from`), whatever was
 * written before. Written by an in-place restore; later writes apply on top as usual, earlier markers are unaffected.
 */
export interface LogReset {
  m: 'reset';
  /** Unique per reset, so a replayed restore appends it once. */
  id: string;
  t: string;
  /** The checkpoint whose content was restored. */
  from: string;
  /** What was restored ("restore point …"). */
  source: string;
  writes: WriteSpec[];
}

export type LogLine =
  (LoggedWrite & { seq: number }) | (LogMarker & { seq: number }) | (LogReset & { seq: number });

export function ioLogPath(dir: string, diskId: string): string {
  return path.join(dir, IOLOG_DIR, `${diskId}.jsonl`);
}

export function rctPath(dir: string, diskId: string): string {
  return path.join(dir, RCT_DIR, `${diskId}.rct`);
}

async function appendLines(file: string, lines: unknown[]): Promise<void> {
  if (lines.length === 0) return;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const fh = await fs.open(file, 'a');
  try {
    // Start on a fresh line if a crash tore the last one.
    const { size } = await fh.stat();
    let prefix = '';
    if (size > 0) {
      const r = await fs.open(file, 'r');
      const b = Buffer.alloc(1);
      await r.read(b, 0, 1, size - 1);
      await r.close();
      if (b[0] !== 0x0a) prefix = '\n';
    }
    await fh.write(prefix + lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readLines(file: string): Promise<unknown[] | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  const out: unknown[] = [];
  for (const l of text.split('\n')) {
    if (l.trim() === '') continue;
    try {
      out.push(JSON.parse(l));
    } catch {
      /* torn line after a crash */
    }
  }
  return out;
}

// ---------------------------------------------------------------- write log

export async function appendWriteLog(
  dir: string,
  diskId: string,
  lines: (LoggedWrite | LogMarker | LogReset)[],
): Promise<void> {
  await appendLines(ioLogPath(dir, diskId), lines);
}

/** The disk's write log, oldest first, numbered from 1. */
export async function readWriteLog(dir: string, diskId: string): Promise<LogLine[]> {
  const raw = (await readLines(ioLogPath(dir, diskId))) ?? [];
  return raw.map((l, i) => ({ ...(l as LoggedWrite | LogMarker | LogReset), seq: i + 1 }));
}

export function isWrite(l: LogLine): l is LoggedWrite & { seq: number } {
  return !('m' in l);
}

export function isMarker(l: LogLine): l is LogMarker & { seq: number } {
  return 'm' in l && l.m === 'checkpoint';
}

export function isReset(l: LogLine): l is LogReset & { seq: number } {
  return 'm' in l && l.m === 'reset';
}

/**
 * Ranges written after the marker of checkpoint `checkpointId` (exclusive), merged. For tests and drills. Throws when
 * an in-place restore (a reset line) came after the marker: then the whole disk may differ.
 */
export function writtenSince(log: LogLine[], checkpointId: string): ByteRange[] {
  const at = log.findIndex((l) => isMarker(l) && l.id === checkpointId);
  if (at < 0) throw new Error(`no checkpoint marker ${checkpointId} in the write log`);
  const after = log.slice(at + 1);
  if (after.some(isReset))
    throw new Error(`the disk was restored in place after checkpoint ${checkpointId}`);
  return unionRanges(after.filter(isWrite).map((w) => ({ offset: w.o, length: w.l })));
}

// ---------------------------------------------------------------- resilient change tracking

interface RctHeader {
  h: 1;
  instance: string;
  created: string;
  reason: string | null;
}
interface RctRanges {
  r: [number, number][];
}
interface RctSeal {
  seal: number;
  cp: string;
  t: string;
}

export interface RctStatus {
  instance: string;
  /** Generation that collects writes now (= number of seals so far). */
  generation: number;
  created: string;
  reason: string | null;
}

/** Start (or restart) a disk's change-tracking record. `reason` says why a previous one was dropped. */
export async function rctStart(
  dir: string,
  diskId: string,
  reason: string | null,
): Promise<RctStatus> {
  const header: RctHeader = {
    h: 1,
    instance: randomUUID(),
    created: new Date().toISOString(),
    reason,
  };
  await fs.mkdir(path.join(dir, RCT_DIR), { recursive: true });
  await writeFileAtomic(rctPath(dir, diskId), JSON.stringify(header) + '\n');
  return { instance: header.instance, generation: 0, created: header.created, reason };
}

async function rctRead(
  dir: string,
  diskId: string,
): Promise<{ header: RctHeader; lines: unknown[] } | null> {
  const lines = await readLines(rctPath(dir, diskId));
  const header = lines?.[0] as RctHeader | undefined;
  if (!lines || !header || header.h !== 1 || typeof header.instance !== 'string') return null;
  return { header, lines: lines.slice(1) };
}

export async function rctStatus(dir: string, diskId: string): Promise<RctStatus | null> {
  const r = await rctRead(dir, diskId);
  if (!r) return null;
  const generation = r.lines.filter((l) => typeof (l as RctSeal).seal === 'number').length;
  return {
    instance: r.header.instance,
    generation,
    created: r.header.created,
    reason: r.header.reason,
  };
}

/** Record changed ranges. A lost record is started again (and says so), the way a host rebuilds a missing .rct. */
export async function rctRecord(dir: string, diskId: string, ranges: ByteRange[]): Promise<void> {
  if (ranges.length === 0) return;
  if (!(await fs.stat(rctPath(dir, diskId)).catch(() => null))) {
    await rctStart(
      dir,
      diskId,
      `the change-tracking record ${path.join(RCT_DIR, `${diskId}.rct`)} was missing (deleted or lost) and was started again`,
    );
  }
  const line: RctRanges = { r: unionRanges(ranges).map((x) => [x.offset, x.length]) };
  await appendLines(rctPath(dir, diskId), [line]);
}

/** Seal the current generation: returns its change-tracking id ("<instance>:<generation>"). */
export async function rctSeal(dir: string, diskId: string, checkpointId: string): Promise<string> {
  let st = await rctStatus(dir, diskId);
  if (!st)
    st = await rctStart(
      dir,
      diskId,
      `the change-tracking record was missing (deleted or lost) and was started again`,
    );
  const seal: RctSeal = { seal: st.generation, cp: checkpointId, t: new Date().toISOString() };
  await appendLines(rctPath(dir, diskId), [seal]);
  return `${st.instance}:${st.generation}`;
}

/** What changed since the sealed id, or why the caller needs a full backup. */
export async function rctQuery(
  dir: string,
  diskId: string,
  rctId: string,
  virtualSize: number,
): Promise<ChangedRanges> {
  const rel = path.join(RCT_DIR, `${diskId}.rct`);
  const r = await rctRead(dir, diskId);
  if (!r) {
    return {
      kind: 'full-required',
      reason: `The change-tracking record ${rel} is missing (deleted or lost): the changes since the last backup are unknown, so the next backup must be full.`,
    };
  }
  const [instance, genText] = rctId.split(':');
  const gen = Number(genText);
  if (instance !== r.header.instance) {
    const why = r.header.reason ?? 'it was started again';
    return {
      kind: 'full-required',
      reason: `Change tracking of this disk was reset on ${r.header.created} (${why}); the reference point's id ${rctId} no longer applies, so the next backup must be full.`,
    };
  }
  const ranges: ByteRange[] = [];
  let g = 0;
  let sealed = false;
  for (const l of r.lines) {
    const seal = l as Partial<RctSeal>;
    if (typeof seal.seal === 'number') {
      if (seal.seal === gen) sealed = true;
      g = seal.seal + 1;
      continue;
    }
    const rr = (l as Partial<RctRanges>).r;
    if (Array.isArray(rr) && g > gen)
      for (const [o, len] of rr) ranges.push({ offset: o, length: len });
  }
  if (!sealed) {
    return {
      kind: 'full-required',
      reason: `Change-tracking id ${rctId} was never sealed in ${rel}; the next backup must be full.`,
    };
  }
  return { kind: 'ranges', ranges: unionRanges(ranges), virtualSize };
}
