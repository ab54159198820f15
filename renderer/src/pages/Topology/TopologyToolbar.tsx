// The topology toolbar: search, node/CSV/state/problem filters, grouping, and how many VMs are shown.
import type { VmFlagKind } from '../../../../shared/topology';
import { useTopologyUi } from '../../state/topology';
import { isFiltered, type ProblemFilter } from '../../topology/graph/filter';
import type { TopologyModel } from '../../topology/graph/model';

const PROBLEMS: Array<{ value: ProblemFilter; label: string }> = [
  { value: '', label: 'Any VM' },
  { value: 'any', label: 'With a problem' },
  { value: 'none', label: 'Without problems' },
  { value: 'findings', label: 'With pre-flight or doctor findings' },
  { value: 'spans-csvs' satisfies VmFlagKind, label: 'Disks on several CSVs' },
  { value: 'not-csv-owner' satisfies VmFlagKind, label: 'Host is not the CSV owner' },
  { value: 'csv-redirected' satisfies VmFlagKind, label: 'CSV in redirected access' },
  { value: 'no-scsi' satisfies VmFlagKind, label: 'No SCSI controller' },
  { value: 'shared-disk' satisfies VmFlagKind, label: 'Shared disk (guest cluster)' },
];

export function TopologyToolbar({ model, shown }: { model: TopologyModel; shown: number }) {
  const filter = useTopologyUi((s) => s.filter);
  const setFilter = useTopologyUi((s) => s.setFilter);
  const clear = useTopologyUi((s) => s.clearFilter);
  const group = useTopologyUi((s) => s.group);
  const setGroup = useTopologyUi((s) => s.setGroup);
  return (
    <div className="filters" role="search" aria-label="Filter the topology">
      <input
        type="search"
        aria-label="Search VMs"
        placeholder="Search VMs, hosts, tags"
        value={filter.search}
        onChange={(e) => setFilter({ search: e.target.value })}
        className="search"
      />
      <label>
        <span aria-hidden>Node</span>
        <select
          aria-label="Node"
          value={filter.node}
          onChange={(e) => setFilter({ node: e.target.value })}
        >
          <option value="">All nodes</option>
          {model.nodes.map((n) => (
            <option key={n.name} value={n.name}>
              {n.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span aria-hidden>CSV</span>
        <select
          aria-label="CSV"
          value={filter.csvId}
          onChange={(e) => setFilter({ csvId: e.target.value })}
        >
          <option value="">All CSVs</option>
          {model.csvs.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span aria-hidden>State</span>
        <select
          aria-label="State"
          value={filter.state}
          onChange={(e) => setFilter({ state: e.target.value })}
        >
          <option value="">Any state</option>
          {['Running', 'Off', 'Saved', 'Paused'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span aria-hidden>Problem</span>
        <select
          aria-label="Problem"
          value={filter.problem}
          onChange={(e) => setFilter({ problem: e.target.value as ProblemFilter })}
        >
          {PROBLEMS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <div className="segmented" role="group" aria-label="Group VMs by">
        <button type="button" aria-pressed={group === 'node'} onClick={() => setGroup('node')}>
          By node
        </button>
        <button type="button" aria-pressed={group === 'csv'} onClick={() => setGroup('csv')}>
          By CSV
        </button>
      </div>
      <span className="muted num shown" aria-live="polite" data-testid="topology-count">
        {shown === model.vms.length ? `${shown} VMs` : `${shown} of ${model.vms.length} VMs`}
      </span>
      {isFiltered(filter) && (
        <button type="button" className="small" onClick={clear}>
          Clear filters
        </button>
      )}
    </div>
  );
}
