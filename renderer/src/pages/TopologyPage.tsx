// Topology page: the cluster graph with search, a problems filter, a legend and the details panel.
import { useMemo, useState } from 'react';
import { useInventory } from '../api/queries';
import { DetailsPanel } from '../components/DetailsPanel';
import { useUi } from '../state/ui';
import { buildTopology } from '../topology/graphModel';
import { TopologyView } from '../topology/TopologyView';

export function TopologyPage() {
  const inv = useInventory();
  const search = useUi((s) => s.search);
  const setSearch = useUi((s) => s.setSearch);
  const [problemsOnly, setProblemsOnly] = useState(false);
  const model = useMemo(() => (inv.data ? buildTopology(inv.data, { search, problemsOnly }) : null), [inv.data, search, problemsOnly]);

  if (inv.isError) return <div className="error" role="alert">Could not read the estate: {inv.error.message}</div>;
  if (!inv.data || !model) return <div className="loading">Reading the estate…</div>;
  const flagged = model.vms.filter((v) => v.flags.some((f) => f.kind === 'spans-csvs' || f.kind === 'not-csv-owner')).length;
  return (
    <div className="page topology">
      <div className="toolbar">
        <h1>{inv.data.cluster.name}</h1>
        <span className="muted">
          Windows Server {inv.data.cluster.osVersion} · {inv.data.cluster.nodes.length} nodes · {inv.data.cluster.csvs.length} CSVs · {inv.data.vms.length} VMs · {flagged} with backup collisions
        </span>
        <span className="spacer" />
        <input aria-label="Search VMs" placeholder="Search VMs, hosts, tags" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly(e.target.checked)} /> Problems only
        </label>
      </div>
      <div className="legend" aria-label="Legend">
        <span className="badge spans-csvs">n CSVs</span> disks span CSVs
        <span className="badge not-csv-owner">not owner</span> host does not own the CSV
        <span className="edge-sample foreign" /> disk on a CSV owned by another node
      </div>
      <div className="canvas">
        <TopologyView model={model} />
        <DetailsPanel inv={inv.data} />
      </div>
    </div>
  );
}
