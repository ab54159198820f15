// The domain model of a Hyper-V estate (cluster, nodes, CSVs, VMs, disks, checkpoints), as zod schemas and types.
import { z } from 'zod';

/** Host OS versions whose Hyper-V backup behaviour differs (see ../shared/seeds and hyperv-api.md §14). */
export const HostOsVersion = z.enum(['2008R2', '2012', '2012R2', '2016', '2019', '2022', '2025']);
export type HostOsVersion = z.infer<typeof HostOsVersion>;

export const NodeState = z.enum(['Up', 'Down', 'Paused']);
export const ClusterNode = z.object({
  name: z.string().min(1),
  state: NodeState,
  osVersion: HostOsVersion,
});
export type ClusterNode = z.infer<typeof ClusterNode>;

/** Per-node access state of a CSV (Get-ClusterSharedVolumeState). */
export const CsvAccess = z.enum([
  'Direct',
  'FileSystemRedirected',
  'BlockRedirected',
  'Unavailable',
]);
export type CsvAccess = z.infer<typeof CsvAccess>;
export const CsvNodeState = z.object({
  node: z.string(),
  state: CsvAccess,
  /** Why the node is redirected, e.g. "UserRequest", "NoDiskConnectivity", "BackupInProgress"; empty when Direct. */
  reason: z.string(),
});
export type CsvNodeState = z.infer<typeof CsvNodeState>;

export const Csv = z.object({
  id: z.string().min(1),
  /** Cluster resource name, e.g. "Cluster Disk 2". */
  name: z.string().min(1),
  /** Mount path, e.g. "C:\\ClusterStorage\\Volume2". */
  path: z.string().min(1),
  ownerNode: z.string(),
  fileSystem: z.enum(['NTFS', 'ReFS']),
  sizeBytes: z.number().nonnegative(),
  freeBytes: z.number().nonnegative(),
  states: z.array(CsvNodeState),
});
export type Csv = z.infer<typeof Csv>;

export const CheckpointType = z.enum(['standard', 'production', 'recovery', 'reference-point']);
export type CheckpointType = z.infer<typeof CheckpointType>;
export const Checkpoint = z.object({
  id: z.string(),
  name: z.string(),
  type: CheckpointType,
  parentId: z.string().nullable(),
  created: z.string(),
  /** Who made it: "admin", "backup", a job id… */
  createdBy: z.string().optional(),
  /** Change-tracking id carried by reference points (2016+). */
  rctId: z.string().optional(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

/** One file of a disk's chain: the base .vhdx or an .avhdx, with the checkpoint it belongs to. */
export const ChainFile = z.object({
  path: z.string(),
  kind: z.enum(['base', 'differencing']),
  /** Checkpoint whose creation froze this file's parent and started this file; null for the base. */
  checkpointId: z.string().nullable(),
  fileSize: z.number().nonnegative(),
  parentPath: z.string().nullable(),
});
export type ChainFile = z.infer<typeof ChainFile>;

export const VirtualDisk = z.object({
  id: z.string(),
  /** Path of the active file (newest .avhdx, or the .vhdx when there are no checkpoints). */
  path: z.string(),
  format: z.enum(['vhdx', 'vhd', 'vhds']),
  type: z.enum(['fixed', 'dynamic', 'differencing']),
  virtualSize: z.number().nonnegative(),
  /** Which CSV holds the disk's files (null: local or SMB storage). */
  csvId: z.string().nullable(),
  controller: z.object({
    type: z.enum(['IDE', 'SCSI']),
    number: z.number().int().nonnegative(),
    location: z.number().int().nonnegative(),
  }),
  /** Shared with other VMs (VHD Set or shared VHDX of a guest cluster). */
  shared: z.boolean(),
  /** Disks a host-level backup cannot see. */
  attachment: z.enum(['virtual', 'passthrough', 'iscsi-in-guest']),
  chain: z.array(ChainFile),
});
export type VirtualDisk = z.infer<typeof VirtualDisk>;

export const IntegrationService = z.object({
  name: z.string(),
  enabled: z.boolean(),
  status: z.string(),
});
export const VssWriter = z.object({
  name: z.string(),
  id: z.string().optional(),
  state: z.string(),
  lastError: z.string(),
  retryable: z.boolean(),
});
export type VssWriter = z.infer<typeof VssWriter>;

export const VmState = z.enum(['Running', 'Off', 'Saved', 'Paused']);
export const Vm = z.object({
  id: z.string().uuid(),
  name: z.string().min(1),
  hostNode: z.string(),
  state: VmState,
  generation: z.union([z.literal(1), z.literal(2)]),
  configVersion: z.string(),
  scsiControllers: z.number().int().nonnegative(),
  integrationServices: z.array(IntegrationService),
  checkpointType: z.enum(['Disabled', 'Production', 'ProductionOnly', 'Standard']),
  automaticCheckpoints: z.boolean(),
  checkpoints: z.array(Checkpoint),
  disks: z.array(VirtualDisk),
  groupId: z.string().nullable(),
  tags: z.array(z.string()),
  /** Recovery-time objective in seconds, checked by restore drills. */
  rtoSeconds: z.number().positive().optional(),
});
export type Vm = z.infer<typeof Vm>;

export const VmGroup = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['guest-cluster', 'application']),
  members: z.array(z.string()),
  /** Shared VHD Set path for a guest cluster. */
  vhdSetPath: z.string().optional(),
});
export type VmGroup = z.infer<typeof VmGroup>;

export const Cluster = z.object({
  name: z.string(),
  osVersion: HostOsVersion,
  functionalLevel: z.string(),
  nodes: z.array(ClusterNode),
  csvs: z.array(Csv),
});
export type Cluster = z.infer<typeof Cluster>;

export const EstateSource = z.object({
  kind: z.enum(['lab', 'powershell', 'offline']),
  name: z.string(),
  readOnly: z.boolean(),
  location: z.string(),
});
export type EstateSource = z.infer<typeof EstateSource>;

/** A full inventory snapshot: what the topology, planner, pre-flight and doctor work from. */
export const Inventory = z.object({
  source: EstateSource,
  cluster: Cluster,
  vms: z.array(Vm),
  groups: z.array(VmGroup),
  collectedAt: z.string(),
});
export type Inventory = z.infer<typeof Inventory>;

/** A Hyper-V-style event (VMMS admin log and friends). */
export const HyperVEvent = z.object({
  seq: z.number().int().nonnegative(),
  time: z.string(),
  id: z.number().int(),
  log: z.string(),
  level: z.enum(['Information', 'Warning', 'Error']),
  vmId: z.string().nullable(),
  vmName: z.string().nullable(),
  operation: z.string(),
  message: z.string(),
  taskId: z.string().optional(),
});
export type HyperVEvent = z.infer<typeof HyperVEvent>;
