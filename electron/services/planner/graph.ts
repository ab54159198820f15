// Pure: the VM ↔ CSV graph — components, disks spanning CSVs, hosts that do not own their CSV, redirected CSVs, load, conflicts.
import type { Csv, Inventory, VirtualDisk, Vm } from '../../../shared/model';
import type {
  BackupMethod,
  Conflict,
  CsvLoad,
  GraphComponent,
  GraphSummary,
  NodeLoad,
  RedirectedCsv,
  VmCsvFact,
} from '../../../shared/planner';
import { vmFlags } from '../../../shared/topology';
import { backupMethodOf } from './versions';

/**
 * Disks that tie a VM to a CSV for a host-level backup: virtual disks on a CSV that are not shared with
 * another VM. Shared disks (VHD Sets) are backed up per guest-cluster group; pass-through and in-guest iSCSI
 * disks are invisible to the host (the pre-flight checks report both).
 */
export function backupDisks(vm: Vm): VirtualDisk[] {
  return vm.disks.filter((d) => d.csvId !== null && !d.shared && d.attachment === 'virtual');
}

/** CSV ids holding the VM's backup disks, in disk order, without repeats. */
export function backupCsvsOf(vm: Vm): string[] {
  return [...new Set(backupDisks(vm).map((d) => d.csvId as string))];
}

/** Bytes a disk occupies on its volume: its chain's files when known, else its virtual size. */
export function diskFootprint(d: VirtualDisk): number {
  const files = d.chain.reduce((s, f) => s + f.fileSize, 0);
  return files > 0 ? files : d.virtualSize;
}

export function csvIndex(inv: Inventory): Map<string, Csv> {
  return new Map(inv.cluster.csvs.map((c) => [c.id, c]));
}

export function csvName(inv: Inventory, id: string): string {
  return inv.cluster.csvs.find((c) => c.id === id)?.name ?? id;
}

export function vmName(inv: Inventory, id: string): string {
  return inv.vms.find((v) => v.id === id)?.name ?? id;
}

/** Per CSV: which nodes need it for their VMs' backups, and which VMs. */
export function csvNeeds(inv: Inventory): Map<string, Map<string, string[]>> {
  const needs = new Map<string, Map<string, string[]>>(
    inv.cluster.csvs.map((c) => [c.id, new Map()]),
  );
  for (const vm of inv.vms) {
    for (const csvId of backupCsvsOf(vm)) {
      let byNode = needs.get(csvId);
      if (!byNode) needs.set(csvId, (byNode = new Map()));
      const list = byNode.get(vm.hostNode) ?? [];
      list.push(vm.id);
      byNode.set(vm.hostNode, list);
    }
  }
  return needs;
}

/**
 * Conflicts in the VM ↔ CSV layout, worded for the host-VSS era where they make jobs wait (seed 000).
 * - csv-shared:<csv>            VMs on two or more nodes need the CSV: their snapshots take turns.
 * - csv-owner:<csv>:<node>      VMs on <node> need a CSV another node owns: ownership moves first.
 * - vm-spans:<vm>               one VM needs several CSVs at once.
 */
