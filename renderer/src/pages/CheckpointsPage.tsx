// Checkpoints page: per VM the checkpoint tree and, per disk, the file chain (.vhdx → .avhdx …).
import { useState, type ReactElement } from 'react';
import type { Checkpoint, Vm } from '../../../shared/model';
import { useInventory } from '../api/queries';
import { bytes, when } from '../format';

function CheckpointTree({ vm }: { vm: Vm }) {
  const children = (parent: string | null): Checkpoint[] => vm.checkpoints.filter((c) => c.parentId === parent);
  const render = (list: Checkpoint[]): ReactElement => (
    <ul className="tree">
      {list.map((c) => (
        <li key={c.id}>
          <span className={`cptype ${c.type}`}>{c.type}</span> {c.name} <span className="muted">{when(c.created)}{c.createdBy ? ` · by ${c.createdBy}` : ''}</span>
          {children(c.id).length > 0 && render(children(c.id))}
        </li>
      ))}
      <li className="muted">Now (running state)</li>
    </ul>
  );
  if (vm.checkpoints.length === 0) return <p className="muted">No checkpoints.</p>;
  return render(children(null));
}

export function CheckpointsPage() {
  const inv = useInventory();
  const [vmId, setVmId] = useState<string | null>(null);
  if (!inv.data) return <div className="loading">Reading the estate…</div>;
  const vm = inv.data.vms.find((v) => v.id === vmId) ?? inv.data.vms[0];
  return (
    <div className="page split">
      <nav className="list" aria-label="VMs">
        {inv.data.vms.map((v) => (
          <button key={v.id} className={v.id === vm?.id ? 'active' : ''} onClick={() => setVmId(v.id)}>
            {v.name} <span className="muted">{v.checkpoints.length ? `${v.checkpoints.length} cp` : ''}</span>
          </button>
        ))}
      </nav>
      {vm && (
        <section className="detail">
          <h1>{vm.name}</h1>
          <h2>Checkpoint tree</h2>
          <CheckpointTree vm={vm} />
          <h2>Disk chains</h2>
          {vm.disks.map((d) => (
            <div key={d.id} className="chain" data-testid={`chain-${d.id}`}>
              {d.chain.map((f, i) => (
                <span key={f.path} className="chainlink">
                  {i > 0 && <span className="arrow">→</span>}
                  <span className={`file ${f.kind}`} title={f.path}>
                    {f.path.split('\\').pop()} <span className="muted">{bytes(f.fileSize)}</span>
                  </span>
                </span>
              ))}
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
