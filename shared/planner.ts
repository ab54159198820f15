// Result types of the planner, pre-flight checks and checkpoint doctor (pure types the renderer can import).
import type { HostOsVersion, HyperVEvent, VssWriter } from './model';

/* ------------------------------------------------------------------ graph */

/**
 * How a host-level backup captures a VM on this cluster.
 * - host-vss-csv: 2008 R2 – 2012 R2, a VSS snapshot of each CSV, taken by the node that owns it (seed 000).
 * - recovery-checkpoint-rct: 2016+, one recovery checkpoint per VM plus resilient change tracking.
 */
export type BackupMethod = 'host-vss-csv' | 'recovery-checkpoint-rct';

/** Conflict kinds. The first two are ownership conflicts; the third is a layout problem. */
export type ConflictKind = 'csv-shared-by-nodes' | 'csv-not-owned-by-host' | 'vm-spans-csvs';

export interface Conflict {
  /** Stable id, e.g. "csv-shared:csv2", "csv-owner:csv2:HV-A", "vm-spans:<vm id>". */
  id: string;
  kind: ConflictKind;
  csvIds: string[];
  nodes: string[];
  vmIds: string[];
  /** One sentence an admin understands. */
  message: string;
}

export interface GraphComponent {
  id: string;
  vmIds: string[];
  csvIds: string[];
  nodes: string[];
}

export interface CsvLoad {
  csvId: string;
  name: string;
  ownerNode: string;
  vmCount: number;
  diskCount: number;
  /** Sum of virtual sizes of the disks on the CSV (each disk once). */
  diskBytes: number;
  /** Bytes of disk files on the CSV (base + differencing) as reported by the provider. */
  fileBytes: number;
  freeBytes: number;
  sizeBytes: number;
  /** Nodes whose VMs have disks on this CSV. */
  nodesUsing: string[];
}

export interface NodeLoad {
  node: string;
  state: string;
  osVersion: HostOsVersion;
  vmCount: number;
  runningVmCount: number;
  diskBytes: number;
  ownedCsvIds: string[];
}

export interface RedirectedCsv {
  csvId: string;
  name: string;
  nodes: Array<{ node: string; state: string; reason: string }>;
  message: string;
}

export interface VmCsvFact {
  vmId: string;
  vmName: string;
  hostNode: string;
  csvIds: string[];
  message: string;
}

export interface GraphSummary {
  clusterName: string;
  osVersion: HostOsVersion;
  method: BackupMethod;
  /** Why this method applies (OS versions, functional level). */
  methodReason: string;
  components: GraphComponent[];
  spansCsvs: VmCsvFact[];
  notCsvOwner: VmCsvFact[];
  redirected: RedirectedCsv[];
  nodeLoad: NodeLoad[];
  csvLoad: CsvLoad[];
  conflicts: Conflict[];
}

/* ------------------------------------------------------------------- plan */

export interface PlanOptions {
  /** VM ids or names; all VMs when omitted. */
  vmIds?: string[];
  /** At most this many checkpoints (2016+) or snapshot jobs (2008 R2–2012 R2) per CSV at once. Default 4. */
  maxPerCsv?: number;
  /** At most this many backup jobs per node at once. Default 4. */
  maxPerNode?: number;
  /** Measured throughput of one backup stream, in MB/s (10^6 bytes). Default 200. */
  throughputMBps?: number;
  /** Incremental run (2016+ with change tracking); false = full. Default false. */
  incremental?: boolean;
  /** Percent of a disk's data changed since the last backup, for incremental estimates. Default 10. */
  changeRatePercent?: number;
  /** Fixed cost per job: create and remove the snapshot or checkpoint, in seconds. Default 30. */
  snapshotOverheadSeconds?: number;
  /** Time one CSV ownership move takes, in seconds. Default 10. */
  csvMoveSeconds?: number;
}

export type ResolvedPlanOptions = Required<Omit<PlanOptions, 'vmIds'>>;

export interface CsvMove {
  csvId: string;
  csvName: string;
  from: string;
  to: string;
}

export type WaitKind = 'csv-ownership' | 'csv-limit' | 'node-limit' | 'queued-behind';

export interface PlanWait {
  kind: WaitKind;
  csvId?: string;
  node?: string;
  /** Jobs that hold (or queue earlier for) the resource. */
  blockedBy: string[];
  /** Seconds from the start of the run. */
  fromSeconds: number;
  untilSeconds: number;
  message: string;
}

export interface PlanJob {
  id: string;
  label: string;
  vmIds: string[];
  vmNames: string[];
  /** Nodes that run the job (one for host VSS; the members' hosts for a guest-cluster group). */
  nodes: string[];
  csvIds: string[];
  runKind: 'full' | 'incremental';
  bytes: number;
  seconds: number;
  startSeconds: number;
  endSeconds: number;
  wave: number;
  moves: CsvMove[];
  waits: PlanWait[];
  /** Sentences: what the job does and why it starts when it does. */
  explanation: string[];
}

export interface PlanWave {
  index: number;
  startSeconds: number;
  jobIds: string[];
  moves: CsvMove[];
}

