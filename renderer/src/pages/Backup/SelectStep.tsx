// Wizard step 1: choose VMs — by hand, all VMs of a CSV or node, or a job from the planner's plan.
import { useMemo, useState } from 'react';
import type { Inventory } from '../../../../shared/model';
import { ErrorNote } from '../../components/ErrorNote';
import { usePlan } from '../../features/planner/queries';
import { bytes, duration } from '../../format';
import { useWizard } from '../../state/backupWizard';

function PlannedGroups({ onPick }: { onPick: (ids: string[]) => void }) {
  const [show, setShow] = useState(false);
  const plan = usePlan({}, show);
  return (
    <section className="card subtle" aria-label="Planned groups">
      <div className="row">
        <h3>Planned jobs</h3>
        <span className="muted small">
          The planner groups VMs so no CSV or node is overloaded and ownership moves are few.
        </span>
        <span className="spacer" />
        {!show && (
          <button type="button" className="small" onClick={() => setShow(true)}>
            Show the plan
          </button>
        )}
      </div>
      {show && plan.isPending && <p className="muted">Planning…</p>}
      {show && plan.isError && <ErrorNote title="No plan" error={plan.error} />}
      {plan.data && (
        <>
          <p className="small muted">
            {plan.data.method === 'recovery-checkpoint-rct'
              ? 'Recovery checkpoints with change tracking'
              : 'Host VSS snapshot per CSV'}{' '}
            — {plan.data.methodReason} {plan.data.totals.jobs} jobs in {plan.data.totals.waves}{' '}
            waves, about {duration(plan.data.totals.seconds)}.
          </p>
          <ul className="plain plan-jobs">
            {plan.data.jobs.map((j) => (
              <li key={j.id}>
                <button
                  type="button"
                  className="small"
                  onClick={() => onPick(j.vmIds)}
                  aria-label={`Select ${j.label}`}
                >
                  Select
                </button>{' '}
                <strong>{j.label}</strong>{' '}
                <span className="muted small">
                  wave {j.wave} · {j.vmNames.join(', ')} · {bytes(j.bytes)} · {j.runKind}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function SelectStep({ inv }: { inv: Inventory }) {
  const vmIds = useWizard((s) => s.vmIds);
  const setVmIds = useWizard((s) => s.setVmIds);
  const toggle = useWizard((s) => s.toggleVm);
  const [q, setQ] = useState('');
  const selected = useMemo(() => new Set(vmIds), [vmIds]);
  const shown = useMemo(() => {
    const w = q.trim().toLowerCase();
    return w
      ? inv.vms.filter((v) =>
          `${v.name} ${v.hostNode} ${v.tags.join(' ')}`.toLowerCase().includes(w),
        )
      : inv.vms;
  }, [inv.vms, q]);
  const csvName = (id: string | null) =>
    id ? (inv.cluster.csvs.find((c) => c.id === id)?.name ?? id) : 'local';
  const add = (ids: string[]) => setVmIds([...new Set([...vmIds, ...ids])]);
  return (
    <div className="step-body">
      <div className="row wrap">
        <input
          type="search"
          aria-label="Filter VMs"
          placeholder="Filter by name, host or tag"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <label>
          <span className="muted small">Add all VMs on a CSV </span>
          <select
            value=""
            onChange={(e) =>
              e.target.value &&
              add(
                inv.vms
                  .filter((v) => v.disks.some((d) => d.csvId === e.target.value))
                  .map((v) => v.id),
              )
            }
            aria-label="Add all VMs on a CSV"
          >
            <option value="">CSV…</option>
            {inv.cluster.csvs.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} (owner {c.ownerNode})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="muted small">Add all VMs on a node </span>
          <select
            value=""
            onChange={(e) =>
              e.target.value &&
              add(inv.vms.filter((v) => v.hostNode === e.target.value).map((v) => v.id))
            }
            aria-label="Add all VMs on a node"
          >
            <option value="">Node…</option>
            {inv.cluster.nodes.map((n) => (
              <option key={n.name} value={n.name}>
                {n.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="small" onClick={() => add(shown.map((v) => v.id))}>
          Select all shown ({shown.length})
        </button>
        <button
          type="button"
          className="small"
          onClick={() => setVmIds([])}
          disabled={vmIds.length === 0}
        >
          Clear
        </button>
        <span className="muted num" aria-live="polite" data-testid="selected-count">
          {vmIds.length} selected
        </span>
      </div>
      <PlannedGroups onPick={(ids) => setVmIds(ids)} />
      <div className="scrollbox">
        <table className="grid selectable">
          <thead>
            <tr>
              <th className="w-check">
                <span className="sr-only">Selected</span>
              </th>
              <th>VM</th>
              <th>State</th>
              <th>Host</th>
              <th>CSVs</th>
              <th className="num">Disks</th>
              <th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((v) => (
              <tr key={v.id} className={selected.has(v.id) ? 'picked' : ''}>
                <td>
                  <input
                    type="checkbox"
                    id={`pick-${v.id}`}
                    checked={selected.has(v.id)}
                    onChange={() => toggle(v.id)}
                    aria-label={`Back up ${v.name}`}
                  />
                </td>
                <td>
                  <label htmlFor={`pick-${v.id}`}>{v.name}</label>
                </td>
                <td>{v.state}</td>
                <td>{v.hostNode}</td>
                <td className="small">
                  {[...new Set(v.disks.map((d) => csvName(d.csvId)))].join(', ')}
                </td>
                <td className="num">{bytes(v.disks.reduce((s, d) => s + d.virtualSize, 0))}</td>
                <td className="small muted">{v.tags.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
