// Maps the pure layout and edges onto React Flow nodes and edges (positions and sizes fixed: nothing to measure).
import type { Edge, Node } from '@xyflow/react';
import { anchorId, vmsWithOwnEdges, type TopoEdge } from './graph/edges';
import type { Grouping, Frame, Target } from './graph/group';
import type { Selection } from './graph/highlight';
import { anchorOf, type Cell, type TopologyLayout } from './graph/layout';
import type { TopoVm, TopologyModel } from './graph/model';

export interface FrameData extends Record<string, unknown> {
  frame: Frame;
  cells: Array<{ vm: TopoVm; cell: Cell }>;
}
export interface TargetData extends Record<string, unknown> {
  target: Target;
}

export type FrameFlowNode = Node<FrameData, 'frame'>;
export type TargetFlowNode = Node<TargetData, 'target'>;
export type AnchorFlowNode = Node<Record<string, never>, 'anchor'>;

export function flowNodes(m: TopologyModel, g: Grouping, l: TopologyLayout, sel: Selection): Node[] {
  const nodes: Node[] = [];
  for (const f of g.frames) {
    const box = l.frames.get(f.id);
    if (!box) continue;
    const cells = f.vmIds.flatMap((id) => {
      const vm = m.vmById.get(id);
      const cell = l.cells.get(id);
      return vm && cell ? [{ vm, cell }] : [];
    });
    const n: FrameFlowNode = {
      id: f.id,
      type: 'frame',
      position: { x: box.x, y: box.y },
      width: box.w,
      height: box.h,
      data: { frame: f, cells },
      // Not selectable or draggable, but its buttons take clicks (React Flow would set pointer-events: none).
      style: { pointerEvents: 'all' },
      draggable: false,
      selectable: false,
      focusable: false,
      zIndex: 1,
    };
    nodes.push(n);
  }
  for (const t of g.targets) {
    const box = l.targets.get(t.id);
    if (!box) continue;
    const n: TargetFlowNode = { id: t.id, type: 'target', position: { x: box.x, y: box.y }, width: box.w, height: box.h, data: { target: t }, style: { pointerEvents: 'all' }, draggable: false, selectable: false, focusable: false, zIndex: 1 };
    nodes.push(n);
  }
  for (const vmId of vmsWithOwnEdges(g, l.density, sel)) {
    const a = anchorOf(l, vmId);
    if (!a) continue;
    const n: AnchorFlowNode = { id: anchorId(vmId), type: 'anchor', position: { x: a.x - 1, y: a.y - 2 }, width: 2, height: 2, data: {}, draggable: false, selectable: false, focusable: false, zIndex: 6 };
    nodes.push(n);
  }
  return nodes;
}

export function flowEdges(edges: TopoEdge[]): Edge[] {
  return edges.map((e) => {
    const cls = ['topo-edge', e.kind, e.foreign ? 'foreign' : '', e.hot ? 'hot' : '', e.dim ? 'dim' : ''].filter(Boolean).join(' ');
    const width = e.kind === 'aggregate' ? Math.min(1 + Math.log2(1 + e.count), 7) : e.kind === 'owner' ? 2 : 1.2;
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      className: cls,
      style: { strokeWidth: e.hot ? width + 1 : width },
      focusable: false,
      selectable: false,
      // Edges pass behind the frames (they seem to leave a frame's bottom); lit ones are drawn on top, from the VM itself.
      zIndex: e.hot ? 5 : 0,
      ...(e.kind === 'aggregate' ? { label: String(e.count), labelBgPadding: [4, 2] as [number, number], labelBgBorderRadius: 4, labelShowBg: true } : {}),
      ...(e.kind === 'owner' ? { label: 'owner', labelShowBg: true } : {}),
    };
  });
}
