// Shows a finished task's result with the view that fits its kind; falls back to the error or a plain summary.
import type { TaskRecord } from '../../../../shared/tasks';
import { drillRecordOf, isBackupRunResult, isCheckResult, isForgetResult, isGcResult, isRestoreResult } from '../../tasks/resultGuards';
import { BackupSummary } from './BackupSummary';
import { DrillResultView } from './DrillResultView';
import { CheckResult, ForgetResult, GcResult } from './RepoTaskResult';
import { RestoreResultView } from './RestoreResultView';

export function TaskResult({ task }: { task: TaskRecord }) {
  const r = task.result;
  const error = task.error && task.state !== 'succeeded' && (
    <div className={`banner ${task.state === 'canceled' ? 'warn' : 'bad'}`} role="alert" data-testid="task-error">
      <strong>{task.state === 'canceled' ? 'Canceled.' : 'Failed.'}</strong> {task.error.message} <span className="muted">[{task.error.code}]</span>
    </div>
  );
  let body: React.ReactNode = null;
  if (isBackupRunResult(r)) body = <BackupSummary task={task} result={r} />;
  else if (isRestoreResult(r)) body = <RestoreResultView r={r} />;
  else if (drillRecordOf(r)) body = <DrillResultView d={drillRecordOf(r) as NonNullable<ReturnType<typeof drillRecordOf>>} />;
  else if (isCheckResult(r)) body = <CheckResult r={r} readData={/re-hash|verify/i.test(task.title)} />;
  else if (isGcResult(r)) body = <GcResult r={r} />;
  else if (isForgetResult(r)) body = <ForgetResult r={r} />;
  else if (task.state === 'succeeded') body = <div className="banner ok" role="status">Done. {task.progress.message}</div>;
  return (
    <>
      {!isBackupRunResult(r) && error}
      {isBackupRunResult(r) && task.state === 'failed' && task.error && !['failed', 'partial'].includes(r.status) && error}
      {body}
    </>
  );
}
