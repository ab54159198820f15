// Shows a finished task's result with the view that fits its kind; falls back to the error or a plain summary.
import type { TaskRecord } from '../../../../shared/tasks';
import {
  drillRecordOf,
  isBackupRunResult,
  isCheckResult,
  isForgetResult,
  isGcResult,
  isRestoreResult,
} from '../../tasks/resultGuards';
import { BackupSummary } from './BackupSummary';
import { DrillResultView } from './DrillResultView';
import { CheckResult, ForgetResult, GcResult } from './RepoTaskResult';
import { RestoreResultView } from './RestoreResultView';

export function TaskResult({ task }: { task: TaskRecord }) {
  const r = task.result;
  const error = task.error && task.state !== 'succeeded' && (
    <div
      className={`banner ${task.state === 'canceled' ? 'warn' : 'bad'}`}
      role="alert"
      data-testid="task-error"
    >
      <strong>{task.state === 'canceled' ? 'Canceled.' : 'Failed.'}</strong> {task.error.message}{' '}
      <span className="muted">[{task.error.code}]</span>
    </div>
  );
  let body: React.ReactNode = null;
  const drill = task.kind === 'drill' ? drillRecordOf(r) : null;
  if (task.kind === 'backup' && isBackupRunResult(r)) body = <BackupSummary result={r} />;
  else if (task.kind === 'restore' && isRestoreResult(r)) body = <RestoreResultView r={r} />;
  else if (drill) body = <DrillResultView d={drill} />;
  else if (task.kind === 'repo-check' && isCheckResult(r))
    body = <CheckResult r={r} readData={/re-hash|verify/i.test(task.title)} />;
  else if (task.kind === 'repo-gc' && isGcResult(r)) body = <GcResult r={r} />;
  else if (task.kind === 'repo-forget' && isForgetResult(r)) body = <ForgetResult r={r} />;
  else if (task.state === 'succeeded')
    body = (
      <div className="banner ok" role="status">
        Done. {task.progress.message}
      </div>
    );
  return (
    <>
      {/* A backup's own banner already says partial or failed; other errors are shown as they are. */}
      {!(
        task.kind === 'backup' &&
        isBackupRunResult(r) &&
        ['failed', 'partial', 'canceled'].includes(r.status)
      ) && error}
      {task.warnings.length > 0 && (
        <div className="banner warn" data-testid="task-warnings">
          <strong>Warnings</strong>
          <ul>
            {task.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {body}
    </>
  );
}
