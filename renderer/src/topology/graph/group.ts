// Pure: group the visible VMs into frames (by node or by primary CSV) and pick the row of targets below them.
import type { TopologyModel, TopoVm } from './model';

export type GroupMode = 'node' | 'csv';

export interface Frame {
  /** "node:<name>" or "csv:<id>". */
  id: string;
  kind: GroupMode;
  /** Node name or CSV id. */
  key: string;
  title: string;
  /** Visible VMs in the frame. */
  vmIds: string[];
  /** Every VM the frame would hold without filters. */
  totalVms: number;
}

export interface Target {
  /** "csv:<id>" or "node:<name>". */
  id: string;
  kind: 'csv' | 'node';
  key: string;
  /** Frame it belongs under: the owner node's frame (node mode) or the first owned CSV's frame (CSV mode). */
  anchorFrameIds: string[];
}

export interface Grouping {
  mode: GroupMode;
  frames: Frame[];
  targets: Target[];
}

export const frameId = (kind: GroupMode, key: string): string => `${kind}:${key}`;

/**
 * Node mode: one frame per node holding its VMs; CSVs below, each anchored under its owner.
 * CSV mode: one frame per CSV holding the VMs whose primary (first) disk is on it; nodes below, under the CSVs they own.
 * Frames stay even when a filter empties them, so the picture does not jump; VMs without a CSV sit in a "local storage" frame.
 */
export function groupTopology(
  m: TopologyModel,
  visible: readonly TopoVm[],
  mode: GroupMode,
): Grouping {
  if (mode === 'node') {
    const byNode = new Map<string, string[]>(m.nodes.map((n) => [n.name, []]));
    for (const vm of visible) {
      const list = byNode.get(vm.host);
      if (list) list.push(vm.id);
      else byNode.set(vm.host, [vm.id]);
    }
    const frames: Frame[] = [...byNode.entries()].map(([name, vmIds]) => ({
      id: frameId('node', name),
      kind: 'node',
      key: name,
      title: name,
      vmIds,
      totalVms: m.nodes.find((n) => n.name === name)?.vmIds.length ?? vmIds.length,
    }));
    const targets: Target[] = m.csvs.map((c) => ({
      id: `csv:${c.id}`,
      kind: 'csv',
      key: c.id,
      anchorFrameIds: [frameId('node', c.owner)],
    }));
    return { mode, frames, targets };
  }
  const byCsv = new Map<string, string[]>(m.csvs.map((c) => [c.id, []]));
  const local: string[] = [];
  for (const vm of visible) {
    const primary = vm.csvIds[0];
    const list = primary !== undefined ? byCsv.get(primary) : undefined;
    if (list) list.push(vm.id);
    else local.push(vm.id);
  }
  const frames: Frame[] = m.csvs.map((c) => ({
    id: frameId('csv', c.id),
    kind: 'csv',
    key: c.id,
    title: c.name,
    vmIds: byCsv.get(c.id) ?? [],
    totalVms: m.vms.filter((v) => v.csvIds[0] === c.id).length,
  }));
  const localTotal = m.vms.filter((v) => v.csvIds.length === 0).length;
  if (localTotal > 0)
    frames.push({
      id: frameId('csv', '(local)'),
      kind: 'csv',
      key: '(local)',
      title: 'Local or SMB storage',
      vmIds: local,
      totalVms: localTotal,
    });
  const targets: Target[] = m.nodes.map((n) => ({
    id: `node:${n.name}`,
    kind: 'node',
    key: n.name,
    anchorFrameIds: n.ownedCsvIds.map((id) => frameId('csv', id)),
  }));
  return { mode, frames, targets };
}
