// Built-in lab scenarios: the seed-000 "real life" default, a 2012 R2 VSS-era cluster, a 2016 guest cluster, and "large".
import type { LabDefinition, LabVm } from './definition';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

type VmInput = Partial<LabVm> & Pick<LabVm, 'name' | 'host' | 'disks'>;

function vm(v: VmInput): LabVm {
  return {
    state: 'Running',
    generation: 2,
    configVersion: '9.0',
    scsiControllers: 1,
    checkpointType: 'Production',
    automaticCheckpoints: false,
    tags: [],
    faults: {},
    ...v,
  };
}

function disk(
  csv: string | undefined,
  file: string,
  sizeMiB: number,
  extra: Partial<LabVm['disks'][number]> = {},
) {
  return {
    ...(csv === undefined ? {} : { csv }),
    file,
    size: sizeMiB * MiB,
    type: 'dynamic' as const,
    controller: 'SCSI' as const,
    shared: false,
    attachment: 'virtual' as const,
    ...extra,
  };
}

function csv(n: number, owner: string, sizeGiB = 512) {
  return {
    id: `csv${n}`,
    name: `Cluster Disk ${n}`,
    volume: `Volume${n}`,
    owner,
    fileSystem: 'NTFS' as const,
    size: sizeGiB * GiB,
    used: 0,
  };
}

/** Seed 000's example 4 ("real life"): VMs spread over nodes, disks spread over CSVs, owners that do not match. */
export function defaultScenario(
  osVersion: LabDefinition['cluster']['osVersion'] = '2019',
): LabDefinition {
  const nodes = ['HV-A', 'HV-B', 'HV-C'];
  return {
    schema: 1,
    name: 'default',
    description:
      'Seed 000 "real life": 3 nodes, 4 CSVs, 13 VMs; several VMs span two CSVs or run on a node that does not own their CSV; a legacy VM without SCSI; a two-node guest cluster sharing a VHD Set.',
    seed: 1,
    cluster: { name: 'HVCLUSTER01', osVersion },
    nodes: nodes.map((name) => ({ name, state: 'Up' as const })),
    csvs: [csv(1, 'HV-A'), csv(2, 'HV-B'), csv(3, 'HV-C'), csv(4, 'HV-A', 256)],
    vms: [
      vm({
        name: 'DC01',
        host: 'HV-A',
        disks: [disk('csv1', 'DC01.vhdx', 96)],
        tags: ['infra'],
        rtoSeconds: 600,
      }),
      vm({
        name: 'SQL01',
        host: 'HV-A',
        disks: [disk('csv1', 'SQL01-os.vhdx', 96), disk('csv2', 'SQL01-data.vhdx', 128)],
        tags: ['sql', 'prod'],
        rtoSeconds: 900,
      }),
      vm({
        name: 'FILE01',
        host: 'HV-B',
        disks: [disk('csv2', 'FILE01-os.vhdx', 64), disk('csv3', 'FILE01-data.vhdx', 160)],
        tags: ['prod'],
      }),
      vm({ name: 'WEB01', host: 'HV-B', disks: [disk('csv2', 'WEB01.vhdx', 64)], tags: ['web'] }),
      vm({ name: 'WEB02', host: 'HV-C', disks: [disk('csv2', 'WEB02.vhdx', 64)], tags: ['web'] }),
      vm({ name: 'APP01', host: 'HV-C', disks: [disk('csv3', 'APP01.vhdx', 64)], tags: ['app'] }),
      vm({ name: 'APP02', host: 'HV-A', disks: [disk('csv3', 'APP02.vhdx', 64)], tags: ['app'] }),
      vm({
        name: 'EXCH01',
        host: 'HV-B',
        disks: [disk('csv4', 'EXCH01-os.vhdx', 64), disk('csv1', 'EXCH01-logs.vhdx', 64)],
        tags: ['prod'],
      }),
      vm({
        name: 'LEGACY01',
        host: 'HV-C',
        generation: 1,
        configVersion: '5.0',
        scsiControllers: 0,
        checkpointType: 'Standard',
        disks: [disk('csv4', 'LEGACY01.vhdx', 64, { controller: 'IDE' })],
        tags: ['legacy'],
      }),
      vm({
        name: 'BUILD01',
        host: 'HV-C',
        state: 'Off',
        disks: [disk('csv3', 'BUILD01.vhdx', 64)],
        tags: ['dev'],
        automaticCheckpoints: true,
      }),
      vm({
        name: 'SQLCL-N1',
        host: 'HV-A',
        group: 'SQLCL',
        disks: [
          disk('csv1', 'SQLCL-N1.vhdx', 64),
          disk('csv4', 'SQLCL-shared.vhds', 64, { shared: true }),
        ],
        tags: ['sql', 'guest-cluster'],
      }),
      vm({
        name: 'SQLCL-N2',
        host: 'HV-B',
        group: 'SQLCL',
        disks: [
          disk('csv2', 'SQLCL-N2.vhdx', 64),
          disk('csv4', 'SQLCL-shared.vhds', 64, { shared: true }),
        ],
        tags: ['sql', 'guest-cluster'],
      }),
      vm({ name: 'MON01', host: 'HV-A', disks: [disk('csv4', 'MON01.vhdx', 64)], tags: ['infra'] }),
    ],
    groups: [{ name: 'SQLCL', kind: 'guest-cluster', vhdSet: 'csv4/SQLCL-shared.vhds' }],
  };
}

