// Start a restore drill for the VM (chosen point, optional custom check), then follow it live to its evidence.
import { useState, type FormEvent } from 'react';
import type { Vm } from '../../../../shared/model';
import { ErrorNote } from '../../components/ErrorNote';
import { TaskDetail } from '../../components/TaskDetail';
import { useStartDrill } from '../../features/drills/mutations';
import { duration } from '../../format';
import { useRestoreUi } from '../../state/restore';

export function DrillPanel({ vm, pointId }: { vm: Vm; pointId: string | null }) {
  const start = useStartDrill();
  const taskId = useRestoreUi((s) => s.drillTaskId);
  const started = useRestoreUi((s) => s.drillStarted);
  const [custom, setCustom] = useState('');
  const [keep, setKeep] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate(
      {
        vmIds: [vm.id],
        pointIds: pointId ? { [vm.id]: pointId } : {},
        keepSandbox: keep,
        trigger: 'console',
        ...(custom.trim() ? { customCheck: custom.trim() } : {}),
      },
      { onSuccess: (t) => started(t.id) },
    );
  };
  return (
    <section className="card" aria-labelledby="drill-title">
      <h2 id="drill-title">Restore drill</h2>
      <p className="muted">
        Restores {pointId ? 'the chosen point' : 'the newest point'} into an isolated sandbox,
        checks data integrity, the VHDX structure, content and configuration, measures the recovery
        time
        {vm.rtoSeconds
          ? ` against the ${duration(vm.rtoSeconds)} target`
          : ' (no recovery-time target is set for this VM)'}{' '}
        and keeps the evidence.
      </p>
      <form className="form" onSubmit={submit}>
        <label className="field">
          <span>Custom check (optional command run against the restored VM)</span>
          <input
            value={custom}
            onChange={(e) => setCustom(e.target.value)}
            placeholder="e.g. a script that queries the application"
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.target.checked)} /> Keep
          the sandbox afterwards
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={start.isPending}>
            {start.isPending ? 'Starting…' : `Run a drill of ${vm.name}`}
          </button>
        </div>
      </form>
      {start.isError && <ErrorNote title="The drill did not start" error={start.error} />}
      {taskId && <TaskDetail taskId={taskId} showEvents={false} />}
    </section>
  );
}
