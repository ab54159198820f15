// Jobs page: running and finished tasks (live), a task's detail with its Hyper-V events, and history charts.
import { ErrorNote } from '../../components/ErrorNote';
import { TaskDetail } from '../../components/TaskDetail';
import { useJobHistory } from '../../features/jobs/queries';
import { useTasks } from '../../features/tasks/queries';
import { useEscape } from '../../hooks/useEscape';
import { TERMINAL_TASK_STATES } from '../../../../shared/tasks';
import { useUi } from '../../state/ui';
import { HistoryCharts } from './HistoryCharts';
import { HistoryTable } from './HistoryTable';
import { TaskTable } from './TaskTable';

export function JobsPage() {
  const tasks = useTasks();
  const history = useJobHistory();
  const openId = useUi((s) => s.jobsTaskId);
  const setOpen = useUi((s) => s.setJobsTask);
  useEscape(() => setOpen(null), openId !== null);
  const all = tasks.data ?? [];
  const running = all.filter((t) => !TERMINAL_TASK_STATES.includes(t.state));
  const finished = all.filter((t) => TERMINAL_TASK_STATES.includes(t.state));
  const open = all.find((t) => t.id === openId);
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Jobs</h1>
        <span className="muted">
          {running.length} running · {finished.length} finished in this session
        </span>
      </div>
      {tasks.isError && (
        <ErrorNote
          title="Could not list the tasks"
          error={tasks.error}
          onRetry={() => void tasks.refetch()}
        />
      )}
      <section className="card" aria-labelledby="running-title">
        <h2 id="running-title">Running</h2>
        {running.length === 0 ? (
          <p className="muted">Nothing is running.</p>
        ) : (
          <TaskTable tasks={running} openId={openId} onOpen={setOpen} caption="Running tasks" />
        )}
      </section>
      {openId && (
        <section className="card" aria-labelledby="taskdetail-title" data-testid="jobs-task-detail">
          <div className="row">
            <h2 id="taskdetail-title" className="grow">
              {open?.title ?? 'Task'}
            </h2>
            <button
              type="button"
              className="ghost"
              aria-label="Close task detail"
              onClick={() => setOpen(null)}
            >
              ×
            </button>
          </div>
          <TaskDetail taskId={openId} />
        </section>
      )}
      <section className="card" aria-labelledby="finished-title">
        <h2 id="finished-title">Finished in this session</h2>
        {finished.length === 0 ? (
          <p className="muted">No task has finished since the service started.</p>
        ) : (
          <TaskTable tasks={finished} openId={openId} onOpen={setOpen} caption="Finished tasks" />
        )}
      </section>
      {history.isError ? (
        <ErrorNote title="Could not read the job history" error={history.error} />
      ) : (
        <HistoryCharts history={history.data ?? []} />
      )}
      {history.data && history.data.length > 0 && (
        <section className="card" aria-labelledby="histtable-title">
          <h2 id="histtable-title">All finished jobs</h2>
          <HistoryTable history={history.data} />
        </section>
      )}
    </div>
  );
}