export interface BackupPlan {
  clusterName: string;
  osVersion: HostOsVersion;
  method: BackupMethod;
  methodReason: string;
  options: ResolvedPlanOptions;
  jobs: PlanJob[];
  waves: PlanWave[];
  /** Every rule the plan follows, in words. */
  constraints: string[];
  skipped: Array<{ vmId: string; vmName: string; reason: string }>;
  notes: string[];
  totals: {
    jobs: number;
    vms: number;
    bytes: number;
    seconds: number;
    waits: number;
    moves: number;
    waves: number;
  };
}

/* -------------------------------------------------------- recommendations */

export type RecommendationKind = 'set-csv-owner' | 'move-disk' | 'live-migrate' | 'one-job-per-csv';

export type RecommendationStep =
  | { kind: 'set-csv-owner'; csvId: string; from: string; to: string }
  | {
      kind: 'move-disk';
      vmId: string;
      diskId: string;
      fromCsvId: string;
      toCsvId: string;
      bytes: number;
    }
  | { kind: 'migrate-vm'; vmId: string; from: string; to: string };

export interface ConflictRef {
  id: string;
  message: string;
}

export interface Recommendation {
  /** Stable id derived from the steps. */
  id: string;
  kind: RecommendationKind;
  title: string;
  why: string;
  steps: RecommendationStep[];
  /** Conflicts that disappear when the recommendation is applied. */
  removes: ConflictRef[];
  /** Conflicts that appear when it is applied (usually none). */
  introduces: ConflictRef[];
  /** Conflicts left after applying it. */
  remaining: number;
  cost: { ownershipMoves: number; diskMoves: number; bytesToCopy: number; migrations: number };
  /** PowerShell an admin would run for each step. */
  commands: string[];
  /** What the recommendation could not place (free space, no node). Empty when complete. */
  unresolved: string[];
}

export interface RecommendResult {
  method: BackupMethod;
  conflicts: Conflict[];
  recommendations: Recommendation[];
  /** Context that applies to every recommendation (e.g. why they matter less on 2016+). */
  notes: string[];
}

/* -------------------------------------------------------------- preflight */

export type Severity = 'error' | 'warning' | 'info';
export type CheckStatus = 'pass' | 'fail' | 'unknown' | 'not-applicable';
export type RuleScope = 'vm' | 'csv' | 'group';

export interface PreflightTarget {
  kind: RuleScope;
  id: string;
  name: string;
}

export interface PreflightResult {
  /** Stable: "<rule id>:<target id>". */
  id: string;
  ruleId: string;
  ruleTitle: string;
  target: PreflightTarget;
  status: CheckStatus;
  /** Set when status is fail. */
  severity?: Severity;
  message: string;
  evidence: string[];
  fix: string;
}

export interface PreflightRuleInfo {
  id: string;
  title: string;
  scope: RuleScope;
  severity: Severity;
  description: string;
}

/** What change tracking answers for one disk, reduced to what the checks need. */
export type RctAnswer =
  | { kind: 'ranges'; changedBytes: number; virtualSize: number }
  | { kind: 'full-required'; reason: string }
  | { kind: 'error'; message: string };

export interface RctFact {
  /** The newest reference point that carries this disk, or null when there is none. */
  referencePointId: string | null;
  referencePointCreated?: string;
  answer?: RctAnswer;
}

export type DryRunResult =
  | {
      ok: true;
      checkpointId: string;
      consistencyReached: string;
      fallbackReason?: string;
      removed: boolean;
      removeError?: { code: string; message: string };
      createSeconds: number;
      removeSeconds: number;
    }
  | {
      ok: false;
      stage: 'create' | 'remove';
      error: { code: string; message: string; details?: Record<string, unknown> };
    };

/** Guest-cluster conditions behind Hyper-V errors 32768, 32770 and 32775 (gathered at the edge when possible). */
export interface GuestClusterFact {
  /** The cluster service inside the guests answers (else 32768). */
  clusterServiceRunning?: boolean;
  /** The VHD Set is used as a CSV inside the guest cluster (then 32770). */
  sharedDiskUsedAsCsv?: boolean;
  /** How many guest nodes claim the shared disk (exactly one is required, else 32775). */
  ownerCount?: number;
  /** Last Hyper-V error seen for the collection. */
  lastErrorCode?: number;
}

export interface PreflightFacts {
  vssWriters?: Record<string, VssWriter[]>;
  /** Per VM: why the writers could not be read. */
  vssErrors?: Record<string, string>;
  /** Per disk id. */
  rct?: Record<string, RctFact>;
  /** Per VM id. */
  dryRuns?: Record<string, DryRunResult>;
  /** Per group id. */
  guestClusters?: Record<string, GuestClusterFact>;
  /** Checkpoints owned by running backup jobs (not lingering). */
  activeCheckpointIds?: string[];
}

