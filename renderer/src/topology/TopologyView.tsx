// The topology canvas: @xyflow/react draws host groups, VMs, CSVs and VM→CSV edges laid out by elkjs.
import { Background, Controls, Handle, MiniMap, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useEffect, useMemo, useState } from 'react';
import { useUi } from '../state/ui';
import type { CsvNodeData, TopologyModel, VmNodeData } from './graphModel';
import { layoutTopology, type Positioned } from './layout';

type VmNode = Node<{ vm: VmNodeData; dim: boolean; hot: boolean }, 'vm'>;
type CsvNode = Node<{ csv: CsvNodeData; dim: boolean; hot: boolean }, 'csv'>;
type HostNode = Node<{ name: string; state: string; count: number }, 'host'>;

const VmCard = memo(function VmCard({ data }: NodeProps<VmNode>) {
  const { vm, dim, hot } = data;
  const problem = vm.flags.some((f) => f.kind === 'spans-csvs' || f.kind === 'not-csv-owner');
  return (
    <div className={`tnode vm ${problem ? 'flagged' : ''} ${dim ? 'dim' : ''} ${hot ? 'hot' : ''}`} data-testid={`vm-${vm.name}`} title={vm.flags.map((f) => f.message).join('\n')}>
      <div className="tname">
        <span className={`dot ${vm.state.toLowerCase()}`} aria-hidden />
        {vm.name}
      </div>
      <div className="tbadges">
        {vm.flags.map((f) => (
          <span key={f.kind} className={`badge ${f.kind}`} data-testid={`flag-${vm.name}-${f.kind}`}>
            {f.kind === 'spans-csvs' ? `${f.csvIds.length} CSVs` : f.kind === 'not-csv-owner' ? 'not owner' : f.kind === 'no-scsi' ? 'no SCSI' : f.kind === 'shared-disk' ? 'shared' : 'redirected'}
          </span>
        ))}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const CsvCard = memo(function CsvCard({ data }: NodeProps<CsvNode>) {
  const { csv, dim, hot } = data;
  const pctFree = csv.sizeBytes > 0 ? Math.round((csv.freeBytes / csv.sizeBytes) * 100) : 0;
  return (
    <div className={`tnode csv ${csv.redirected.length ? 'redirected' : ''} ${dim ? 'dim' : ''} ${hot ? 'hot' : ''}`} data-testid={`csv-${csv.id}`}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="tname">{csv.name}</div>
      <div className="tsub">{csv.path.split('\\').pop()} · owner <b>{csv.owner}</b></div>
      <div className="tsub">
        {csv.redirected.length ? `redirected on ${csv.redirected.map((r) => r.node).join(', ')}` : 'direct I/O'} · {pctFree}% free
      </div>
    </div>
  );
});

const HostFrame = memo(function HostFrame({ data }: NodeProps<HostNode>) {
  return (
    <div className="tnode host" data-testid={`host-${data.name}`}>
      <div className="hosttitle">
        {data.name} <span className="muted">· {data.count} VMs · {data.state}</span>
      </div>
    </div>
  );
});

const nodeTypes = { vm: VmCard, csv: CsvCard, host: HostFrame };

export function TopologyView({ model }: { model: TopologyModel }) {
  const [pos, setPos] = useState<Map<string, Positioned> | null>(null);
  const selection = useUi((s) => s.selection);
  const select = useUi((s) => s.select);

  // Layout depends only on the structure, not on selection.
  const structureKey = useMemo(
    () => JSON.stringify([model.hosts.map((h) => [h.id, h.vmIds]), model.csvs.map((c) => [c.id, c.owner])]),
    [model],
  );
  useEffect(() => {
    let live = true;
    void layoutTopology(model).then((p) => live && setPos(p));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structureKey]);

  const { nodes, edges } = useMemo(() => {
    if (!pos) return { nodes: [], edges: [] };
    const hotVms = new Set<string>();
    const hotCsvs = new Set<string>();
    if (selection?.kind === 'vm') {
      hotVms.add(selection.id);
      model.vms.find((v) => v.id === selection.id)?.csvIds.forEach((c) => hotCsvs.add(c));
    } else if (selection?.kind === 'csv') {
      hotCsvs.add(selection.id);
      model.csvs.find((c) => c.id === selection.id)?.vmIds.forEach((v) => hotVms.add(v));
    }
    const focus = hotVms.size + hotCsvs.size > 0;
    const nodes: Node[] = [];
    for (const h of model.hosts) {
      const p = pos.get(h.id);
      if (!p) continue;
      nodes.push({ id: h.id, type: 'host', position: { x: p.x, y: p.y }, data: { name: h.name, state: h.state, count: h.vmIds.length }, style: { width: p.width, height: p.height }, selectable: false, draggable: false, zIndex: -1 });
    }
    for (const vm of model.vms) {
      const p = pos.get(vm.id);
      if (!p) continue;
      nodes.push({ id: vm.id, type: 'vm', position: { x: p.x, y: p.y }, parentId: p.parentId, extent: 'parent', draggable: false, data: { vm, dim: focus && !hotVms.has(vm.id), hot: hotVms.has(vm.id) } });
    }
    for (const c of model.csvs) {
      const p = pos.get(c.id);
      if (!p) continue;
      nodes.push({ id: c.id, type: 'csv', position: { x: p.x, y: p.y }, draggable: false, data: { csv: c, dim: focus && !hotCsvs.has(c.id), hot: hotCsvs.has(c.id) } });
    }
    const edges: Edge[] = model.edges.map((e) => {
      const hot = hotVms.has(e.vmId) && hotCsvs.has(e.csvId);
      return {
        id: e.id,
        source: e.vmId,
        target: e.csvId,
        className: `${e.foreign ? 'foreign' : ''} ${hot ? 'hot' : ''} ${focus && !hot ? 'dim' : ''}`,
        animated: hot,
      };
    });
    return { nodes, edges };
  }, [pos, model, selection]);

  if (!pos) return <div className="loading">Laying out {model.vms.length} VMs…</div>;
  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      fitView
      minZoom={0.05}
      nodesConnectable={false}
      onlyRenderVisibleElements
      onNodeClick={(_e, n) => {
        if (n.type === 'vm') select({ kind: 'vm', id: n.id });
        else if (n.type === 'csv') select({ kind: 'csv', id: n.id });
      }}
      onPaneClick={() => select(null)}
      proOptions={{ hideAttribution: true }}
    >
      <Background gap={24} />
      <Controls showInteractive={false} />
      <MiniMap pannable zoomable />
    </ReactFlow>
  );
}
