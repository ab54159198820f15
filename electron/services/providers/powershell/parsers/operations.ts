// Parsers for every non-inventory script: checkpoints, frozen disks, reference points, changed ranges, events,
// guest VSS writers, CSV moves, export/import, job stop, session connect. Each validates with zod, then maps.
import { z } from 'zod';
import { HvbcError } from '../../../../../shared/errors';
import type { Checkpoint, HyperVEvent, VssWriter } from '../../../../../shared/model';
import type {
  ChangedRanges,
  CheckpointResult,
  Consistency,
  FrozenDisk,
  ReferencePoint,
} from '../../types';
import {
  arr,
  bool,
  date,
  dateOrNull,
  guid,
  guidOrNull,
  obj,
  parseOrThrow,
  safeInt,
  safeIntOrNull,
  str,
  strOrNull,
} from '../normalize';
import { SnapshotTypeEnum } from './enums';
import { diskIdOf, isSharedDrive, RawDrive, RawReferencePoint } from './raw';
import { mapReferencePoint } from './refpoints';

// ---- checkpoints ---------------------------------------------------------------------------------------

const RawNewCheckpoint = obj({
  checkpoint: obj({
    id: guid,
    name: str,
    snapshotType: SnapshotTypeEnum,
    parentId: guidOrNull,
    created: dateOrNull,
  }),
  consistencyLevel: safeInt,
  fallbackReason: strOrNull.optional(),
  vmCheckpointType: strOrNull.optional(),
});

export function parseNewCheckpoint(
  data: unknown,
  requested: 'standard' | 'production' | 'recovery',
  createdBy?: string,
): CheckpointResult {
  const r = parseOrThrow(RawNewCheckpoint, data, 'New-HvbcCheckpoint');
  const type =
    r.checkpoint.snapshotType === 'Recovery'
      ? 'recovery'
      : requested === 'recovery'
        ? 'recovery'
        : requested;
  const checkpoint: Checkpoint = {
    id: r.checkpoint.id,
    name: r.checkpoint.name,
    type,
    parentId: r.checkpoint.parentId,
    created: r.checkpoint.created ?? '',
    ...(createdBy ? { createdBy } : {}),
  };
  if (r.consistencyLevel !== 1 && r.consistencyLevel !== 2) {
    throw new HvbcError(
      'PARSE_FAILED',
      `New-HvbcCheckpoint: unexpected output: data.consistencyLevel: expected 1 or 2, got ${r.consistencyLevel}`,
    );
  }
  const consistencyReached: Consistency = r.consistencyLevel === 1 ? 'application' : 'crash';
  return {
    checkpoint,
    consistencyReached,
    ...(r.fallbackReason ? { fallbackReason: r.fallbackReason } : {}),
  };
}

export const RawRemoved = obj({ removed: z.literal(true) });

// ---- frozen disks --------------------------------------------------------------------------------------

const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;

/** C:\ClusterStorage\Volume1\x.vhdx on NODE → \\NODE\C$\ClusterStorage\Volume1\x.vhdx; UNC (SMB) paths unchanged. */
export function toAdminSharePath(node: string, localPath: string): string {
  if (localPath.startsWith('\\\\')) return localPath;
  if (!HOST_RE.test(node))
    throw new HvbcError('PARSE_FAILED', `Not a host name: ${JSON.stringify(node)}.`);
  const m = /^([A-Za-z]):\\(.*)$/.exec(localPath);
  if (!m)
    throw new HvbcError('PARSE_FAILED', `Not a local Windows path: ${JSON.stringify(localPath)}.`);
  return `\\\\${node}\\${(m[1] as string).toUpperCase()}$\\${m[2]}`;
}

const RawFrozen = obj({
  computerName: str,
  vmId: guid,
  checkpointId: guid,
  snapshotType: strOrNull.optional(),
  drives: arr(RawDrive),
});

export function parseFrozenDisks(data: unknown): FrozenDisk[] {
  const r = parseOrThrow(RawFrozen, data, 'Get-HvbcFrozenDisks');
  const out: FrozenDisk[] = [];
  r.drives.forEach((d, i) => {
    if (d.diskNumber !== null && d.diskNumber !== undefined) return; // pass-through: host-level backup cannot read it
    const leaf = d.chain[0];
    if (!leaf)
      throw new HvbcError(
        'PARSE_FAILED',
        `Get-HvbcFrozenDisks: unexpected output: data.drives[${i}].chain: empty${d.chainError ? ` (${d.chainError})` : ''}`,
      );
    const base = d.chain[d.chain.length - 1]?.path ?? leaf.path;
    out.push({
      diskId: diskIdOf(r.vmId, d, base, isSharedDrive(d)),
      chainPath: toAdminSharePath(r.computerName, leaf.path),
      virtualSize: leaf.size,
    });
  });
  return out;
}

