// The topology canvas: React Flow draws frames (nodes or CSVs with their VMs), the row of targets below, and edges.
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow, useStore, type Node } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo } from 'react';
import { useTopologyUi } from '../state/topology';
import { TopologyContext, type TopologyContextValue } from './context';
import { flowEdges, flowNodes } from './flowElements';
import { buildEdges } from './graph/edges';
import type { FindingIndex } from './graph/findings';
import type { Grouping } from './graph/group';
import { highlightOf } from './graph/highlight';
import type { TopologyLayout } from './graph/layout';
import type { TopologyModel } from './graph/model';
import { AnchorNode } from './nodes/AnchorNode';
import { FrameNode } from './nodes/FrameNode';
import { TargetNode } from './nodes/TargetNode';

const nodeTypes = { frame: FrameNode, target: TargetNode, anchor: AnchorNode };

interface Props {
  model: TopologyModel;
  grouping: Grouping;
  layout: TopologyLayout;
  findings: FindingIndex | null;
}

/** Refit the view when the picture's shape or the canvas size changes (filters, grouping, window), not on selection. */
function FitOnChange({ shapeKey }: { shapeKey: string }) {
  const rf = useReactFlow();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  useEffect(() => {
    if (!width || !height) return;
    const id = requestAnimationFrame(() => void rf.fitView({ padding: 0.05, duration: 0 }));
    return () => cancelAnimationFrame(id);
  }, [shapeKey, width, height, rf]);
  return null;
}

function miniColor(n: Node): string {
  return n.type === 'frame' ? 'var(--panel2)' : n.type === 'target' ? 'var(--accent)' : 'transparent';
}

export function TopologyView({ model, grouping, layout, findings }: Props) {
  const selection = useTopologyUi((s) => s.selection);
  const select = useTopologyUi((s) => s.select);
  const hl = useMemo(() => highlightOf(model, selection), [model, selection]);
  const nodes = useMemo(() => flowNodes(model, grouping, layout, selection), [model, grouping, layout, selection]);
  const edges = useMemo(() => flowEdges(buildEdges(model, grouping, layout.density, hl, selection)), [model, grouping, layout.density, hl, selection]);
  const ctx = useMemo<TopologyContextValue>(() => ({ model, hl, selection, findings, density: layout.density, select }), [model, hl, selection, findings, layout.density, select]);
  const shapeKey = `${grouping.mode}:${layout.width}x${layout.height}:${layout.cells.size}`;

  return (
    <TopologyContext.Provider value={ctx}>
      <ReactFlowProvider>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={{ padding: 0.06 }}
          minZoom={0.05}
          maxZoom={2.5}
          nodesConnectable={false}
          nodesDraggable={false}
          elementsSelectable={false}
          nodesFocusable={false}
          edgesFocusable={false}
          onlyRenderVisibleElements
          onPaneClick={() => select(null)}
          proOptions={{ hideAttribution: true }}
          aria-label="Cluster topology"
        >
          <FitOnChange shapeKey={shapeKey} />
          <Background gap={24} />
          <Controls showInteractive={false} />
          {layout.density === 'compact' && <MiniMap pannable zoomable nodeColor={miniColor} style={{ width: 170, height: 100 }} maskColor="color-mix(in srgb, var(--bg) 60%, transparent)" />}
        </ReactFlow>
      </ReactFlowProvider>
    </TopologyContext.Provider>
  );
}