export function findConflicts(inv: Inventory): Conflict[] {
  const out: Conflict[] = [];
  const nameById = new Map(inv.vms.map((v) => [v.id, v.name]));
  const names = (vmIds: string[]) => vmIds.map((id) => nameById.get(id) ?? id).join(', ');
  for (const [csvId, byNode] of csvNeeds(inv)) {
    const csv = inv.cluster.csvs.find((c) => c.id === csvId);
    if (!csv) continue;
    const nodes = [...byNode.keys()].sort();
    const allVms = [...byNode.values()].flat();
    if (nodes.length > 1) {
      out.push({
        id: `csv-shared:${csvId}`,
        kind: 'csv-shared-by-nodes',
        csvIds: [csvId],
        nodes,
        vmIds: allVms,
        message: `${csv.name} holds disks of VMs on ${nodes.map((n) => `${n} (${names(byNode.get(n) ?? [])})`).join(' and ')}: their snapshots of ${csv.name} cannot overlap, each node must take ownership in turn.`,
      });
    }
    for (const node of nodes) {
      if (node === csv.ownerNode) continue;
      const vmIds = byNode.get(node) ?? [];
      out.push({
        id: `csv-owner:${csvId}:${node}`,
        kind: 'csv-not-owned-by-host',
        csvIds: [csvId],
        nodes: [node, csv.ownerNode],
        vmIds,
        message: `${names(vmIds)} on ${node} ${vmIds.length > 1 ? 'have' : 'has'} disks on ${csv.name}, which ${csv.ownerNode} owns: each backup first moves ${csv.name}'s ownership to ${node}.`,
      });
    }
  }
  for (const vm of inv.vms) {
    const csvIds = backupCsvsOf(vm);
    if (csvIds.length < 2) continue;
    out.push({
      id: `vm-spans:${vm.id}`,
      kind: 'vm-spans-csvs',
      csvIds,
      nodes: [vm.hostNode],
      vmIds: [vm.id],
      message: `${vm.name} has disks on ${csvIds.map((c) => csvName(inv, c)).join(' and ')}: its backup needs all of them at once and collides with the jobs of each.`,
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export function isOwnershipConflict(c: Conflict): boolean {
  return c.kind === 'csv-shared-by-nodes' || c.kind === 'csv-not-owned-by-host';
}

/** Connected components of the graph whose vertices are VMs and CSVs and whose edges are disks. */
export function components(inv: Inventory): GraphComponent[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    let c = x;
    while (c !== r) {
      const next = parent.get(c) ?? r;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  for (const c of inv.cluster.csvs) parent.set(`csv:${c.id}`, `csv:${c.id}`);
  for (const vm of inv.vms) {
    parent.set(`vm:${vm.id}`, `vm:${vm.id}`);
    for (const d of vm.disks) {
      if (d.csvId === null) continue;
      if (!parent.has(`csv:${d.csvId}`)) parent.set(`csv:${d.csvId}`, `csv:${d.csvId}`);
      union(`vm:${vm.id}`, `csv:${d.csvId}`);
    }
  }
  const groups = new Map<string, GraphComponent>();
  const order: string[] = [];
  const get = (root: string) => {
    let g = groups.get(root);
    if (!g) {
      g = { id: '', vmIds: [], csvIds: [], nodes: [] };
      groups.set(root, g);
      order.push(root);
    }
    return g;
  };
  for (const c of inv.cluster.csvs) get(find(`csv:${c.id}`)).csvIds.push(c.id);
  for (const vm of inv.vms) {
    const g = get(find(`vm:${vm.id}`));
    g.vmIds.push(vm.id);
    if (!g.nodes.includes(vm.hostNode)) g.nodes.push(vm.hostNode);
  }
  return order.map((root, i) => {
    const g = groups.get(root) as GraphComponent;
    g.nodes.sort();
    return { ...g, id: `component-${i + 1}` };
  });
}

export function csvLoad(inv: Inventory): CsvLoad[] {
  return inv.cluster.csvs.map((c) => {
    const vmIds = new Set<string>();
    const nodes = new Set<string>();
    const disks = new Map<string, VirtualDisk>();
    for (const vm of inv.vms)
      for (const d of vm.disks) {
        if (d.csvId !== c.id) continue;
        vmIds.add(vm.id);
        nodes.add(vm.hostNode);
        disks.set(d.id, d);
      }
    const list = [...disks.values()];
    return {
      csvId: c.id,
      name: c.name,
      ownerNode: c.ownerNode,
      vmCount: vmIds.size,
      diskCount: list.length,
      diskBytes: list.reduce((s, d) => s + d.virtualSize, 0),
      fileBytes: list.reduce((s, d) => s + d.chain.reduce((t, f) => t + f.fileSize, 0), 0),
      freeBytes: c.freeBytes,
      sizeBytes: c.sizeBytes,
      nodesUsing: [...nodes].sort(),
    };
  });
}

export function nodeLoad(inv: Inventory): NodeLoad[] {
  return inv.cluster.nodes.map((n) => {
    const vms = inv.vms.filter((v) => v.hostNode === n.name);
    const disks = new Map<string, number>();
    for (const vm of vms) for (const d of vm.disks) disks.set(d.id, d.virtualSize);
    return {
      node: n.name,
      state: n.state,
      osVersion: n.osVersion,
      vmCount: vms.length,
      runningVmCount: vms.filter((v) => v.state === 'Running').length,
      diskBytes: [...disks.values()].reduce((s, b) => s + b, 0),
      ownedCsvIds: inv.cluster.csvs.filter((c) => c.ownerNode === n.name).map((c) => c.id),
    };
  });
}

export function redirectedCsvs(inv: Inventory, method: BackupMethod): RedirectedCsv[] {
  return inv.cluster.csvs
    .map((c) => ({ c, nodes: c.states.filter((s) => s.state !== 'Direct') }))
    .filter(({ nodes }) => nodes.length > 0)
    .map(({ c, nodes }) => ({
      csvId: c.id,
      name: c.name,
      nodes: nodes.map((s) => ({ node: s.node, state: s.state, reason: s.reason })),
      message: `${c.name} is in redirected access on ${nodes.map((s) => `${s.node} (${s.state}${s.reason ? `: ${s.reason}` : ''})`).join(', ')}: I/O from those nodes goes over the network to ${c.ownerNode}${
        method === 'host-vss-csv'
          ? ', and a snapshot in progress keeps it that way until it is released'
          : ''
      }.`,
    }));
}

/** The whole graph summary the planner view shows. */
export function analyzeGraph(inv: Inventory): GraphSummary {
  const { method, reason } = backupMethodOf(inv);
  const byId = csvIndex(inv);
  const spansCsvs: VmCsvFact[] = [];
  const notCsvOwner: VmCsvFact[] = [];
  for (const vm of inv.vms) {
    for (const f of vmFlags(vm, byId)) {
      const fact = {
        vmId: vm.id,
        vmName: vm.name,
        hostNode: vm.hostNode,
        csvIds: f.csvIds,
        message: f.message,
      };
      if (f.kind === 'spans-csvs') spansCsvs.push(fact);
      if (f.kind === 'not-csv-owner') notCsvOwner.push(fact);
    }
  }
  return {
    clusterName: inv.cluster.name,
    osVersion: inv.cluster.osVersion,
    method,
    methodReason: reason,
    components: components(inv),
    spansCsvs,
    notCsvOwner,
    redirected: redirectedCsvs(inv, method),
    nodeLoad: nodeLoad(inv),
    csvLoad: csvLoad(inv),
    conflicts: findConflicts(inv),
  };
}
