// Lays the topology out with elkjs (layered, top-down): host groups with their VMs above, CSVs below.
import ELK, { type ElkNode } from 'elkjs/lib/elk.bundled.js';
import { CSV_H, CSV_W, VM_H, VM_W, type TopologyModel } from './graphModel';

export interface Positioned {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  parentId?: string;
}

const elk = new ELK();

export async function layoutTopology(m: TopologyModel): Promise<Map<string, Positioned>> {
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.nodeNode': '24',
      'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: [
      ...m.hosts.map((h) => ({
        id: h.id,
        layoutOptions: {
          'elk.algorithm': 'rectpacking',
          'elk.padding': '[top=36,left=14,bottom=14,right=14]',
          'elk.spacing.nodeNode': '12',
          'elk.aspectRatio': '1.6',
        },
        children: h.vmIds.map((id) => ({ id, width: VM_W, height: VM_H })),
      })),
      ...m.csvs.map((c) => ({ id: c.id, width: CSV_W, height: CSV_H })),
    ],
    edges: m.hosts.flatMap((h) =>
      m.csvs.filter((c) => c.owner === h.name).map((c) => ({ id: `own:${c.id}`, sources: [h.id], targets: [c.id] })),
    ),
  };
  const out = await elk.layout(graph);
  const pos = new Map<string, Positioned>();
  for (const g of out.children ?? []) {
    pos.set(g.id, { id: g.id, x: g.x ?? 0, y: g.y ?? 0, width: g.width ?? 0, height: g.height ?? 0 });
    for (const c of g.children ?? []) {
      pos.set(c.id, { id: c.id, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? VM_W, height: c.height ?? VM_H, parentId: g.id });
    }
  }
  return pos;
}
