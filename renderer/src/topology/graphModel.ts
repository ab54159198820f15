// Pure: the topology graph (host groups holding VMs, CSVs, VM→CSV edges) built from an inventory and its flags.
import type { Inventory } from '../../../shared/model';
import { csvsOfVm, flagsOf, type VmFlag } from '../../../shared/topology';

export const VM_W = 168;
export const VM_H = 48;
export const CSV_W = 220;
export const CSV_H = 76;

export interface HostGroup {
  id: string;
  name: string;
  state: string;
  vmIds: string[];
}
export interface VmNodeData {
  id: string;
  name: string;
  host: string;
  state: string;
  flags: VmFlag[];
  csvIds: string[];
}
export interface CsvNodeData {
  id: string;
  name: string;
  path: string;
  owner: string;
  redirected: Array<{ node: string; state: string; reason: string }>;
  freeBytes: number;
  sizeBytes: number;
  vmIds: string[];
}
export interface TopologyEdge {
  id: string;
  vmId: string;
  csvId: string;
  /** The VM's host does not own this CSV. */
  foreign: boolean;
}
export interface TopologyModel {
  hosts: HostGroup[];
  vms: VmNodeData[];
  csvs: CsvNodeData[];
  edges: TopologyEdge[];
}

export interface TopologyFilter {
  search?: string;
  /** Only VMs with at least one flag. */
  problemsOnly?: boolean;
}

export function buildTopology(inv: Inventory, filter: TopologyFilter = {}): TopologyModel {
  const flags = flagsOf(inv);
  const q = (filter.search ?? '').trim().toLowerCase();
  const visible = inv.vms.filter((vm) => {
    if (filter.problemsOnly && (flags.get(vm.id) ?? []).length === 0) return false;
    if (!q) return true;
    return vm.name.toLowerCase().includes(q) || vm.hostNode.toLowerCase().includes(q) || vm.tags.some((t) => t.toLowerCase().includes(q));
  });
  const csvOwner = new Map(inv.cluster.csvs.map((c) => [c.id, c.ownerNode]));
  const vms: VmNodeData[] = visible.map((vm) => ({
    id: vm.id,
    name: vm.name,
    host: vm.hostNode,
    state: vm.state,
    flags: flags.get(vm.id) ?? [],
    csvIds: csvsOfVm(vm),
  }));
  const edges: TopologyEdge[] = vms.flatMap((vm) =>
    vm.csvIds.map((csvId) => ({ id: `${vm.id}->${csvId}`, vmId: vm.id, csvId, foreign: csvOwner.get(csvId) !== vm.host })),
  );
  const hosts: HostGroup[] = inv.cluster.nodes.map((n) => ({
    id: `host:${n.name}`,
    name: n.name,
    state: n.state,
    vmIds: vms.filter((v) => v.host === n.name).map((v) => v.id),
  }));
  const csvs: CsvNodeData[] = inv.cluster.csvs.map((c) => ({
    id: c.id,
    name: c.name,
    path: c.path,
    owner: c.ownerNode,
    redirected: c.states.filter((s) => s.state !== 'Direct'),
    freeBytes: c.freeBytes,
    sizeBytes: c.sizeBytes,
    vmIds: vms.filter((v) => v.csvIds.includes(c.id)).map((v) => v.id),
  }));
  return { hosts, vms, csvs, edges };
}
