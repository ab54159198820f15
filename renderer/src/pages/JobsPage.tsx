// Jobs page: every task of the service host with its state and progress, live.
import { api } from '../api/client';
import { useTasks } from '../api/queries';
import { when } from '../format';

export function JobsPage() {
  const tasks = useTasks();
  return (
    <div className="page">
      <div className="toolbar"><h1>Jobs</h1></div>
      {tasks.data?.length === 0 && <p className="muted">No tasks have run in this session yet.</p>}
      <table className="grid wide">
        <thead><tr><th>Task</th><th>State</th><th>Phase</th><th>Progress</th><th>Started</th><th>Ended</th><th /></tr></thead>
        <tbody>
          {(tasks.data ?? []).map((t) => (
            <tr key={t.id} data-testid={`task-${t.id}`}>
              <td>{t.title}</td>
              <td><span className={`state ${t.state}`}>{t.state}</span>{t.error ? <div className="muted">{t.error.message}</div> : null}</td>
              <td>{t.progress.phase}</td>
              <td><progress max={1} value={t.progress.fraction ?? undefined} /></td>
              <td>{when(t.startedAt)}</td>
              <td>{when(t.endedAt)}</td>
              <td>{t.state === 'running' && <button onClick={() => void api().call('tasks.cancel', { id: t.id })}>Cancel</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
