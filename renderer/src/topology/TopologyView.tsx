// The topology canvas: React Flow pans and zooms frames and target cards; VMs and edges are drawn in layers inside it.
import {
  Background,
  Controls,
  EdgeLabelRenderer,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  ViewportPortal,
  type Node,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useLayoutEffect, useMemo } from 'react';
import { useTopologyUi } from '../state/topology';
import { TopologyContext, type TopologyContextValue } from './context';
import { flowNodes } from './flowElements';
import { buildEdges } from './graph/edges';
import type { FindingIndex } from './graph/findings';
import type { Grouping } from './graph/group';
import { highlightOf } from './graph/highlight';
import type { TopologyLayout } from './graph/layout';
import type { TopologyModel } from './graph/model';
import { fitViewport } from './graph/viewport';
import { CellLayer } from './layers/CellLayer';
import { EdgeLayer } from './layers/EdgeLayer';
import { FrameNode } from './nodes/FrameNode';
import { TargetNode } from './nodes/TargetNode';

const nodeTypes = { frame: FrameNode, target: TargetNode };

interface Props {
  model: TopologyModel;
  grouping: Grouping;
  layout: TopologyLayout;
  findings: FindingIndex | null;
}

/**
 * Refit the view when the picture's shape or the canvas size changes (filters, grouping, window), not on selection.
 * The viewport is computed from the layout and set before the browser paints, so a filter costs one frame, not two.
 */
function FitOnChange({
  shapeKey,
  width,
  height,
}: {
  shapeKey: string;
  width: number;
  height: number;
}) {
  const rf = useReactFlow();
  const canvasW = useStore((s) => s.width);
  const canvasH = useStore((s) => s.height);
  useLayoutEffect(() => {
    if (!canvasW || !canvasH) return;
    void rf.setViewport(
      fitViewport(
        { width, height },
        { width: canvasW, height: canvasH },
        { padding: 0.04, minZoom: 0.05, maxZoom: 1.2 },
      ),
    );
  }, [shapeKey, width, height, canvasW, canvasH, rf]);
  return null;
}

function miniColor(n: Node): string {
  return n.type === 'frame' ? 'var(--panel3)' : 'var(--accent)';
}

export function TopologyView({ model, grouping, layout, findings }: Props) {
  const selection = useTopologyUi((s) => s.selection);
  const select = useTopologyUi((s) => s.select);
  const hl = useMemo(() => highlightOf(model, selection), [model, selection]);
  const nodes = useMemo(() => flowNodes(grouping, layout), [grouping, layout]);
  const edges = useMemo(
    () => buildEdges(model, grouping, layout.density, hl, selection),
    [model, grouping, layout.density, hl, selection],
  );
  // Unlit edges run under the frames; lit ones are drawn over the VMs, from the VM itself.
  const cold = useMemo(() => edges.filter((e) => !e.hot), [edges]);
  const hot = useMemo(() => edges.filter((e) => e.hot), [edges]);
  const ctx = useMemo<TopologyContextValue>(
    () => ({ model, hl, selection, findings, density: layout.density, select }),
    [model, hl, selection, findings, layout.density, select],
  );
  const shapeKey = `${grouping.mode}:${layout.width}x${layout.height}:${layout.cells.size}`;

  return (
    <TopologyContext.Provider value={ctx}>
      <ReactFlowProvider>
        <ReactFlow
          nodes={nodes}
          nodeTypes={nodeTypes}
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
          <FitOnChange shapeKey={shapeKey} width={layout.width} height={layout.height} />
          <EdgeLabelRenderer>
            <EdgeLayer edges={cold} layout={layout} fromCell={false} testId="edges" />
          </EdgeLabelRenderer>
          <ViewportPortal>
            <CellLayer
              frames={grouping.frames}
              boxes={layout.frames}
              cells={layout.cells}
              model={model}
              density={layout.density}
              hl={hl}
              findings={findings}
              select={select}
            />
            <EdgeLayer edges={hot} layout={layout} fromCell testId="edges-lit" />
          </ViewportPortal>
          <Background gap={24} />
          <Controls showInteractive={false} />
          {layout.density === 'compact' && (
            <MiniMap
              pannable
              zoomable
              nodeColor={miniColor}
              style={{ width: 170, height: 100 }}
              maskColor="color-mix(in srgb, var(--bg) 60%, transparent)"
            />
          )}
        </ReactFlow>
      </ReactFlowProvider>
    </TopologyContext.Provider>
  );
}
