// Enum tables for PowerShell/WMI values, by name and (where a number may appear) by number.
// Numbers marked [UNVERIFIED] are not documented for the PowerShell enums (hyperv-api.md §16); scripts stringify
// enums, so the numbers are a defensive fallback only.
import type { CsvAccess, HostOsVersion } from '../../../../../shared/model';
import { enumOf, flagsOf } from '../normalize';

type VmPower = 'Running' | 'Off' | 'Saved' | 'Paused';

/** Transitional states count as the state the VM is still in (Stopping/Saving/Pausing: still running). */
const vmStateNames: Record<string, VmPower> = {};
for (const [names, to] of [
  [
    [
      'Running',
      'Starting',
      'Stopping',
      'Reset',
      'Saving',
      'Pausing',
      'Resuming',
      'FastSaving',
      'ComponentServicing',
    ],
    'Running',
  ],
  [['Off'], 'Off'],
  [['Saved', 'FastSaved'], 'Saved'],
  [['Paused'], 'Paused'],
] as const) {
  for (const n of names) {
    vmStateNames[n] = to;
    vmStateNames[`${n}Critical`] = to;
  }
}
/** Msvm_ComputerSystem.EnabledState-derived VMState numbers [UNVERIFIED]. */
export const VmStateEnum = enumOf<VmPower>('VM state', vmStateNames, {
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
});

/** CLUSTER_NODE_STATE: Up 0, Down 1, Paused 2, Joining 3 (clusapi.h) [UNVERIFIED for the PowerShell enum]. */
export const NodeStateEnum = enumOf<'Up' | 'Down' | 'Paused'>(
  'cluster node state',
  { Up: 'Up', Down: 'Down', Paused: 'Paused', Joining: 'Down', Unknown: 'Down' },
  { [-1]: 'Unknown', 0: 'Up', 1: 'Down', 2: 'Paused', 3: 'Joining' },
);

/** CSV per-node state: clusapi CLUSTER_SHARED_VOLUME_STATE (§4.2); both spellings of §4.1. Paused → Unavailable. */
export const CsvStateEnum = enumOf<CsvAccess | 'Paused'>(
  'CSV state',
  {
    Direct: 'Direct',
    Active: 'Direct',
    FileSystemRedirected: 'FileSystemRedirected',
    ActiveRedirected: 'FileSystemRedirected',
    BlockRedirected: 'BlockRedirected',
    ActiveBlockRedirected: 'BlockRedirected',
    Unavailable: 'Unavailable',
    Paused: 'Paused',
  },
  { 0: 'Unavailable', 1: 'Paused', 2: 'Direct', 3: 'FileSystemRedirected', 4: 'BlockRedirected' },
);

export const FsRedirectReason = flagsOf(
  'file-system redirected I/O reason',
  {
    0x1: 'UserRequest',
    0x2: 'UnsafeFileSystemFilter',
    0x4: 'UnsafeVolumeFilter',
    0x8: 'FileSystemTiering',
    0x10: 'BitLockerInitializing',
    0x20: 'ReFs',
  },
  ['NotFileSystemRedirected', 'NotRedirected', 'None'],
);
export const BlockRedirectReason = flagsOf(
  'block redirected I/O reason',
  { 0x1: 'NoDiskConnectivity', 0x2: 'StorageSpaceNotAttached', 0x4: 'VolumeReplicationEnabled' },
  ['NotBlockRedirected', 'NotRedirected', 'None'],
);

/** Msvm_VirtualHardDiskSettingData Format/Type (§5): VHD 2, VHDX 3, VHDSet 4; Fixed 2, Dynamic 3, Differencing 4. */
export const VhdFormatEnum = enumOf<'vhd' | 'vhdx' | 'vhds'>(
  'VHD format',
  { VHD: 'vhd', VHDX: 'vhdx', VHDSet: 'vhds', VHDS: 'vhds' },
  { 2: 'VHD', 3: 'VHDX', 4: 'VHDSet' },
);
export const VhdTypeEnum = enumOf<'fixed' | 'dynamic' | 'differencing'>(
  'VHD type',
  { Fixed: 'fixed', Dynamic: 'dynamic', Differencing: 'differencing' },
  { 2: 'Fixed', 3: 'Dynamic', 4: 'Differencing' },
);

/** ControllerType: IDE 0, SCSI 1 [UNVERIFIED numbers]. */
export const ControllerTypeEnum = enumOf<'IDE' | 'SCSI'>(
  'controller type',
  { IDE: 'IDE', SCSI: 'SCSI' },
  { 0: 'IDE', 1: 'SCSI' },
);

/** CheckpointType cast from UserSnapshotType 2..5 (§6.1) [UNVERIFIED]; absent (2012 R2) → Standard. */
export const CheckpointTypeEnum = enumOf<'Disabled' | 'Production' | 'ProductionOnly' | 'Standard'>(
  'checkpoint type',
  {
    Disabled: 'Disabled',
    Production: 'Production',
    ProductionOnly: 'ProductionOnly',
    Standard: 'Standard',
  },
  { 2: 'Disabled', 3: 'Production', 4: 'ProductionOnly', 5: 'Standard' },
  'Standard',
);

/** Get-VMSnapshot SnapshotType names (§6.1); production and standard checkpoints both report "Standard". */
export const SnapshotTypeEnum = enumOf<'Standard' | 'Recovery' | 'Other'>('snapshot type', {
  Standard: 'Standard',
  Recovery: 'Recovery',
  Planned: 'Other',
  Missing: 'Other',
  Replica: 'Other',
  AppConsistentReplica: 'Other',
  SyncedReplica: 'Other',
});

export const VmGroupTypeEnum = enumOf<'vm' | 'management'>('VM group type', {
  VMCollectionType: 'vm',
  ManagementCollectionType: 'management',
});

/** Windows version → the HostOsVersion the rest of the console reasons about (§14). */
export function hostOsFromVersion(
  major: number,
  minor: number,
  build: number,
): HostOsVersion | undefined {
  if (major === 6 && minor === 1) return '2008R2';
  if (major === 6 && minor === 2) return '2012';
  if (major === 6 && minor === 3) return '2012R2';
  if (major === 10) {
    if (build >= 26100) return '2025';
    if (build >= 20348) return '2022';
    if (build >= 17763) return '2019';
    if (build >= 14393) return '2016';
  }
  return undefined;
}

export const OS_ORDER: readonly HostOsVersion[] = [
  '2008R2',
  '2012',
  '2012R2',
  '2016',
  '2019',
  '2022',
  '2025',
];

/** ClusterFunctionalLevel numbers [UNVERIFIED: not in the reference]: 8 = 2012 R2 … 12 = 2025. */
export function functionalLevelName(level: string | null, fallback: string): string {
  if (level === null || level.trim() === '') return fallback;
  const map: Record<string, string> = {
    '7': '2012',
    '8': '2012R2',
    '9': '2016',
    '10': '2019',
    '11': '2022',
    '12': '2025',
  };
  return map[level.trim()] ?? level.trim();
}