export interface PreflightOptions {
  vmIds?: string[];
  /** Percent of a disk written per hour during the window (DPM formula "churn"). Default 10. */
  changeRatePercent?: number;
  /** Backup window in hours (DPM formula). Default 2. */
  windowHours?: number;
  /** Free space to keep beyond the formula, in bytes. Default 2 GiB (Veeam stops jobs below 2 GB). */
  minFreeBytes?: number;
  /** Chain depth (differencing files per disk) above which a warning is raised. Default 3. */
  maxChainDepth?: number;
  /** Tags that mark a VM as not production (automatic checkpoints allowed). */
  nonProductionTags?: string[];
}

export interface PreflightReport {
  generatedAt: string;
  clusterName: string;
  method: BackupMethod;
  vmIds: string[];
  options: Required<Omit<PreflightOptions, 'vmIds'>>;
  rules: PreflightRuleInfo[];
  results: PreflightResult[];
  summary: {
    errors: number;
    warnings: number;
    infos: number;
    passed: number;
    unknown: number;
    notApplicable: number;
  };
  /** True when at least one error: the backup would fail or be unsafe. */
  blocked: boolean;
  dryRunRequested: boolean;
}

/* ----------------------------------------------------------------- doctor */

/** One file found on a CSV, with a Windows-style path as the inventory uses. */
export interface CsvFile {
  path: string;
  size: number;
  mtime: string;
}

export type ChainCheck =
  | { ok: true }
  | { ok: false; code: string; message: string; path?: string }
  /** The chain could not be opened for a reason that says nothing about its health. */
  | { ok: null; message: string };

export interface DoctorFacts {
  /** Listing of the CSV folders; orphan detection is skipped without it. */
  files?: CsvFile[];
  /** Parent path of listed differencing files, when the edge could read their headers. */
  fileParents?: Record<string, string | null>;
  /** Result of opening each disk's chain, by disk id. */
  chainChecks?: Record<string, ChainCheck>;
  /** Disks the estate has not created yet (the lab creates large scenarios' disks on first use): not checked. */
  notCreatedDiskIds?: string[];
  /** Checkpoints owned by running backup jobs. */
  activeCheckpointIds?: string[];
  /** Ids of running tasks (a checkpoint whose createdBy is one of them is owned by a job). */
  activeTaskIds?: string[];
  events?: HyperVEvent[];
  now: string;
}

export interface DoctorOptions {
  /** Files younger than this may belong to an operation in flight and are not called orphans. Default 60. */
  minOrphanAgeMinutes?: number;
}

export type DoctorFindingKind =
  | 'orphan-file'
  | 'unregistered-disk'
  | 'lingering-recovery-checkpoint'
  | 'broken-chain'
  | 'merge-pending'
  | 'merge-failed';

export interface DoctorFinding {
  /** Stable across scans: "orphan:<path>", "recovery:<vm>:<checkpoint>", "chain:<disk>", "merge:<disk>:<checkpoint>". */
  id: string;
  kind: DoctorFindingKind;
  severity: Severity;
  vmId?: string;
  vmName?: string;
  diskId?: string;
  checkpointId?: string;
  path?: string;
  /** For an orphaned differencing file: its parent, when the edge could read the header. */
  parentPath?: string;
  sizeBytes?: number;
  message: string;
  evidence: string[];
  /** What the doctor proposes, in words. */
  proposal: string;
  /** True when the doctor can repair it itself (through the provider, or by quarantining a file). */
  repairable: boolean;
}

export interface DoctorReport {
  generatedAt: string;
  clusterName: string;
  listingAvailable: boolean;
  chainsChecked: number;
  findings: DoctorFinding[];
  /** Paths the doctor will never touch: files referenced by a chain and shared parents. */
  protectedPaths: string[];
  sharedParents: string[];
  notes: string[];
}

export type RepairStep =
  | {
      id: string;
      order: number;
      findingId: string;
      kind: 'remove-checkpoint';
      vmId: string;
      vmName: string;
      checkpointId: string;
      description: string;
      safety: string;
    }
  | {
      id: string;
      order: number;
      findingId: string;
      kind: 'verify-merge';
      vmId: string;
      vmName: string;
      checkpointId: string;
      paths: string[];
      description: string;
      safety: string;
    }
  | {
      id: string;
      order: number;
      findingId: string;
      kind: 'quarantine-file';
      path: string;
      quarantinePath: string;
      sizeBytes: number;
      description: string;
      safety: string;
    }
  | {
      id: string;
      order: number;
      findingId: string;
      kind: 'manual';
      description: string;
      safety: string;
    };

export interface RepairPlan {
  generatedAt: string;
  steps: RepairStep[];
  /** Findings asked for that the doctor will not repair, and why. */
  refused: Array<{ findingId: string; reason: string }>;
  notes: string[];
}

export type RepairEntryStatus = 'planned' | 'done' | 'skipped' | 'failed';

export interface RepairLogEntry {
  stepId: string;
  kind: RepairStep['kind'];
  status: RepairEntryStatus;
  message: string;
  at: string;
}

export interface RepairLog {
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  entries: RepairLogEntry[];
  summary: { planned: number; done: number; skipped: number; failed: number };
}

export interface DoctorRepairResult {
  plan: RepairPlan;
  log: RepairLog;
}