// ---- reference points ----------------------------------------------------------------------------------

const RawRpList = obj({ referencePoints: arr(RawReferencePoint), drives: arr(RawDrive) });
const RawRpConverted = obj({
  referencePoint: RawReferencePoint,
  drives: arr(RawDrive),
  convertedAt: date,
});

export function parseReferencePoints(data: unknown, vmId: string): ReferencePoint[] {
  const r = parseOrThrow(RawRpList, data, 'Get-HvbcReferencePoints');
  return r.referencePoints.map((rp) => mapReferencePoint(rp, vmId, r.drives));
}

export function parseConvertedReferencePoint(data: unknown, vmId: string): ReferencePoint {
  const r = parseOrThrow(RawRpConverted, data, 'ConvertTo-HvbcReferencePoint');
  return mapReferencePoint(r.referencePoint, vmId, r.drives, r.convertedAt);
}

// ---- changed ranges ------------------------------------------------------------------------------------

const RawFullRequired = obj({
  fullRequired: z.literal(true),
  reason: str,
  path: strOrNull.optional(),
  source: strOrNull.optional(),
});
const RawRangeList = obj({
  fullRequired: z.literal(false),
  path: str,
  source: str,
  virtualSize: safeInt,
  /** [offset, length] as strings (uint64 beyond 2^53 would lose precision in JSON.parse). */
  ranges: arr(z.tuple([safeInt, safeInt])),
});

export function parseChangedRanges(data: unknown): ChangedRanges {
  const head = parseOrThrow(obj({ fullRequired: bool }), data, 'Get-HvbcChangedRanges');
  if (head.fullRequired)
    return {
      kind: 'full-required',
      reason: parseOrThrow(RawFullRequired, data, 'Get-HvbcChangedRanges').reason,
    };
  const r = parseOrThrow(RawRangeList, data, 'Get-HvbcChangedRanges');
  const ranges = r.ranges.map(([offset, length]) => ({ offset, length }));
  ranges.forEach((x, i) => {
    if (x.offset + x.length > r.virtualSize) {
      throw new HvbcError(
        'PARSE_FAILED',
        `Get-HvbcChangedRanges: unexpected output: data.ranges[${i}]: range ${x.offset}+${x.length} ends beyond the disk (${r.virtualSize} bytes)`,
      );
    }
  });
  return {
    kind: 'ranges',
    ranges: ranges.sort((a, b) => a.offset - b.offset),
    virtualSize: r.virtualSize,
  };
}

// ---- events --------------------------------------------------------------------------------------------

export const RawEvent = obj({
  computer: strOrNull.optional(),
  log: str,
  recordId: safeInt,
  id: safeInt,
  time: date,
  level: safeIntOrNull,
  provider: strOrNull.optional(),
  message: strOrNull,
  vmId: strOrNull.optional(),
  vmName: strOrNull.optional(),
});
export type RawEvent = z.infer<typeof RawEvent>;
export const RawEvents = obj({ events: arr(RawEvent), warnings: arr(str).optional() });

/** What each event id means for the console (hyperv-api.md §11.3; ids other than 10103 [UNVERIFIED]). */
const OPERATIONS: Record<number, string> = {
  10103: 'backup-no-scsi',
  19100: 'merge-failed',
  14070: 'vm-crashed',
  19070: 'merge',
  19080: 'merge',
  19090: 'merge',
  4093: 'vss-integration-disabled',
  9296: 'csv-autopause',
  5120: 'csv-paused',
  5142: 'csv-inaccessible',
};

/** Event Level: 1 Critical, 2 Error, 3 Warning, 4 Information, 0/5 → Information. Never the localized text. */
function levelOf(level: number | null): HyperVEvent['level'] {
  if (level === 1 || level === 2) return 'Error';
  if (level === 3) return 'Warning';
  return 'Information';
}

export function eventKey(e: RawEvent): string {
  return `${(e.computer ?? '').toLowerCase()}|${e.log.toLowerCase()}|${e.recordId}`;
}

/** Map raw events (sorted by time) to HyperVEvent, with `seq` from the caller's counter (stable per event key). */
export function mapEvents(raw: readonly RawEvent[], seqOf: (key: string) => number): HyperVEvent[] {
  return [...raw]
    .sort((a, b) => a.time.localeCompare(b.time) || a.recordId - b.recordId)
    .map((e) => {
      const vmGuid = e.vmId
        ? (/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/
            .exec(e.vmId)?.[1]
            ?.toLowerCase() ?? null)
        : null;
      return {
        seq: seqOf(eventKey(e)),
        time: e.time,
        id: e.id,
        log: e.log,
        level: levelOf(e.level),
        vmId: vmGuid,
        vmName: e.vmName ?? null,
        operation: OPERATIONS[e.id] ?? 'other',
        message: e.message ?? '',
      };
    });
}

