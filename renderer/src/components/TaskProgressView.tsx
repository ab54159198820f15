// Live progress of a task: overall bar, phase, throughput and ETA, and per-VM rows with per-disk detail.
import type { TaskRecord } from '../../../shared/tasks';
import { TERMINAL_TASK_STATES } from '../../../shared/tasks';
import { useCancelTask } from '../features/tasks/mutations';
import { bytes, duration, percent, rate } from '../format';
import { groupItems, itemSubLabel } from '../tasks/progressModel';
import { ProgressBar } from './ProgressBar';
import { TaskStateBadge } from './TaskStateBadge';

export function CancelTaskButton({ task }: { task: TaskRecord }) {
  const cancel = useCancelTask();
  if (TERMINAL_TASK_STATES.includes(task.state)) return null;
  const canceling = task.state === 'canceling' || cancel.isPending;
  return (
    <button
      type="button"
      className="danger"
      disabled={canceling}
      onClick={() => cancel.mutate(task.id)}
    >
      {canceling ? 'Canceling…' : 'Cancel'}
    </button>
  );
}

export function TaskProgressView({
  task,
  showItems = true,
}: {
  task: TaskRecord;
  showItems?: boolean;
}) {
  const p = task.progress;
  const groups = showItems ? groupItems(p.items) : [];
  const done = TERMINAL_TASK_STATES.includes(task.state);
  const counters = Object.entries(p.counters);
  return (
    <section
      className="taskprog"
      aria-label={`Progress of ${task.title}`}
      data-testid="task-progress"
    >
      <div className="taskprog-head">
        <TaskStateBadge state={task.state} />
        <span className="phase">{done ? 'ended' : p.phase}</span>
        <span className="muted grow ellipsis" title={p.message}>
          {p.message}
        </span>
        <CancelTaskButton task={task} />
      </div>
      <ProgressBar
        fraction={done && task.state === 'succeeded' ? 1 : p.fraction}
        label={`${task.title}: overall`}
        tone={
          task.state === 'failed'
            ? 'bad'
            : task.state === 'canceled' || task.state === 'canceling'
              ? 'warn'
              : undefined
        }
      />
      <div className="taskprog-figures num" aria-live="off">
        <span>
          <span className="muted">Done </span>
          <span className="fixed w6">{percent(p.fraction, 1)}</span>
        </span>
        <span>
          <span className="muted">Throughput </span>
          <span className="fixed w9" data-testid="throughput">
            {rate(p.throughput)}
          </span>
        </span>
        <span>
          <span className="muted">Remaining </span>
          <span className="fixed w9" data-testid="eta">
            {done ? '–' : duration(p.etaSeconds)}
          </span>
        </span>
        {counters.slice(0, 6).map(([k, v]) => (
          <span key={k}>
            <span className="muted">{k} </span>
            <span className="fixed w9">{/bytes/i.test(k) ? bytes(v) : v.toLocaleString()}</span>
          </span>
        ))}
      </div>
      {groups.length > 0 && (
        <table className="grid items">
          <thead>
            <tr>
              <th>VM / disk</th>
              <th className="w-phase">Phase</th>
              <th className="w-bar">Progress</th>
              <th className="w-bytes num">Bytes</th>
              <th className="w-state">State</th>
            </tr>
          </thead>
          {groups.map((g) => (
            <tbody key={g.key} className="itemgroup" data-testid={`progress-vm-${g.label}`}>
              <tr className="vmrow">
                <th scope="row">{g.label}</th>
                <td>{g.phase}</td>
                <td>
                  <ProgressBar
                    fraction={g.fraction}
                    label={`${g.label}`}
                    tone={g.state === 'failed' ? 'bad' : undefined}
                  />
                </td>
                <td className="num">
                  {bytes(g.bytesDone)} / {bytes(g.bytesTotal)}
                </td>
                <td>
                  <TaskStateBadge state={g.state} />
                </td>
              </tr>
              {g.items.length > 1 || g.items[0]?.key.includes('/')
                ? g.items.map((it) => (
                    <tr key={it.key} className="diskrow">
                      <td className="mono indent" title={it.message}>
                        {itemSubLabel(it)}
                      </td>
                      <td>{it.phase}</td>
                      <td>
                        <ProgressBar
                          fraction={it.fraction}
                          label={`${it.label}`}
                          tone={it.state === 'failed' ? 'bad' : undefined}
                        />
                      </td>
                      <td className="num">
                        {bytes(it.bytesDone)} / {bytes(it.bytesTotal)}
                      </td>
                      <td className="small muted ellipsis" title={it.message}>
                        {it.message ?? ''}
                      </td>
                    </tr>
                  ))
                : null}
            </tbody>
          ))}
        </table>
      )}
    </section>
  );
}
