// The expected content of any lab disk at any point: the disk's write log (seed + guest I/O) filtered to the files of a
// chain, replayed in order (a reset line of an in-place restore replaces what came before). Tests and restore drills
// compare real VHDX content (or a restored raw buffer) against it.
import { HvbcError } from '../../../../shared/errors';
import { openChain } from '../../vhdx';
import type { ByteRange } from '../types';
import { applyWrite, unionRanges, type WriteSpec } from './content';
import { abs } from './disks';
import { isMarker, isReset, isWrite, readWriteLog, type LogLine } from './journal';
import { readLabFile } from './store';
import { allCheckpoints, chainOf, resolveFile, type LabDiskState } from './state';

export interface DiskModel {
  diskId: string;
  label: string;
  virtualSize: number;
  /** Lab-relative path of the file whose chain this model describes (the active file, or a checkpoint's frozen file). */
  file: string;
  /** The writes that make up the content, oldest first. */
  writes: WriteSpec[];
  /** The expected bytes of [offset, offset+length); unwritten bytes are zero. */
  read(offset: number, length: number): Buffer;
  /** Every range any write touched (merged). */
  written(): ByteRange[];
}

const spec = (w: WriteSpec): WriteSpec =>
  w.k === 'mbr' ? { o: w.o, l: w.l, d: w.d, k: 'mbr' } : { o: w.o, l: w.l, d: w.d };

/**
 * Pure: the writes that make up the content of the chain ending at file `target`, replaying the log up to `untilSeq`.
 * A write counts when its file (followed through merges) is in that chain. A reset line (in-place restore) replaces
 * everything before it with its own writes: every chain starts at the base, which the reset replaced. Later writes
 * apply on top; a replay that stops before the reset (a checkpoint taken earlier) never sees it.
 */
export function replayWrites(
  disk: LabDiskState,
  log: LogLine[],
  target: string,
  untilSeq = Infinity,
): WriteSpec[] {
  const inChain = new Set(disk.materialized ? chainOf(disk, target) : []);
  let writes: WriteSpec[] = [];
  for (const l of log) {
    if (l.seq > untilSeq) break;
    if (isReset(l)) {
      writes = l.writes.map(spec);
      continue;
    }
    if (!isWrite(l)) continue;
    const where = resolveFile(disk, l.f);
    if (where !== null && inChain.has(where)) writes.push(spec(l));
  }
  return writes;
}

/**
 * The model of a disk now (active file) or as of a checkpoint (`atCheckpointId`: the chain of the file that checkpoint
 * froze, which is what frozenDisks() hands out and what a backup of that checkpoint must contain).
 */
export async function diskModel(
  labDir: string,
  diskId: string,
  atCheckpointId?: string,
): Promise<DiskModel> {
  const lab = await readLabFile(labDir);
  const disk = lab.state.disks[diskId];
  if (!disk)
    throw new HvbcError('NOT_FOUND', `No disk ${diskId} in the lab at ${labDir}.`, { diskId });
  let target = disk.active;
  const log = await readWriteLog(labDir, diskId);
  /** Writes after this log position are not part of the model (a checkpoint that no longer exists). */
  let untilSeq = Infinity;
  if (atCheckpointId !== undefined) {
    const cp = allCheckpoints(lab.state).find((c) => c.id === atCheckpointId);
    const f = cp?.frozen[diskId];
    if (cp && f !== undefined) target = f;
    else {
      // Converted to a reference point or removed since: its marker in the write log still says where it was taken.
      const marker = log.find((l) => isMarker(l) && l.id === atCheckpointId);
      if (!marker)
        throw new HvbcError(
          'NOT_FOUND',
          `No checkpoint ${atCheckpointId} that covers disk ${diskId}.`,
          { diskId, checkpointId: atCheckpointId },
        );
      untilSeq = marker.seq;
    }
  }
  const writes = replayWrites(disk, log, target, untilSeq);
  const { label, virtualSize } = disk;
  return {
    diskId,
    label,
    virtualSize,
    file: disk.files[target]?.path ?? '',
    writes,
    read(offset: number, length: number): Buffer {
      if (offset < 0 || offset + length > virtualSize)
        throw new RangeError(`range ${offset}+${length} outside the disk (${virtualSize} bytes)`);
      const b = Buffer.alloc(length);
      for (const w of writes) applyWrite(b, offset, w, label, virtualSize);
      return b;
    },
    written: () => unionRanges(writes.map((w) => ({ offset: w.o, length: w.l }))),
  };
}

/** The whole expected disk as one buffer (virtual size bytes; lab disks are 64–160 MiB). */
export async function expectedDiskContent(
  labDir: string,
  diskId: string,
  atCheckpointId?: string,
): Promise<Buffer> {
  const m = await diskModel(labDir, diskId, atCheckpointId);
  return m.read(0, m.virtualSize);
}

export interface VerifyResult {
  ok: boolean;
  bytesCompared: number;
  /** Ranges (1 MiB granularity, merged) whose bytes differ from the model; empty when ok. */
  mismatches: ByteRange[];
}

/** Compare a reader of disk content (a restored raw disk, a chain…) with the model, 1 MiB at a time. */
export async function verifyAgainstModel(
  model: DiskModel,
  read: (offset: number, length: number) => Promise<Buffer> | Buffer,
  virtualSize = model.virtualSize,
): Promise<VerifyResult> {
  if (virtualSize !== model.virtualSize) {
    return {
      ok: false,
      bytesCompared: 0,
      mismatches: [{ offset: 0, length: Math.max(virtualSize, model.virtualSize) }],
    };
  }
  const step = 1024 * 1024;
  const bad: ByteRange[] = [];
  for (let o = 0; o < virtualSize; o += step) {
    const n = Math.min(step, virtualSize - o);
    const got = await read(o, n);
    if (!got.equals(model.read(o, n))) bad.push({ offset: o, length: n });
  }
  const mismatches = unionRanges(bad);
  return { ok: mismatches.length === 0, bytesCompared: virtualSize, mismatches };
}

/** Open the VHDX chain ending at `chainPath` with the engine and compare it with the model of the disk. */
export async function verifyChain(
  labDir: string,
  diskId: string,
  chainPath: string,
  atCheckpointId?: string,
): Promise<VerifyResult> {
  const m = await diskModel(labDir, diskId, atCheckpointId);
  const chain = await openChain(chainPath);
  try {
    return await verifyAgainstModel(m, (o, n) => chain.read(o, n), chain.virtualSize);
  } finally {
    await chain.close();
  }
}

/** Convenience for a disk's live content: verify its active chain in the lab. */
export async function verifyDiskNow(labDir: string, diskId: string): Promise<VerifyResult> {
  const lab = await readLabFile(labDir);
  const d = lab.state.disks[diskId];
  const f = d?.files[d.active];
  if (!d || !f)
    throw new HvbcError('NOT_FOUND', `No disk ${diskId} in the lab at ${labDir}.`, { diskId });
  return verifyChain(labDir, diskId, abs(labDir, f.path));
}
