// The job history as a table (it outlives this session's task list); a row expands to the Hyper-V events of that run.
import { Fragment, useState } from 'react';
import type { JobHistoryRecord } from '../../../../shared/backup';
import { TaskEvents } from '../../components/TaskDetail';
import { bytes, duration, when } from '../../format';

export function HistoryTable({ history }: { history: JobHistoryRecord[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const rows = [...history].reverse().slice(0, 100);
  return (
    <table className="grid wide" data-testid="history-table">
      <thead>
        <tr>
          <th>Finished</th>
          <th>Job</th>
          <th>Status</th>
          <th className="num">Took</th>
          <th className="num">Read</th>
          <th className="num">Written</th>
          <th>Summary</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((h) => (
          <Fragment key={h.taskId}>
            <tr>
              <td className="nowrap small">{when(h.endedAt)}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  aria-expanded={open === h.taskId}
                  onClick={() => setOpen(open === h.taskId ? null : h.taskId)}
                >
                  {h.title}
                </button>
                <div className="muted small">{h.kind}</div>
              </td>
              <td>
                <span className={`state ${h.status}`}>{h.status}</span>
              </td>
              <td className="num">{duration(h.durationSeconds)}</td>
              <td className="num">{bytes(h.bytesRead)}</td>
              <td className="num">{bytes(h.bytesWritten)}</td>
              <td className="small">{h.summary}</td>
            </tr>
            {open === h.taskId && (
              <tr>
                <td colSpan={7}>
                  <TaskEvents taskId={h.taskId} live={false} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
