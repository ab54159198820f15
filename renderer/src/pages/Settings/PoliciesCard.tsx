// Backup and drill policies: list with next and last runs, edit, delete (confirmed), run now, and each policy's runs.
import { Fragment, useState } from 'react';
import type { Inventory } from '../../../../shared/model';
import type { PolicyStatus } from '../../../../shared/drills';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote } from '../../components/ErrorNote';
import { useDeletePolicy, useRunPolicyNow } from '../../features/policies/mutations';
import { usePolicies, usePolicyRuns } from '../../features/policies/queries';
import { when } from '../../format';
import { useUi } from '../../state/ui';
import { PolicyEditor } from './PolicyEditor';
import { draftOf, EMPTY_DRAFT, type PolicyDraft } from './policyDraft';

function selection(p: PolicyStatus['policy']): string {
  const s = p.select;
  return [
    s.names.length && `${s.names.length} named`,
    s.tags.length && `tags ${s.tags.join(', ')}`,
    s.csvIds.length && `CSVs ${s.csvIds.join(', ')}`,
    s.nodes.length && `nodes ${s.nodes.join(', ')}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

function Runs({ policyId }: { policyId: string }) {
  const runs = usePolicyRuns(policyId);
  const openTask = useUi((s) => s.openTask);
  if (runs.isError) return <ErrorNote title="Could not read the runs" error={runs.error} />;
  if (!runs.data) return <p className="muted">Reading…</p>;
  if (runs.data.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <table className="grid inner">
      <thead>
        <tr>
          <th>Slot</th>
          <th>Status</th>
          <th>Started</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {[...runs.data].reverse().map((r, i) => (
          <tr key={`${r.slot}-${i}`}>
            <td className="small">{when(r.slot)}</td>
            <td>
              <span
                className={`state ${r.status === 'succeeded' ? 'succeeded' : r.status === 'running' ? 'running' : 'failed'}`}
              >
                {r.status}
              </span>
            </td>
            <td className="small">{when(r.startedAt)}</td>
            <td className="small">
              {r.message}{' '}
              {r.taskId && (
                <button type="button" className="link" onClick={() => openTask(r.taskId ?? '')}>
                  open task
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PoliciesCard({ inv }: { inv: Inventory | undefined }) {
  const policies = usePolicies();
  const del = useDeletePolicy();
  const run = useRunPolicyNow();
  const [editing, setEditing] = useState<{
    draft: PolicyDraft;
    isNew: boolean;
    key: number;
  } | null>(null);
  const [deleting, setDeleting] = useState<PolicyStatus | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="policies-title" data-testid="policies">
      <div className="row">
        <h2 id="policies-title" className="grow">
          Policies
        </h2>
        <button
          type="button"
          className="primary"
          onClick={() => setEditing({ draft: EMPTY_DRAFT, isNew: true, key: Date.now() })}
        >
          New policy
        </button>
      </div>
      {policies.isError && (
        <ErrorNote
          title="Could not list the policies"
          error={policies.error}
          onRetry={() => void policies.refetch()}
        />
      )}
      {policies.data && policies.data.length === 0 && (
        <p className="muted">
          No policies yet. A policy backs up (or drills) its VMs on a schedule.
        </p>
      )}
      {policies.data && policies.data.length > 0 && (
        <table className="grid wide" data-testid="policy-table">
          <thead>
            <tr>
              <th>Policy</th>
              <th>Schedule</th>
              <th>VMs</th>
              <th>Next run</th>
              <th>Last run</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {policies.data.map((s) => (
              <Fragment key={s.policy.id}>
                <tr
                  data-testid={`policy-${s.policy.id}`}
                  className={s.policy.enabled ? '' : 'muted'}
                >
                  <td>
                    <button
                      type="button"
                      className="link"
                      aria-expanded={open === s.policy.id}
                      onClick={() => setOpen(open === s.policy.id ? null : s.policy.id)}
                    >
                      {s.policy.name}
                    </button>
                    <div className="muted small">
                      {s.policy.kind} · {s.policy.enabled ? 'enabled' : 'disabled'}
                      {s.policy.drillAfter ? ' · drill after' : ''}
                      {s.running ? ' · running now' : ''}
                    </div>
                  </td>
                  <td className="mono small">
                    {s.policy.schedule.cron}
                    <div className="muted">window {s.policy.schedule.windowMinutes} min</div>
                  </td>
                  <td className="small">{selection(s.policy)}</td>
                  <td className="small">{when(s.nextRun)}</td>
                  <td className="small">
                    {s.lastRun ? (
                      <>
                        <span
                          className={`state ${s.lastRun.status === 'succeeded' ? 'succeeded' : s.lastRun.status === 'running' ? 'running' : 'failed'}`}
                        >
                          {s.lastRun.status}
                        </span>{' '}
                        {when(s.lastRun.startedAt ?? s.lastRun.slot)}
                      </>
                    ) : (
                      'never'
                    )}
                  </td>
                  <td className="nowrap">
                    <button
                      type="button"
                      className="small"
                      onClick={() =>
                        setEditing({ draft: draftOf(s.policy), isNew: false, key: Date.now() })
                      }
                    >
                      Edit
                    </button>{' '}
                    <button
                      type="button"
                      className="small"
                      disabled={s.running || run.isPending}
                      onClick={() => run.mutate(s.policy.id)}
                    >
                      Run now
                    </button>{' '}
                    <button type="button" className="small danger" onClick={() => setDeleting(s)}>
                      Delete
                    </button>
                  </td>
                </tr>
                {open === s.policy.id && (
                  <tr>
                    <td colSpan={6}>
                      <Runs policyId={s.policy.id} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <PolicyEditor
          key={editing.key}
          open
          initial={editing.draft}
          isNew={editing.isNew}
          inv={inv}
          onClose={() => setEditing(null)}
        />
      )}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete policy ${deleting?.policy.name ?? ''}?`}
        confirm="Delete"
        onConfirm={() =>
          deleting && del.mutate(deleting.policy.id, { onSettled: () => setDeleting(null) })
        }
        onClose={() => setDeleting(null)}
      >
        <p>Its schedule stops. Restore points it made stay in the repository.</p>
      </ConfirmDialog>
    </section>
  );
}
