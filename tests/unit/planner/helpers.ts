// Test helpers: small lab definitions (seed 000's examples) turned into inventories without any files.
import fc from 'fast-check';
import type { LabDefinition, LabVm } from '../../../electron/services/providers/lab/definition';
import { buildInventory } from '../../../electron/services/providers/lab/inventory';
import { initialState } from '../../../electron/services/providers/lab/state';
import type { HostOsVersion, Inventory } from '../../../shared/model';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

type DiskIn = Partial<LabVm['disks'][number]> & { file: string };
type VmIn = Partial<Omit<LabVm, 'disks'>> & { name: string; host: string; disks: DiskIn[] };

export function vm(v: VmIn): LabVm {
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
    disks: v.disks.map((d) => ({
      size: 1024 * MiB,
      type: 'dynamic',
      controller: 'SCSI',
      shared: false,
      attachment: 'virtual',
      ...d,
    })),
  };
}

export function csv(n: number, owner: string, sizeGiB = 512): LabDefinition['csvs'][number] {
  return {
    id: `csv${n}`,
    name: `CSV ${n}`,
    volume: `Volume${n}`,
    owner,
    fileSystem: 'NTFS',
    size: sizeGiB * GiB,
    used: 0,
  };
}

export function def(
  osVersion: HostOsVersion,
  nodes: string[],
  csvs: LabDefinition['csvs'],
  vms: LabVm[],
  extra: Partial<LabDefinition> = {},
): LabDefinition {
  return {
    schema: 1,
    name: 'test',
    description: '',
    seed: 1,
    cluster: { name: 'TESTCLUSTER', osVersion },
    nodes: nodes.map((name) => ({ name, state: 'Up' as const })),
    csvs,
    vms,
    groups: [],
    ...extra,
  };
}

/**
 * The inventory a fresh lab with this definition shows (no files needed). Changes beyond the definition
 * (checkpoints, owners…) are made on the returned Inventory, the stable shared model, not on lab state.
 */
export function inventoryOf(d: LabDefinition, mutate?: (inv: Inventory) => void): Inventory {
  const inv = buildInventory({
    def: d,
    state: initialState(d),
    location: '/lab',
    fileSizes: {},
    now: '2024-01-01T00:00:00.000Z',
  });
  mutate?.(inv);
  return inv;
}

export function vmByName(inv: Inventory, name: string) {
  const v = inv.vms.find((x) => x.name === name);
  if (!v) throw new Error(`no VM ${name}`);
  return v;
}

/* Seed 000's examples: node A and node B, CSV 1 and CSV 2 (both owned by node B at first). */
const nodesAB = ['NODE-A', 'NODE-B'];

/** Example 1: VM A on node A, its disks on CSV 2. */
export function example1(os: HostOsVersion = '2008R2'): LabDefinition {
  return def(
    os,
    nodesAB,
    [csv(1, 'NODE-B'), csv(2, 'NODE-B')],
    [vm({ name: 'A', host: 'NODE-A', disks: [{ csv: 'csv2', file: 'A.vhdx' }] })],
  );
}

/** Example 2: plus VM B on node B, its disk on CSV 1 which node B owns. */
export function example2(os: HostOsVersion = '2008R2'): LabDefinition {
  const d = example1(os);
  return {
    ...d,
    vms: [...d.vms, vm({ name: 'B', host: 'NODE-B', disks: [{ csv: 'csv1', file: 'B.vhdx' }] })],
  };
}

/** Example 3: someone gave B a second disk on CSV 2. */
export function example3(os: HostOsVersion = '2008R2'): LabDefinition {
  const d = example1(os);
  return {
    ...d,
    vms: [
      ...d.vms,
      vm({
        name: 'B',
        host: 'NODE-B',
        disks: [
          { csv: 'csv1', file: 'B.vhdx' },
          { csv: 'csv2', file: 'B-data.vhdx' },
        ],
      }),
    ],
  };
}

/** fast-check: a random small cluster (1–4 nodes, 1–4 CSVs, 0–10 VMs with 1–3 disks on CSVs or local storage). */
export function arbCluster(os: HostOsVersion | HostOsVersion[] = '2008R2') {
  const oses = Array.isArray(os) ? os : [os];
  return fc
    .record({
      os: fc.constantFrom(...oses),
      nodeCount: fc.integer({ min: 1, max: 4 }),
      csvCount: fc.integer({ min: 1, max: 4 }),
      owners: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      vms: fc.array(
        fc.record({
          host: fc.nat(),
          disks: fc.array(
            fc.record({
              csv: fc.integer({ min: -1, max: 9 }),
              sizeMiB: fc.integer({ min: 1, max: 64 }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          running: fc.boolean(),
        }),
        { maxLength: 10 },
      ),
    })
    .map(({ os: o, nodeCount, csvCount, owners, vms }) => {
      const nodes = Array.from({ length: nodeCount }, (_, i) => `N${i + 1}`);
      const csvs = Array.from({ length: csvCount }, (_, i) =>
        csv(i + 1, nodes[(owners[i] ?? 0) % nodeCount] ?? 'N1', 64),
      );
      const labVms = vms.map((v, i) =>
        vm({
          name: `VM${i + 1}`,
          host: nodes[v.host % nodeCount] ?? 'N1',
          state: v.running ? 'Running' : 'Off',
          disks: v.disks.map((d, j) => ({
            ...(d.csv < 0 ? {} : { csv: `csv${(d.csv % csvCount) + 1}` }),
            file: `VM${i + 1}-${j}.vhdx`,
            size: d.sizeMiB * MiB,
          })),
        }),
      );
      return def(o, nodes, csvs, labVms);
    });
}
