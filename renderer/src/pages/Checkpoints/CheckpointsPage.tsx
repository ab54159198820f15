// Checkpoints page: per VM the checkpoint tree and per disk the file chain, with the checkpoint doctor's findings and repairs.
import { useMemo, useState } from 'react';
import type { Inventory } from '../../../../shared/model';
import { ErrorNote } from '../../components/ErrorNote';
import { inventoryFallback } from '../../components/InventoryFallback';
import { useInventory } from '../../features/estate/queries';
import { useDoctor } from '../../features/planner/queries';
import { useUi } from '../../state/ui';
import { CheckpointTree } from './CheckpointTree';
import { DiskChain } from './DiskChain';
import { DoctorPanel } from './DoctorPanel';

function VmList({
  inv,
  vmId,
  counts,
}: {
  inv: Inventory;
  vmId: string | undefined;
  counts: Map<string, number>;
}) {
  const select = useUi((s) => s.setCheckpointsVm);
  const [q, setQ] = useState('');
  const [onlyIssues, setOnlyIssues] = useState(false);
  const shown = inv.vms.filter(
    (v) =>
      (!q || v.name.toLowerCase().includes(q.toLowerCase())) &&
      (!onlyIssues || v.checkpoints.length > 0 || (counts.get(v.id) ?? 0) > 0),
  );
  return (
    <nav className="list" aria-label="VMs">
      <input
        type="search"
        aria-label="Find a VM"
        placeholder="Find a VM"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      <label className="check small">
        <input
          type="checkbox"
          checked={onlyIssues}
          onChange={(e) => setOnlyIssues(e.target.checked)}
        />{' '}
        With checkpoints or findings
      </label>
      <div className="list-scroll">
        {shown.map((v) => {
          const n = counts.get(v.id) ?? 0;
          const depth = Math.max(0, ...v.disks.map((d) => d.chain.length - 1));
          return (
            <button
              key={v.id}
              type="button"
              className={v.id === vmId ? 'active' : ''}
              aria-current={v.id === vmId ? 'true' : undefined}
              onClick={() => select(v.id)}
            >
              <span className="grow">{v.name}</span>
              {v.checkpoints.length > 0 && (
                <span
                  className="muted small num"
                  title={`${v.checkpoints.length} checkpoints, chain depth ${depth}`}
                >
                  {v.checkpoints.length} cp
                </span>
              )}
              {n > 0 && (
                <span className="fbadge sev-warning" aria-label={`${n} doctor findings`}>
                  ⚠ {n}
                </span>
              )}
            </button>
          );
        })}
      </div>
    </nav>
  );
}

export function CheckpointsPage() {
  const inv = useInventory();
  const doctor = useDoctor();
  const vmId = useUi((s) => s.checkpointsVmId);
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    for (const f of doctor.data?.findings ?? [])
      if (f.vmId) m.set(f.vmId, (m.get(f.vmId) ?? 0) + 1);
    return m;
  }, [doctor.data]);
  const fallback = inventoryFallback(inv);
  if (fallback || !inv.data) return fallback;
  const first =
    inv.data.vms.find((v) => v.checkpoints.length > 0 || counts.has(v.id)) ?? inv.data.vms[0];
  const vm = inv.data.vms.find((v) => v.id === vmId) ?? first;
  const findings =
    doctor.data?.findings.filter(
      (f) =>
        f.vmId === vm?.id ||
        (!f.vmId && vm?.disks.some((d) => d.chain.some((c) => c.path === f.path))),
    ) ?? [];
  return (
    <div className="page split">
      <VmList inv={inv.data} vmId={vm?.id} counts={counts} />
      {vm && (
        <section className="detail" aria-labelledby="cp-vm-title">
          <div className="toolbar">
            <h1 id="cp-vm-title">{vm.name}</h1>
            <span className="muted">
              {vm.hostNode} · {vm.state} · checkpoint type {vm.checkpointType}
              {vm.automaticCheckpoints ? ' · automatic checkpoints on' : ''}
            </span>
          </div>
          <div className="card">
            <h2>Checkpoint tree</h2>
            <CheckpointTree vm={vm} findings={findings} />
          </div>
          <div className="card">
            <h2>Disk chains</h2>
            {vm.disks.map((d) => (
              <DiskChain key={d.id} vm={vm} disk={d} findings={findings} />
            ))}
          </div>
          {doctor.isError ? (
            <ErrorNote
              title="The checkpoint doctor could not scan"
              error={doctor.error}
              onRetry={() => void doctor.refetch()}
            />
          ) : doctor.data ? (
            <DoctorPanel vmId={vm.id} report={doctor.data} />
          ) : (
            <p className="muted">The checkpoint doctor is scanning…</p>
          )}
        </section>
      )}
    </div>
  );
}
