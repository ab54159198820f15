// Pure: the edges between the top row (VMs in frames) and the row below (CSVs or nodes), per VM or aggregated per frame.
import type { Grouping } from './group';
import type { Highlight, Selection } from './highlight';
import type { Density } from './layout';
import type { TopologyModel } from './model';

export interface TopoEdge {
  id: string;
  /** "anchor:<vmId>" for a VM's own edge, or a frame id for an aggregated or owner edge. */
  source: string;
  /** A target id ("csv:<id>" or "node:<name>"). */
  target: string;
  kind: 'vm' | 'aggregate' | 'owner';
  /** VMs the edge stands for. */
  count: number;
  /** A disk on a CSV owned by another node than the VM's host (the backup must move ownership or go redirected). */
  foreign: boolean;
  hot: boolean;
  dim: boolean;
}

export const anchorId = (vmId: string): string => `anchor:${vmId}`;

/** VMs whose own edges are drawn: all visible ones when detailed, only the selected VM when compact. */
export function vmsWithOwnEdges(g: Grouping, density: Density, sel: Selection): string[] {
  const visible = g.frames.flatMap((f) => f.vmIds);
  if (density === 'detailed') return visible;
  return sel?.kind === 'vm' && visible.includes(sel.id) ? [sel.id] : [];
}

export function buildEdges(
  m: TopologyModel,
  g: Grouping,
  density: Density,
  hl: Highlight,
  sel: Selection,
): TopoEdge[] {
  const edges: TopoEdge[] = [];
  const own = new Set(vmsWithOwnEdges(g, density, sel));
  const targetsOf = (vmId: string): Array<{ target: string; foreign: boolean; key: string }> => {
    const vm = m.vmById.get(vmId);
    if (!vm) return [];
    if (g.mode === 'node')
      return vm.csvIds.map((c) => ({
        target: `csv:${c}`,
        key: c,
        foreign: m.csvById.get(c)?.owner !== vm.host,
      }));
    const primary = vm.csvIds[0];
    const owner = primary ? m.csvById.get(primary)?.owner : undefined;
    return [
      {
        target: `node:${vm.host}`,
        key: vm.host,
        foreign: owner !== undefined && owner !== vm.host,
      },
    ];
  };
  const targetHot = (key: string) => (g.mode === 'node' ? hl.csvs.has(key) : hl.nodes.has(key));

  for (const vmId of own) {
    for (const t of targetsOf(vmId)) {
      const hot = hl.active && hl.vms.has(vmId) && targetHot(t.key);
      edges.push({
        id: `vm:${vmId}->${t.target}`,
        source: anchorId(vmId),
        target: t.target,
        kind: 'vm',
        count: 1,
        foreign: t.foreign,
        hot,
        dim: hl.active && !hot,
      });
    }
  }

  if (density === 'compact') {
    const agg = new Map<string, TopoEdge>();
    for (const f of g.frames) {
      for (const vmId of f.vmIds) {
        for (const t of targetsOf(vmId)) {
          const id = `agg:${f.id}->${t.target}`;
          const e = agg.get(id);
          if (e) {
            e.count++;
            e.foreign ||= t.foreign;
          } else {
            // A CSV lights the edges into it (node mode) or out of its frame (CSV mode); a node the other way round.
            const hot =
              hl.active &&
              sel !== null &&
              sel.kind !== 'vm' &&
              (g.mode === 'node'
                ? sel.kind === 'csv'
                  ? t.key === sel.id
                  : f.key === sel.id
                : sel.kind === 'csv'
                  ? f.key === sel.id
                  : t.key === sel.id);
            agg.set(id, {
              id,
              source: f.id,
              target: t.target,
              kind: 'aggregate',
              count: 1,
              foreign: t.foreign,
              hot,
              dim: hl.active && !hot,
            });
          }
        }
      }
    }
    edges.push(...agg.values());
  }

  if (g.mode === 'csv') {
    for (const f of g.frames) {
      const c = m.csvById.get(f.key);
      if (!c) continue;
      const hot = hl.active && hl.csvs.has(c.id) && hl.nodes.has(c.owner);
      edges.push({
        id: `own:${f.id}`,
        source: f.id,
        target: `node:${c.owner}`,
        kind: 'owner',
        count: 0,
        foreign: false,
        hot,
        dim: hl.active && !hot,
      });
    }
  }
  return edges;
}
