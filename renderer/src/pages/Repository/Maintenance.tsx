// Repository maintenance as tasks with live progress: structure check, full data verification, garbage collection.
import { useState } from 'react';
import { TaskDetail } from '../../components/TaskDetail';
import { useRepoCheck, useRepoGc } from '../../features/repo/mutations';

export function Maintenance() {
  const check = useRepoCheck();
  const gc = useRepoGc();
  const [taskId, setTaskId] = useState<string | null>(null);
  const busy = check.isPending || gc.isPending;
  return (
    <section className="card" aria-labelledby="maint-title">
      <h2 id="maint-title">Maintenance</h2>
      <div className="actions wrap">
        <button
          type="button"
          disabled={busy}
          onClick={() => check.mutate(false, { onSuccess: (t) => setTaskId(t.id) })}
        >
          Check structure
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => check.mutate(true, { onSuccess: (t) => setTaskId(t.id) })}
          title="Reads and re-hashes every chunk: slower, finds bit rot"
        >
          Verify all data
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => gc.mutate(undefined, { onSuccess: (t) => setTaskId(t.id) })}
          title="Removes data no restore point uses"
        >
          Garbage collection
        </button>
        <span className="muted small">Each runs as a task; it also appears under Jobs.</span>
      </div>
      {taskId && <TaskDetail taskId={taskId} showEvents={false} />}
    </section>
  );
}