/** A Windows Server 2012 R2 cluster: host VSS, AutoRecovery checkpoints, no change tracking, SCSI required. */
export function scenario2012R2(): LabDefinition {
  const def = defaultScenario('2012R2');
  return {
    ...def,
    name: '2012r2',
    description:
      'Windows Server 2012 R2: host-level VSS snapshots, CSV redirected access, no resilient change tracking.',
    vms: def.vms
      .filter((v) => v.group === undefined)
      .map((v) => ({ ...v, configVersion: '5.0', checkpointType: 'Standard' as const })),
    groups: [],
  };
}

/** A Windows Server 2016 cluster with a guest cluster on a VHD Set. */
export function scenario2016(): LabDefinition {
  return {
    ...defaultScenario('2016'),
    name: '2016',
    description:
      'Windows Server 2016: RCT, recovery checkpoints, reference points; a guest cluster on a VHD Set.',
  };
}

/** Scale: 8 nodes, 16 CSVs, 1,000 VMs with small disks (spread deterministically). */
export function scenarioLarge(): LabDefinition {
  const nodes = Array.from({ length: 8 }, (_, i) => `HV-${String(i + 1).padStart(2, '0')}`);
  const csvs = Array.from({ length: 16 }, (_, i) => csv(i + 1, nodes[i % 8] ?? 'HV-01', 2048));
  const vms: LabVm[] = [];
  for (let i = 0; i < 1000; i++) {
    const host = nodes[i % 8] ?? 'HV-01';
    const c1 = `csv${(i % 16) + 1}`;
    const disks = [disk(c1, `VM${i + 1}.vhdx`, 8)];
    if (i % 7 === 0) disks.push(disk(`csv${((i + 5) % 16) + 1}`, `VM${i + 1}-data.vhdx`, 8));
    vms.push(
      vm({
        name: `VM${String(i + 1).padStart(4, '0')}`,
        host,
        disks,
        state: i % 11 === 0 ? 'Off' : 'Running',
        tags: [i % 3 === 0 ? 'prod' : 'dev'],
      }),
    );
  }
  return {
    schema: 1,
    name: 'large',
    description: '8 nodes, 16 CSVs, 1,000 VMs with small disks, for scale.',
    seed: 1,
    cluster: { name: 'HVBIG01', osVersion: '2022' },
    nodes: nodes.map((name) => ({ name, state: 'Up' as const })),
    csvs,
    vms,
    groups: [],
  };
}

export const scenarios: Record<string, () => LabDefinition> = {
  default: () => defaultScenario(),
  '2012r2': scenario2012R2,
  '2016': scenario2016,
  large: scenarioLarge,
};
export const scenarioNames = Object.keys(scenarios);
