// Maps the pure layout onto React Flow nodes: frames and targets only (VMs and edges are drawn in their own layers).
import type { Node } from '@xyflow/react';
import type { Frame, Grouping, Target } from './graph/group';
import type { TopologyLayout } from './graph/layout';

export interface FrameData extends Record<string, unknown> {
  frame: Frame;
}
export interface TargetData extends Record<string, unknown> {
  target: Target;
}

export type FrameFlowNode = Node<FrameData, 'frame'>;
export type TargetFlowNode = Node<TargetData, 'target'>;

export function flowNodes(g: Grouping, l: TopologyLayout): Node[] {
  const nodes: Node[] = [];
  // Not selectable or draggable, but their buttons take clicks (React Flow would set pointer-events: none).
  const common = {
    draggable: false,
    selectable: false,
    focusable: false,
    style: { pointerEvents: 'all' as const },
  };
  for (const f of g.frames) {
    const box = l.frames.get(f.id);
    if (!box) continue;
    const n: FrameFlowNode = {
      id: f.id,
      type: 'frame',
      position: { x: box.x, y: box.y },
      width: box.w,
      height: box.h,
      data: { frame: f },
      zIndex: 1,
      ...common,
    };
    nodes.push(n);
  }
  for (const t of g.targets) {
    const box = l.targets.get(t.id);
    if (!box) continue;
    const n: TargetFlowNode = {
      id: t.id,
      type: 'target',
      position: { x: box.x, y: box.y },
      width: box.w,
      height: box.h,
      data: { target: t },
      zIndex: 1,
      ...common,
    };
    nodes.push(n);
  }
  return nodes;
}
