// Hyper-V events (VMMS and friends) as a table, with a short explanation of well-known ids.
import type { HyperVEvent } from '../../../shared/model';
import { when } from '../format';
import { explainEvent } from './eventCatalog';

export function EventList({ events, empty }: { events: readonly HyperVEvent[]; empty: string }) {
  if (events.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="grid events" data-testid="event-list">
      <thead>
        <tr>
          <th>Time</th>
          <th>Level</th>
          <th className="num">Id</th>
          <th>VM</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => {
          const hint = explainEvent(e.id);
          return (
            <tr key={e.seq} className={`lvl-${e.level.toLowerCase()}`}>
              <td className="nowrap small">{when(e.time)}</td>
              <td>
                <span className={`lvl ${e.level.toLowerCase()}`}>{e.level}</span>
              </td>
              <td className="num">{e.id}</td>
              <td>{e.vmName ?? '–'}</td>
              <td>
                {e.message}
                <div className="muted small">
                  {e.log} · {e.operation}
                  {hint ? ` — ${hint}` : ''}
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
