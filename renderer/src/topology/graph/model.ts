// Pure: the topology model (nodes, CSVs, VMs with their flags) built once from an inventory; filters and layout read it.
import type { Inventory, Vm } from '../../../../shared/model';
import { csvsOfVm, vmFlags, type VmFlag, type VmFlagKind } from '../../../../shared/topology';

export interface TopoVm {
  id: string;
  name: string;
  /** Node the VM runs on. */
  host: string;
  state: Vm['state'];
  tags: string[];
  /** CSVs holding at least one of its disks, in disk order (the first is its primary CSV). */
  csvIds: string[];
  /** Backup-relevant facts from shared/topology (spans CSVs, not the owner, redirected…). */
  flags: VmFlag[];
  /** Lower-cased name, host and tags joined: what the search box matches. */
  searchText: string;
}

export interface TopoCsv {
  id: string;
  name: string;
  /** Mount path, e.g. C:\ClusterStorage\Volume2. */
  path: string;
  /** Node that owns the CSV right now. */
  owner: string;
  /** Nodes whose access is not Direct, with the state and reason Get-ClusterSharedVolumeState gives. */
  redirected: Array<{ node: string; state: string; reason: string }>;
  freeBytes: number;
  sizeBytes: number;
  /** Every VM with a disk on it (unfiltered). */
  vmIds: string[];
}

export interface TopoNode {
  name: string;
  state: string;
  osVersion: string;
  /** Every VM running on it (unfiltered). */
  vmIds: string[];
  /** CSVs it owns. */
  ownedCsvIds: string[];
}

export interface TopologyModel {
  clusterName: string;
  nodes: TopoNode[];
  csvs: TopoCsv[];
  vms: TopoVm[];
  vmById: Map<string, TopoVm>;
  csvById: Map<string, TopoCsv>;
}

/** Flag kinds that make a VM's backup collide or fail: shown as problems. */
export const PROBLEM_FLAGS: readonly VmFlagKind[] = [
  'spans-csvs',
  'not-csv-owner',
  'csv-redirected',
  'no-scsi',
  'shared-disk',
];

export function buildModel(inv: Inventory): TopologyModel {
  const csvIndex = new Map(inv.cluster.csvs.map((c) => [c.id, c]));
  const vms: TopoVm[] = inv.vms.map((vm) => ({
    id: vm.id,
    name: vm.name,
    host: vm.hostNode,
    state: vm.state,
    tags: vm.tags,
    csvIds: csvsOfVm(vm),
    flags: vmFlags(vm, csvIndex),
    searchText: [vm.name, vm.hostNode, ...vm.tags].join(' ').toLowerCase(),
  }));
  const vmsOnCsv = new Map<string, string[]>();
  const vmsOnNode = new Map<string, string[]>();
  for (const vm of vms) {
    for (const c of vm.csvIds) vmsOnCsv.set(c, [...(vmsOnCsv.get(c) ?? []), vm.id]);
    const list = vmsOnNode.get(vm.host);
    if (list) list.push(vm.id);
    else vmsOnNode.set(vm.host, [vm.id]);
  }
  const csvs: TopoCsv[] = inv.cluster.csvs.map((c) => ({
    id: c.id,
    name: c.name,
    path: c.path,
    owner: c.ownerNode,
    redirected: c.states
      .filter((s) => s.state !== 'Direct')
      .map((s) => ({ node: s.node, state: s.state, reason: s.reason })),
    freeBytes: c.freeBytes,
    sizeBytes: c.sizeBytes,
    vmIds: vmsOnCsv.get(c.id) ?? [],
  }));
  const nodes: TopoNode[] = inv.cluster.nodes.map((n) => ({
    name: n.name,
    state: n.state,
    osVersion: n.osVersion,
    vmIds: vmsOnNode.get(n.name) ?? [],
    ownedCsvIds: csvs.filter((c) => c.owner === n.name).map((c) => c.id),
  }));
  return {
    clusterName: inv.cluster.name,
    nodes,
    csvs,
    vms,
    vmById: new Map(vms.map((v) => [v.id, v])),
    csvById: new Map(csvs.map((c) => [c.id, c])),
  };
}
