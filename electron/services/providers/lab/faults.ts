// The lab's runtime faults (switched with `hvbc lab fault`), how one changes a VM's fault set, and the guest VSS
// writers the lab reports.
import { HvbcError } from '../../../../shared/errors';
import type { LabFaults } from './definition';

type VmFaultKey = keyof LabFaults;

/** Faults that can be switched at runtime, by CLI name. */
export const LAB_FAULTS: {
  name: string;
  target: 'vm' | 'csv';
  key: VmFaultKey | 'nearlyFull';
  value?: string;
  description: string;
}[] = [
  {
    name: 'failed-vss-writer',
    target: 'vm',
    key: 'failedVssWriter',
    value: 'writer name (default SqlServerWriter)',
    description:
      'A guest VSS writer in [11] Failed / Non-retryable error: production and application-consistent checkpoints fail (32768) or fall back (seed 003).',
  },
  {
    name: 'integration-services-off',
    target: 'vm',
    key: 'integrationServicesOff',
    description:
      'The backup integration service is disabled (event 4093): no application consistency.',
  },
  {
    name: 'no-scsi',
    target: 'vm',
    key: 'noScsiController',
    description:
      'The VM has no SCSI controller: on 2012 R2 it cannot be hot backed up (event 10103).',
  },
  {
    name: 'recovery-checkpoint-never-merges',
    target: 'vm',
    key: 'recoveryCheckpointNeverMerges',
    description:
      'Removing a recovery checkpoint fails to merge (event 19100): it stays listed, its .avhdx stays (seed 003, issue 2).',
  },
  {
    name: 'avhdx-locked',
    target: 'vm',
    key: 'avhdxLocked',
    description:
      "A backup's .avhdx stays locked: the next backup checkpoint fails with FILE_LOCKED until the VM is turned off and on (seed 003, issue 1).",
  },
  {
    name: 'vhd-set-error',
    target: 'vm',
    key: 'vhdSetError',
    value: '32768 | 32770 | 32775 (default 32768)',
    description:
      'Guest cluster VHD Set checkpoint errors with their documented reasons (seed 003).',
  },
  {
    name: 'slow-storage',
    target: 'vm',
    key: 'slowStorageMBps',
    value: 'MB/s (default 20)',
    description:
      "The VM's storage reads slowly (a busy or redirected CSV): backups read its disks at that rate.",
  },
  {
    name: 'heartbeat-fails',
    target: 'vm',
    key: 'heartbeatFails',
    description: 'A restored copy of the VM never reports a heartbeat (restore drills).',
  },
  {
    name: 'csv-nearly-full',
    target: 'csv',
    key: 'nearlyFull',
    description:
      'The CSV has almost no free space: a checkpoint that needs more fails with OUT_OF_SPACE.',
  },
];

/** Well-known guest VSS writers (ids as vssadmin prints them). */
export const GUEST_WRITERS: Record<string, string> = {
  'System Writer': '{e8132975-6f93-4464-a53e-1050253ae220}',
  'Registry Writer': '{afbab4a2-367d-4d15-a586-71dbb18f8485}',
  'COM+ REGDB Writer': '{542da469-d3e1-473c-9f4f-7847f01fc64f}',
  'WMI Writer': '{a6ad56c2-b509-4e6c-bb19-49d8f43532f0}',
  SqlServerWriter: '{a65faa63-5ea8-4ebc-9dbd-a0c4db26912a}',
  NTDS: '{b2014c9e-8711-4c5c-a5a9-3cf384484757}',
};

export type LabFault = (typeof LAB_FAULTS)[number];

/** The VM's faults with `f` switched on (with its value) or off; refuses a value or a VM the fault does not fit. */
export function withVmFault(
  faults: LabFaults,
  f: LabFault,
  on: boolean,
  value: string | undefined,
  vm: { name: string; hasVhdSet: boolean },
): LabFaults {
  const current: LabFaults = { ...faults };
  const rec = current as Record<string, unknown>;
  if (!on) delete rec[f.key];
  else if (f.key === 'failedVssWriter') current.failedVssWriter = value ?? 'SqlServerWriter';
  else if (f.key === 'vhdSetError') {
    const code = Number(value ?? 32768);
    if (code !== 32768 && code !== 32770 && code !== 32775)
      throw new HvbcError(
        'VALIDATION',
        `vhd-set-error takes 32768, 32770 or 32775, not "${value}".`,
      );
    if (!vm.hasVhdSet)
      throw new HvbcError(
        'VALIDATION',
        `'${vm.name}' has no shared VHD Set; vhd-set-error applies to guest-cluster nodes.`,
      );
    current.vhdSetError = code;
  } else if (f.key === 'slowStorageMBps') {
    const rate = Number(value ?? 20);
    if (!(rate > 0))
      throw new HvbcError('VALIDATION', `slow-storage takes a rate in MB/s, not "${value}".`);
    current.slowStorageMBps = rate;
  } else rec[f.key] = true;
  return current;
}
