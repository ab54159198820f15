// Draws topology edges as one SVG in flow coordinates (cheaper than one React Flow edge each), with counts on totals.
import { memo } from 'react';
import type { TopoEdge } from '../graph/edges';
import { edgeGeometry } from '../graph/edgeGeometry';
import type { TopologyLayout } from '../graph/layout';

function strokeWidth(e: TopoEdge): number {
  const w =
    e.kind === 'aggregate' ? Math.min(1 + Math.log2(1 + e.count), 7) : e.kind === 'owner' ? 2 : 1.3;
  return e.hot ? w + 1 : w;
}

export const EdgeLayer = memo(function EdgeLayer({
  edges,
  layout,
  fromCell,
  testId,
}: {
  edges: TopoEdge[];
  layout: TopologyLayout;
  fromCell: boolean;
  testId: string;
}) {
  const drawn = edges.flatMap((e) => {
    const g = edgeGeometry(e, layout, fromCell);
    return g ? [{ e, g }] : [];
  });
  return (
    <svg
      className="edge-layer"
      width={Math.max(1, layout.width)}
      height={Math.max(1, layout.height)}
      data-testid={testId}
      aria-hidden
    >
      {drawn.map(({ e, g }) => (
        <path
          key={e.id}
          d={g.d}
          className={`topo-edge ${e.kind} ${e.foreign ? 'foreign' : ''} ${e.hot ? 'hot' : ''} ${e.dim ? 'dim' : ''}`}
          strokeWidth={strokeWidth(e)}
          fill="none"
        />
      ))}
      {drawn
        .filter(({ e }) => e.kind === 'aggregate' || e.kind === 'owner')
        .map(({ e, g }) => {
          const text = e.kind === 'owner' ? 'owner' : String(e.count);
          const w = 8 + text.length * 7;
          return (
            <g
              key={`l-${e.id}`}
              className={`edge-label ${e.dim ? 'dim' : ''}`}
              transform={`translate(${g.labelX - w / 2}, ${g.labelY - 9})`}
            >
              <rect width={w} height={18} rx={4} />
              <text x={w / 2} y={13} textAnchor="middle">
                {text}
              </text>
            </g>
          );
        })}
    </svg>
  );
});
