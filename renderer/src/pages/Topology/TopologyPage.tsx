// Topology page: the cluster graph with search and filters, grouping, findings badges and the details panel.
import { useDeferredValue, useMemo } from 'react';
import type { Inventory } from '../../../../shared/model';
import { inventoryFallback } from '../../components/InventoryFallback';
import { useInventory } from '../../features/estate/queries';
import { useDoctor, usePreflight } from '../../features/planner/queries';
import { useTopologyUi } from '../../state/topology';
import { filterVms } from '../../topology/graph/filter';
import { csvOfPath, indexFindings } from '../../topology/graph/findings';
import { groupTopology } from '../../topology/graph/group';
import { layoutTopology } from '../../topology/graph/layout';
import { buildModel } from '../../topology/graph/model';
import { TopologyView } from '../../topology/TopologyView';
import { DetailsPanel } from './DetailsPanel';
import { FindingsStatus } from './FindingsStatus';
import { Legend } from './Legend';
import { TopologyToolbar } from './TopologyToolbar';

function Topology({ inv }: { inv: Inventory }) {
  const filter = useTopologyUi((s) => s.filter);
  const group = useTopologyUi((s) => s.group);
  const pre = usePreflight('all');
  const doc = useDoctor();
  const model = useMemo(() => buildModel(inv), [inv]);
  // Findings arrive after the picture: they must not hold up the first render.
  const preData = useDeferredValue(pre.data);
  const docData = useDeferredValue(doc.data);
  const findings = useMemo(
    () =>
      preData || docData ? indexFindings(preData, docData, csvOfPath(inv.cluster.csvs)) : null,
    [preData, docData, inv.cluster.csvs],
  );
  const visible = useMemo(
    () => filterVms(model, filter, findings ?? undefined),
    [model, filter, findings],
  );
  const grouping = useMemo(() => groupTopology(model, visible, group), [model, visible, group]);
  const layout = useMemo(() => layoutTopology(grouping), [grouping]);
  const flagged = model.vms.filter((v) =>
    v.flags.some((f) => f.kind === 'spans-csvs' || f.kind === 'not-csv-owner'),
  ).length;
  const redirected = model.csvs.filter((c) => c.redirected.length > 0).length;

  return (
    <div className="page topology">
      <div className="toolbar">
        <h1>{inv.cluster.name}</h1>
        <span className="muted">
          Windows Server {inv.cluster.osVersion} · {inv.cluster.nodes.length} nodes ·{' '}
          {inv.cluster.csvs.length} CSVs ({redirected} redirected) · {inv.vms.length} VMs ·{' '}
          {flagged} with backup collisions
        </span>
        <span className="spacer" />
        <FindingsStatus pre={pre} doc={doc} />
      </div>
      <TopologyToolbar model={model} shown={visible.length} />
      <Legend density={layout.density} group={group} />
      <div className="canvas">
        <TopologyView model={model} grouping={grouping} layout={layout} findings={findings} />
        <DetailsPanel inv={inv} model={model} findings={findings} />
      </div>
    </div>
  );
}

export function TopologyPage() {
  const inv = useInventory();
  const fallback = inventoryFallback(inv);
  if (fallback || !inv.data) return fallback;
  return <Topology inv={inv.data} />;
}
