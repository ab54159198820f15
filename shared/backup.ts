// Shared shapes of backup and restore runs: requests, per-VM outcomes, restore results and job history records.
import { z } from 'zod';

export const Consistency = z.enum(['application', 'file-system', 'crash']);
export type Consistency = z.infer<typeof Consistency>;

export const BackupRequest = z
  .object({
    vmIds: z.array(z.string().min(1)).min(1, 'choose at least one VM'),
    consistency: Consistency.default('application'),
    /** Fail the VM instead of falling back to a weaker consistency. */
    requireConsistency: z.boolean().default(false),
    /** Take a full backup even when change tracking could give an incremental. */
    full: z.boolean().default(false),
    /** Pre-flight warnings the admin chose to override, each with the reason that is recorded. */
    overrides: z
      .array(
        z.object({ ruleId: z.string(), vmId: z.string().optional(), reason: z.string().min(3) }),
      )
      .default([]),
    /** Who or what started it: "console", "cli", a policy id. */
    trigger: z.string().default('console'),
  })
  .strict();
export type BackupRequest = z.infer<typeof BackupRequest>;

export interface DiskBackupOutcome {
  diskId: string;
  file: string;
  virtualSize: number;
  mode: 'full' | 'incremental';
  /** Why a full was taken when an incremental was possible in principle. */
  fullReason?: string;
  bytesRead: number;
  bytesStored: number;
  chunksNew: number;
  chunksReused: number;
  changedBytes: number;
  /** Content digest of the disk as backed up (chunk-table SHA-256; see the repository README). */
  digest?: string;
}

export interface VmBackupOutcome {
  vmId: string;
  vmName: string;
  status: 'succeeded' | 'failed' | 'canceled';
  pointId?: string;
  consistencyRequested: Consistency;
  consistencyReached?: Consistency;
  fallbackReason?: string;
  checkpointId?: string;
  referencePointId?: string;
  disks: DiskBackupOutcome[];
  error?: { code: string; message: string };
  /** Cleanup that did not happen (a checkpoint left behind): always shown loudly. */
  cleanupFailures: string[];
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
}

export interface BackupRunResult {
  /** succeeded only when every VM succeeded; partial when some did. */
  status: 'succeeded' | 'partial' | 'failed' | 'canceled';
  vms: VmBackupOutcome[];
  overrides: BackupRequest['overrides'];
}

export const RestoreRequest = z
  .object({
    pointId: z.string().min(1),
    /** Folder for the restored VM; default: <data>/restores/<vm>-<time>. */
    targetDir: z.string().optional(),
    /** Give the restored VM a new id (default), so it can sit beside the original. */
    newId: z.boolean().default(true),
    /** Restore over the original VM's disks (lab only; the VM must be off). */
    inPlace: z.boolean().default(false),
    /** Required with inPlace: the admin typed the VM name to confirm. */
    confirmVmName: z.string().optional(),
  })
  .strict();
export type RestoreRequest = z.infer<typeof RestoreRequest>;

export interface RestoredDisk {
  diskKey: string;
  path: string;
  virtualSize: number;
  /** Content digest recomputed from the restored file (chunk-table SHA-256; see the repository README). */
  digest: string;
  expectedDigest?: string;
  verified: boolean;
}

/** What an in-place restore replaced (lab only). */
export interface InPlaceRestoreInfo {
  /** Where the replaced files of the first disk went (<disk folder>/.hvbc-replaced/<time>); all in replacedFilesDirs. */
  replacedFilesDir: string;
  replacedFilesDirs: string[];
  /** Every file of the old disk chains: where it was, where it is now. Nothing was deleted. */
  movedFiles: Array<{ from: string; to: string }>;
  checkpointsRemoved: number;
  removedCheckpoints: Array<{ id: string; name: string; type: string }>;
  /** Change tracking restarted: the next backup of the VM is full. */
  changeTrackingReset: boolean;
}

export interface RestoreResult {
  pointId: string;
  vmId: string;
  /** The original VM's id when restored in place. */
  newVmId: string;
  vmName: string;
  /** In place: the folder of the VM's (first) disk. */
  targetDir: string;
  configPath: string;
  disks: RestoredDisk[];
  durationSeconds: number;
  /** Present when the point was restored over the original VM's disks. */
  inPlace?: InPlaceRestoreInfo;
}

/** One finished job, kept in the job history for charts and audits. */
export interface JobHistoryRecord {
  taskId: string;
  kind: string;
  title: string;
  status: string;
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  bytesRead: number;
  bytesWritten: number;
  logicalBytes: number;
  changedBytes: number;
  dedupeRatio: number | null;
  vmIds: string[];
  summary: string;
}

/** A restore point as listed: what the repository and the console show of it. */
export interface PointSummary {
  id: string;
  vmId: string;
  vmName: string;
  kind: 'full' | 'incremental';
  /** When the backup began (ISO); retention uses it. */
  time: string;
  committedAt: string;
  disks: Array<{ key: string; virtualSize: number; digest?: string; basePointId?: string }>;
  /** Sum of the disks' virtual sizes. */
  logicalBytes: number;
  /** Bytes in non-zero chunks. */
  dataBytes: number;
  /** Bytes this point added to the repository (new chunks after compression/encryption). */
  bytesStored: number;
  tags: string[];
}

/** What the repository holds, for the console's repository page and `hvbc repo stats`. */
export interface RepoStats {
  chunkSize: number;
  encrypted: boolean;
  points: number;
  vms: Array<{
    vmId: string;
    vmName: string;
    points: number;
    oldest: string;
    newest: string;
    logicalBytes: number;
  }>;
  /** Sum over points of the disks' virtual sizes (what full copies would take). */
  logicalBytes: number;
  /** Sum over points of the bytes in non-zero chunks. */
  dataBytes: number;
  uniqueChunks: number;
  /** Raw bytes of the distinct chunks the points use. */
  uniqueRawBytes: number;
  /** Stored (compressed, encrypted) bytes of those chunks. */
  storedBytes: number;
  /** Everything on storage: packs (including garbage not yet collected), index files, manifests. */
  repoBytes: number;
  packs: number;
  indexFiles: number;
  /** dataBytes / uniqueRawBytes */
  dedupeRatio: number;
  /** uniqueRawBytes / storedBytes */
  compressionRatio: number;
  /** Free and total bytes of the volume (or share) that holds the repository; null when it does not say. */
  volume: { freeBytes: number; sizeBytes: number } | null;
  /**
   * Restore points left out of these figures because their manifest, or a disk's chunk map, cannot be read, each
   * with why (and its VM and time when the manifest read); `repo check` names what they affect.
   */
  unreadablePoints: Array<{ id: string; why: string; vmName?: string; time?: string }>;
}

/** `repo check` (and `--read-data`): every missing or corrupt chunk and every restore point that uses one. */
export interface CheckResult {
  ok: boolean;
  missingChunks: string[];
  corruptChunks: string[];
  affectedPoints: string[];
  errors: string[];
  /** Structure check: distinct chunks (data and chunk maps) the points use; read-data: stored chunks re-read. */
  chunksChecked: number;
}

/** `repo gc`: what garbage collection removed. */
export interface GcResult {
  packsDeleted: number;
  packsRewritten: number;
  bytesFreed: number;
  /** Garbage kept this time because backups were running; a later gc removes it. */
  deferredChunks: number;
  /** Unused chunks left alone because their packs are younger than the grace period (10 minutes). */
  youngChunks: number;
}

/** `repo forget`: the points retention removed (or would remove, in a dry run) and kept. */
export interface ForgetResult {
  dryRun: boolean;
  removed: string[];
  kept: string[];
}
