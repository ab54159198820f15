// Running and finished tasks of this service host, live; a row opens the task's detail.
import type { TaskRecord } from '../../../../shared/tasks';
import { TERMINAL_TASK_STATES } from '../../../../shared/tasks';
import { ProgressBar } from '../../components/ProgressBar';
import { TaskStateBadge } from '../../components/TaskStateBadge';
import { CancelTaskButton } from '../../components/TaskProgressView';
import { duration, percent, when } from '../../format';
import { isBackupRunResult } from '../../tasks/resultGuards';

/** A backup whose record says "failed" may be a partial run: name it (the state badge alone would not say). */
function outcome(t: TaskRecord): string {
  return isBackupRunResult(t.result) && t.result.status === 'partial' ? 'partial failure' : '';
}

export function TaskTable({
  tasks,
  openId,
  onOpen,
  caption,
}: {
  tasks: TaskRecord[];
  openId: string | null;
  onOpen(id: string): void;
  caption: string;
}) {
  return (
    <table className="grid wide tasks">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th>Task</th>
          <th className="w-state">State</th>
          <th className="w-bar">Progress</th>
          <th>Phase</th>
          <th>Started</th>
          <th className="num">Took</th>
          <th className="w-actions" />
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => {
          const done = TERMINAL_TASK_STATES.includes(t.state);
          const secs = t.startedAt
            ? ((t.endedAt ? Date.parse(t.endedAt) : Date.now()) - Date.parse(t.startedAt)) / 1000
            : null;
          const o = outcome(t);
          return (
            <tr key={t.id} data-testid={`task-${t.id}`} className={openId === t.id ? 'picked' : ''}>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() => onOpen(t.id)}
                  aria-expanded={openId === t.id}
                >
                  {t.title}
                </button>
                <div className="muted small">{t.kind}</div>
              </td>
              <td>
                <TaskStateBadge state={t.state} />
                {o && <div className="bad small">{o}</div>}
              </td>
              <td>
                <ProgressBar
                  fraction={done && t.state === 'succeeded' ? 1 : t.progress.fraction}
                  label={`${t.title} progress`}
                />
                <span className="small muted num">{percent(t.progress.fraction)}</span>
              </td>
              <td className="small">{done ? '–' : t.progress.phase}</td>
              <td className="small nowrap">{when(t.startedAt ?? t.createdAt)}</td>
              <td className="num small">{duration(secs)}</td>
              <td>{!done && <CancelTaskButton task={t} />}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
