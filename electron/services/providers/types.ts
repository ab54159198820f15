// The provider boundary: one interface for a Hyper-V estate (lab, PowerShell, offline inventory file).
import type { Checkpoint, HyperVEvent, Inventory, VssWriter } from '../../../shared/model';

export type Consistency = 'application' | 'file-system' | 'crash';

export interface ByteRange {
  offset: number;
  length: number;
}

export interface CreateCheckpointOptions {
  type: 'standard' | 'production' | 'recovery';
  /** What the caller asks for; the provider reports what it reached. */
  consistency: Consistency;
  /** Fail instead of falling back to a weaker consistency. */
  requireConsistency?: boolean;
  name?: string;
  /** Recorded in events and checkpoint.createdBy. */
  createdBy?: string;
  taskId?: string;
  signal?: AbortSignal;
}

export interface CheckpointResult {
  checkpoint: Checkpoint;
  consistencyReached: Consistency;
  /** Why the reached consistency is weaker than asked, when it is. */
  fallbackReason?: string;
}

export interface ReferencePoint {
  id: string;
  vmId: string;
  created: string;
  /** Per disk id: the change-tracking id at the moment of the reference point. */
  rctIds: Record<string, string>;
}

export type ChangedRanges =
  | { kind: 'ranges'; ranges: ByteRange[]; virtualSize: number }
  /** Change tracking cannot answer: the caller must take a full backup, and says why. */
  | { kind: 'full-required'; reason: string };

export interface FrozenDisk {
  diskId: string;
  /** Path the VHDX engine opens with openChain (a local path for the lab, an admin-share path on a host). */
  chainPath: string;
  virtualSize: number;
  /** Set when the provider knows the storage path is slow (the lab's slow-storage fault): reads are paced to it. */
  readBytesPerSecond?: number;
}

export interface EventFilter {
  vmId?: string;
  sinceSeq?: number;
  taskId?: string;
  limit?: number;
}

/** What every estate implementation answers. Methods that change the estate throw UNSUPPORTED when readOnly. */
export interface EstateProvider {
  readonly kind: 'lab' | 'powershell' | 'offline';
  readonly readOnly: boolean;
  inventory(): Promise<Inventory>;
  events(filter?: EventFilter): Promise<HyperVEvent[]>;
  /** Subscribe to estate changes and new events; returns an unsubscribe function. */
  subscribe(listener: (change: { reason: string; event?: HyperVEvent }) => void): () => void;

  createCheckpoint(vmId: string, opts: CreateCheckpointOptions): Promise<CheckpointResult>;
  removeCheckpoint(vmId: string, checkpointId: string, opts?: { taskId?: string }): Promise<void>;
  /** Disks of a checkpoint, frozen (read-only) while the checkpoint exists. */
  frozenDisks(vmId: string, checkpointId: string): Promise<FrozenDisk[]>;

  convertToReferencePoint(vmId: string, checkpointId: string): Promise<ReferencePoint>;
  listReferencePoints(vmId: string): Promise<ReferencePoint[]>;
  removeReferencePoint(vmId: string, referencePointId: string): Promise<void>;
  changedRanges(vmId: string, diskId: string, referencePointId: string): Promise<ChangedRanges>;

  moveCsv(csvId: string, node: string): Promise<void>;
  guestVssWriters(vmId: string): Promise<VssWriter[]>;
  close(): Promise<void>;

  /**
   * Optional (the lab): compare a restored disk with the provider's own model of what the disk held when the
   * given checkpoint (or the reference point it became) was taken. Used by restore drills.
   */
  verifyRestoredDisk?(
    vmId: string,
    diskId: string,
    at: { checkpointId?: string; referencePointId?: string },
    restoredPath: string,
  ): Promise<{ match: boolean; detail: string; evidence: Record<string, unknown> }>;
}
