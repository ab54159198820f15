// Pure: what a selection lights up — a VM lights its CSVs and node, a CSV its VMs and owner, a node its VMs and CSVs.
import type { TopologyModel } from './model';

export type Selection = { kind: 'vm' | 'csv' | 'node'; id: string } | null;

export interface Highlight {
  /** False when nothing is selected: then nothing is dimmed. */
  active: boolean;
  vms: Set<string>;
  csvs: Set<string>;
  nodes: Set<string>;
}

export const NO_HIGHLIGHT: Highlight = {
  active: false,
  vms: new Set(),
  csvs: new Set(),
  nodes: new Set(),
};

export function highlightOf(m: TopologyModel, sel: Selection): Highlight {
  if (!sel) return NO_HIGHLIGHT;
  if (sel.kind === 'vm') {
    const vm = m.vmById.get(sel.id);
    if (!vm) return NO_HIGHLIGHT;
    return {
      active: true,
      vms: new Set([vm.id]),
      csvs: new Set(vm.csvIds),
      nodes: new Set([vm.host]),
    };
  }
  if (sel.kind === 'csv') {
    const c = m.csvById.get(sel.id);
    if (!c) return NO_HIGHLIGHT;
    return {
      active: true,
      vms: new Set(c.vmIds),
      csvs: new Set([c.id]),
      nodes: new Set([c.owner]),
    };
  }
  const n = m.nodes.find((x) => x.name === sel.id);
  if (!n) return NO_HIGHLIGHT;
  return {
    active: true,
    vms: new Set(n.vmIds),
    csvs: new Set(n.ownedCsvIds),
    nodes: new Set([n.name]),
  };
}
