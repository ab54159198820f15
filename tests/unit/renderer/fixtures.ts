// Hand-built inventories for the renderer's pure graph modules: a small "real life" cluster and a 1,000-VM one.
import type { Csv, Inventory, Vm } from '../../../shared/model';

const GiB = 1024 ** 3;

function csv(n: number, owner: string, redirectedOn: string[] = []): Csv {
  return {
    id: `csv${n}`,
    name: `Cluster Disk ${n}`,
    path: `C:\\ClusterStorage\\Volume${n}`,
    ownerNode: owner,
    fileSystem: 'NTFS',
    sizeBytes: 512 * GiB,
    freeBytes: 256 * GiB,
    states: ['HV-A', 'HV-B', 'HV-C'].map((node) => ({
      node,
      state: redirectedOn.includes(node) ? ('FileSystemRedirected' as const) : ('Direct' as const),
      reason: redirectedOn.includes(node) ? 'UserRequest' : '',
    })),
  };
}

let counter = 0;
function uuid(): string {
  counter++;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

export function vm(
  name: string,
  host: string,
  csvIds: Array<string | null>,
  extra: Partial<Vm> = {},
): Vm {
  return {
    id: uuid(),
    name,
    hostNode: host,
    state: 'Running',
    generation: 2,
    configVersion: '9.0',
    scsiControllers: 1,
    integrationServices: [],
    checkpointType: 'Production',
    automaticCheckpoints: false,
    checkpoints: [],
    disks: csvIds.map((c, i) => ({
      id: `${name}-d${i}`,
      path: `C:\\ClusterStorage\\Volume${c?.replace('csv', '') ?? 'X'}\\${name}\\${name}-${i}.vhdx`,
      format: 'vhdx' as const,
      type: 'dynamic' as const,
      virtualSize: GiB,
      csvId: c,
      controller: { type: 'SCSI' as const, number: 0, location: i },
      shared: false,
      attachment: 'virtual' as const,
      chain: [],
    })),
    groupId: null,
    tags: [],
    ...extra,
  };
}

/** 3 nodes, 4 CSVs; SQL01 spans csv1+csv2 and runs on HV-A while HV-B owns csv2; csv3 is redirected on HV-C. */
export function smallInventory(): Inventory {
  return {
    source: { kind: 'lab', name: 'test', readOnly: false, location: '/tmp/lab' },
    cluster: {
      name: 'HVCLUSTER01',
      osVersion: '2019',
      functionalLevel: '2019',
      nodes: ['HV-A', 'HV-B', 'HV-C'].map((name) => ({
        name,
        state: 'Up' as const,
        osVersion: '2019' as const,
      })),
      csvs: [csv(1, 'HV-A'), csv(2, 'HV-B'), csv(3, 'HV-C', ['HV-C']), csv(4, 'HV-A')],
    },
    vms: [
      vm('DC01', 'HV-A', ['csv1'], { tags: ['infra'] }),
      vm('SQL01', 'HV-A', ['csv1', 'csv2'], { tags: ['sql', 'prod'] }),
      vm('WEB01', 'HV-B', ['csv2'], { tags: ['web'] }),
      vm('WEB02', 'HV-C', ['csv2'], { tags: ['web'], state: 'Off' }),
      vm('APP01', 'HV-C', ['csv3'], { tags: ['app'] }),
      vm('LEGACY01', 'HV-C', ['csv4'], { scsiControllers: 0 }),
      vm('LOCAL01', 'HV-B', [null]),
    ],
    groups: [],
    collectedAt: '2026-01-01T00:00:00Z',
  };
}

/** The lab's "large" scenario shape: 8 nodes, 16 CSVs, 1,000 VMs, every 7th with a second disk. */
export function largeInventory(): Inventory {
  const nodes = Array.from({ length: 8 }, (_, i) => `HV-${String(i + 1).padStart(2, '0')}`);
  const csvs = Array.from({ length: 16 }, (_, i): Csv => ({
    ...csv(i + 1, nodes[i % 8] ?? 'HV-01'),
    states: nodes.map((node) => ({ node, state: 'Direct' as const, reason: '' })),
  }));
  const vms = Array.from({ length: 1000 }, (_, i) => {
    const ids = [`csv${(i % 16) + 1}`];
    if (i % 7 === 0) ids.push(`csv${((i + 5) % 16) + 1}`);
    return vm(`VM${String(i + 1).padStart(4, '0')}`, nodes[i % 8] ?? 'HV-01', ids, {
      tags: [i % 3 === 0 ? 'prod' : 'dev'],
      state: i % 11 === 0 ? 'Off' : 'Running',
    });
  });
  return {
    source: { kind: 'lab', name: 'large', readOnly: false, location: '/tmp/lab' },
    cluster: {
      name: 'HVBIG01',
      osVersion: '2022',
      functionalLevel: '2022',
      nodes: nodes.map((name) => ({ name, state: 'Up' as const, osVersion: '2022' as const })),
      csvs,
    },
    vms,
    groups: [],
    collectedAt: '2026-01-01T00:00:00Z',
  };
}
