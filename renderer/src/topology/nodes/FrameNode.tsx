// A frame in the top row: a node (or a CSV) whose VMs the cell layer draws inside it; the title selects the node or CSV.
import { type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useTopology } from '../context';
import type { FrameFlowNode } from '../flowElements';

export const FrameNode = memo(function FrameNode({ data }: NodeProps<FrameFlowNode>) {
  const { frame } = data;
  const { hl, select, model, selection } = useTopology();
  const isNode = frame.kind === 'node';
  const node = isNode ? model?.nodes.find((n) => n.name === frame.key) : undefined;
  const csv = !isNode ? model?.csvById.get(frame.key) : undefined;
  const frameHot = hl.active && (isNode ? hl.nodes.has(frame.key) : hl.csvs.has(frame.key));
  const frameSelected = selection?.id === frame.key && selection.kind === (isNode ? 'node' : 'csv');
  const shown =
    frame.vmIds.length === frame.totalVms
      ? `${frame.totalVms} VMs`
      : `${frame.vmIds.length} of ${frame.totalVms} VMs`;
  const sub = node
    ? `${node.state} · WS ${node.osVersion}`
    : csv
      ? `owner ${csv.owner}${csv.redirected.length ? ' · redirected' : ''}`
      : '';
  return (
    <div
      className={`frame ${frame.kind} ${frameHot ? 'hot' : ''} ${hl.active && !frameHot ? 'dim' : ''}`}
      data-testid={isNode ? `host-${frame.key}` : `csvframe-${frame.key}`}
    >
      <div className="frame-title">
        <button
          type="button"
          className="frame-name"
          aria-pressed={frameSelected}
          aria-label={`${frame.title}: ${shown}${sub ? `, ${sub}` : ''}`}
          onClick={() =>
            node
              ? select({ kind: 'node', id: node.name })
              : csv
                ? select({ kind: 'csv', id: csv.id })
                : undefined
          }
        >
          {frame.title}
        </button>
        <span className="muted num">{shown}</span>
        {sub && <span className="muted frame-sub">{sub}</span>}
      </div>
    </div>
  );
});
