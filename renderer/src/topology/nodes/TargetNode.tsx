// A card in the bottom row: a CSV (owner, per-node redirected access, free space) or a node (state, owned CSVs).
import { type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { FindingBadge } from '../../components/FindingBadge';
import { bytes } from '../../format';
import { useTopology } from '../context';
import type { TargetFlowNode } from '../flowElements';
import { countFindings } from '../graph/findings';

export const TargetNode = memo(function TargetNode({ data }: NodeProps<TargetFlowNode>) {
  const { target } = data;
  const { model, hl, findings, select, selection } = useTopology();
  if (target.kind === 'csv') {
    const c = model?.csvById.get(target.key);
    if (!c) return null;
    const hot = hl.active && hl.csvs.has(c.id);
    const pctFree = c.sizeBytes > 0 ? Math.round((c.freeBytes / c.sizeBytes) * 100) : 0;
    const count = countFindings(findings?.byCsv.get(c.id));
    return (
      <div
        className={`tcard csv ${c.redirected.length ? 'redirected' : ''} ${hot ? 'hot' : ''} ${hl.active && !hot ? 'dim' : ''}`}
        data-testid={`csv-${c.id}`}
        onClick={() => select({ kind: 'csv', id: c.id })}
      >
        <div className="tname">
          <button
            type="button"
            className="frame-name"
            aria-pressed={selection?.kind === 'csv' && selection.id === c.id}
            aria-label={`${c.name}, owner ${c.owner}`}
            onClick={(e) => (e.stopPropagation(), select({ kind: 'csv', id: c.id }))}
          >
            {c.name}
          </button>
          <FindingBadge
            count={count}
            label={`${c.name} findings`}
            onOpen={() => select({ kind: 'csv', id: c.id }, 'findings')}
          />
        </div>
        <div className="tsub">
          {c.path.split('\\').pop()} · owner <b>{c.owner}</b>
        </div>
        <div className={`tsub ${c.redirected.length ? 'bad' : ''}`}>
          {c.redirected.length
            ? `redirected on ${c.redirected.map((r) => r.node).join(', ')}`
            : 'direct I/O on every node'}
        </div>
        <div className="tsub num">
          {c.vmIds.length} VMs · {pctFree}% free of {bytes(c.sizeBytes)}
        </div>
      </div>
    );
  }
  const n = model?.nodes.find((x) => x.name === target.key);
  if (!n) return null;
  const hot = hl.active && hl.nodes.has(n.name);
  return (
    <div
      className={`tcard node ${n.state !== 'Up' ? 'down' : ''} ${hot ? 'hot' : ''} ${hl.active && !hot ? 'dim' : ''}`}
      data-testid={`host-${n.name}`}
      onClick={() => select({ kind: 'node', id: n.name })}
    >
      <div className="tname">
        <button
          type="button"
          className="frame-name"
          aria-pressed={selection?.kind === 'node' && selection.id === n.name}
          onClick={(e) => (e.stopPropagation(), select({ kind: 'node', id: n.name }))}
        >
          {n.name}
        </button>
      </div>
      <div className="tsub">
        {n.state} · Windows Server {n.osVersion} · {n.vmIds.length} VMs
      </div>
      <div className="tsub">
        owns{' '}
        {n.ownedCsvIds.length
          ? n.ownedCsvIds.map((id) => model?.csvById.get(id)?.name ?? id).join(', ')
          : 'no CSV'}
      </div>
    </div>
  );
});
