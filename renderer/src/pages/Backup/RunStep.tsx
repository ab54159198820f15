// Wizard step 5: review and start; then live progress per VM and disk with cancel, and the honest summary.
import type { Inventory } from '../../../../shared/model';
import { TERMINAL_TASK_STATES } from '../../../../shared/tasks';
import { ErrorNote } from '../../components/ErrorNote';
import { TaskDetail } from '../../components/TaskDetail';
import { useStartBackup } from '../../features/backup/mutations';
import { useRepoInfo } from '../../features/repo/queries';
import { useTask } from '../../features/tasks/queries';
import { useWizard } from '../../state/backupWizard';
import { usePreflightGate } from './PreflightStep';

export function RunStep({ inv }: { inv: Inventory }) {
  const w = useWizard();
  const start = useStartBackup();
  const repo = useRepoInfo();
  const gate = usePreflightGate();
  const task = useTask(w.taskId);
  const names = w.vmIds.map((id) => inv.vms.find((v) => v.id === id)?.name ?? id);
  if (w.taskId) {
    const done = task.data && TERMINAL_TASK_STATES.includes(task.data.state);
    return (
      <div className="step-body">
        <TaskDetail taskId={w.taskId} />
        {done && (
          <div className="actions">
            <button type="button" onClick={() => w.reset(w.vmIds)}>
              Back up the same VMs again
            </button>
            <button type="button" onClick={() => w.reset()}>
              New backup
            </button>
          </div>
        )}
      </div>
    );
  }
  const repoReady = repo.data?.exists === true;
  const blocked = !repoReady
    ? 'Create or open a repository first.'
    : !gate.ready
      ? gate.why
      : w.vmIds.length === 0
        ? 'Choose at least one VM.'
        : '';
  return (
    <div className="step-body narrow">
      <h3>Review</h3>
      <dl className="facts">
        <dt>VMs ({names.length})</dt>
        <dd>
          {names.length <= 12
            ? names.join(', ')
            : `${names.slice(0, 12).join(', ')} and ${names.length - 12} more`}
        </dd>
        <dt>Consistency</dt>
        <dd>
          {w.consistency}
          {w.requireConsistency ? ', required (no fallback)' : ', may fall back'}
        </dd>
        <dt>Mode</dt>
        <dd>{w.full ? 'full' : 'incremental where change tracking allows'}</dd>
        <dt>Repository</dt>
        <dd className="mono">{repo.data?.path ?? '…'}</dd>
        <dt>Overrides</dt>
        <dd>
          {gate.overrides.length
            ? gate.overrides.map((o) => `${o.ruleId}: “${o.reason}”`).join('; ')
            : 'none'}
        </dd>
        {w.preflightSkippedReason && (
          <>
            <dt>Pre-flight</dt>
            <dd className="warn-text">skipped: {w.preflightSkippedReason}</dd>
          </>
        )}
      </dl>
      {blocked && (
        <p className="warn-text" role="status">
          {blocked}
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={!!blocked || start.isPending}
          onClick={() =>
            start.mutate(
              {
                vmIds: w.vmIds,
                consistency: w.consistency,
                requireConsistency: w.requireConsistency,
                full: w.full,
                overrides: gate.overrides,
                trigger: 'console',
              },
              { onSuccess: (t) => w.started(t.id) },
            )
          }
        >
          {start.isPending
            ? 'Starting…'
            : `Start backup of ${names.length} VM${names.length === 1 ? '' : 's'}`}
        </button>
      </div>
      {start.isError && <ErrorNote title="The backup did not start" error={start.error} />}
    </div>
  );
}
