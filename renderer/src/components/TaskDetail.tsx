// One task in full: live progress while it runs, its honest result when done, and the Hyper-V events raised during it.
import { TERMINAL_TASK_STATES } from '../../../shared/tasks';
import { useEstateEvents } from '../features/estate/queries';
import { useTask } from '../features/tasks/queries';
import { duration, when } from '../format';
import { ErrorNote } from './ErrorNote';
import { EventList } from './EventList';
import { TaskResult } from './results/TaskResult';
import { TaskProgressView } from './TaskProgressView';

export function TaskEvents({ taskId, live }: { taskId: string; live: boolean }) {
  const events = useEstateEvents({ taskId, limit: 500 });
  if (events.isError)
    return <ErrorNote title="Could not read the events of this run" error={events.error} />;
  return (
    <EventList
      events={events.data ?? []}
      empty={
        events.isPending
          ? 'Reading events…'
          : live
            ? 'No Hyper-V events raised by this run so far.'
            : 'No Hyper-V events were raised during this run.'
      }
    />
  );
}

export function TaskDetail({
  taskId,
  showEvents = true,
}: {
  taskId: string;
  showEvents?: boolean;
}) {
  const q = useTask(taskId);
  if (q.isError) return <ErrorNote title="Could not read the task" error={q.error} />;
  const t = q.data;
  if (!t) return <p className="muted">Reading the task…</p>;
  const done = TERMINAL_TASK_STATES.includes(t.state);
  const seconds = t.startedAt
    ? ((t.endedAt ? Date.parse(t.endedAt) : Date.now()) - Date.parse(t.startedAt)) / 1000
    : null;
  return (
    <div className="taskdetail" data-testid="task-detail" data-state={t.state}>
      <div className="muted small">
        {t.kind} · started {when(t.startedAt ?? t.createdAt)}
        {done ? ` · ended ${when(t.endedAt)} · took ${duration(seconds)}` : ''}
      </div>
      {done ? (
        <>
          <TaskResult task={t} />
          <details className="progress-after">
            <summary>Progress of the run, per VM and disk</summary>
            <TaskProgressView task={t} />
          </details>
        </>
      ) : (
        <TaskProgressView task={t} />
      )}
      {showEvents && (
        <section aria-label="Hyper-V events of this run">
          <h3>Hyper-V events during this run</h3>
          <TaskEvents taskId={t.id} live={!done} />
        </section>
      )}
    </div>
  );
}