export function parseEvents(data: unknown): { events: RawEvent[]; warnings: string[] } {
  const r = parseOrThrow(RawEvents, data, 'Get-HvbcEvents');
  return { events: r.events, warnings: r.warnings ?? [] };
}

// ---- guest VSS writers ---------------------------------------------------------------------------------

const WRITER_STATES: Record<number, string> = {
  0: 'Unknown',
  1: 'Stable',
  2: 'Waiting for freeze',
  3: 'Waiting for thaw',
  4: 'Waiting for post-snapshot',
  5: 'Waiting for backup complete',
  6: 'Failed at identify',
  7: 'Failed at prepare backup',
  8: 'Failed at prepare snapshot',
  9: 'Failed at freeze',
  10: 'Failed at thaw',
  11: 'Failed at post-snapshot',
  12: 'Failed at backup complete',
  13: 'Failed at pre-restore',
  14: 'Failed at post-restore',
  15: 'Failed at backup shutdown',
};

/**
 * Parse `vssadmin list writers` (hyperv-api.md §11.1) by the bracketed VSS_WRITER_STATE NUMBER, so a localized
 * guest still parses. retryable: false only for a failed writer whose last error says non-retryable (0x800423F4).
 */
export function parseVssadminWriters(text: string): VssWriter[] {
  // A block starts with an unindented "<label>: '<writer name>'" line; its fields are indented; a blank line ends it.
  const blocks: string[][] = [];
  let cur: string[] | null = null;
  for (const l of text.replace(/\r/g, '').split('\n')) {
    if (/^\S[^:]*:\s*'.*'\s*$/.test(l)) blocks.push((cur = [l]));
    else if (cur && /^\s+\S/.test(l)) cur.push(l);
    else cur = null;
  }
  const writers: VssWriter[] = [];
  for (const b of blocks) {
    const name = /'(.*)'/.exec(b[0] as string)?.[1] ?? '';
    const si = b.findIndex((l) => /\[\d+\]/.test(l));
    if (si < 0) continue;
    const n = Number(/\[(\d+)\]/.exec(b[si] as string)?.[1]);
    const id = /\{([0-9a-fA-F-]{36})\}/.exec(b.join('\n'))?.[1]?.toLowerCase();
    const lastError = (b[si + 1] ?? '').replace(/^[^:]*:\s*/, '').trim();
    const failed = n >= 6;
    const nonRetryable = /non-?retryable|0x800423f4/i.test(lastError);
    writers.push({
      name,
      ...(id ? { id } : {}),
      state: WRITER_STATES[n] ?? `State ${n}`,
      lastError,
      retryable: !(failed && nonRetryable),
    });
  }
  if (writers.length === 0 && /\[\d+\]/.test(text)) {
    throw new HvbcError(
      'PARSE_FAILED',
      'Get-HvbcGuestVssWriters: the vssadmin output has no writer block that could be read.',
      { sample: text.slice(0, 200) },
    );
  }
  return writers;
}

const RawVss = obj({ vmId: guid, collectedAt: date, raw: str });
export function parseGuestVssWriters(data: unknown): VssWriter[] {
  const r = parseOrThrow(RawVss, data, 'Get-HvbcGuestVssWriters');
  if (/access is denied|requires elevation|not recognized/i.test(r.raw) && !/\[\d+\]/.test(r.raw)) {
    throw new HvbcError(
      'UNAUTHORIZED',
      `vssadmin in the guest failed: ${r.raw.trim().slice(0, 200)}`,
    );
  }
  return parseVssadminWriters(r.raw);
}

// ---- CSV, export/import, job stop, connect ---------------------------------------------------------------

export const RawMoveCsv = obj({ csvId: str, name: str, ownerNode: str });
export const RawExport = obj({
  vmId: guid,
  destination: str,
  checkpointId: strOrNull.optional(),
  differential: bool,
  jobId: strOrNull.optional(),
});
export const RawImport = obj({
  imported: bool,
  newVmId: guidOrNull,
  name: strOrNull,
  issues: arr(obj({ messageId: strOrNull, message: str })),
});
export const RawStopJob = obj({ requested: bool, reason: strOrNull, returnValue: safeIntOrNull });
export const RawConnect = obj({
  computerName: str,
  psVersion: str,
  psEdition: strOrNull.optional(),
  authentication: strOrNull.optional(),
});

export type ImportResult = z.infer<typeof RawImport>;
export type ExportResult = z.infer<typeof RawExport>;
