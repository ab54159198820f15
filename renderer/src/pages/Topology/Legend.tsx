// The topology legend: what badges, colours and edge styles mean.
import type { Density } from '../../topology/graph/layout';
import type { GroupMode } from '../../topology/graph/group';

export function Legend({ density, group }: { density: Density; group: GroupMode }) {
  return (
    <div className="legend" aria-label="Legend">
      <span className="badge spans-csvs">n CSVs</span> disks on several CSVs
      <span className="badge not-csv-owner">not owner</span> host does not own the CSV
      <span className="badge csv-redirected">redirected</span> CSV I/O goes through the owner
      <span className="fbadge sev-warning">⚠ n</span> pre-flight / doctor findings
      <span className="edge-sample foreign" />{' '}
      {group === 'node'
        ? 'disk on a CSV another node owns'
        : 'VM runs on a node that does not own its CSV'}
      {density === 'compact' && (
        <span className="muted">
          · at this scale VMs are chips and edges are totals per {group === 'node' ? 'node' : 'CSV'}
          ; select a VM to see its own
        </span>
      )}
    </div>
  );
}
