// A VM's restore points on a timeline (full and incremental), choosable by mouse or arrow keys, with sizes below.
import { useRef, type KeyboardEvent } from 'react';
import type { PointSummary as PointView } from '../../../../shared/backup';
import { age, bytes, ratio, when } from '../../format';

export function PointTimeline({
  points,
  selected,
  onSelect,
}: {
  points: PointView[];
  selected: string | null;
  onSelect(id: string): void;
}) {
  const refs = useRef(new Map<string, HTMLButtonElement>());
  if (points.length === 0)
    return <p className="muted">No restore points for this VM yet. Back it up first.</p>;
  const times = points.map((p) => Date.parse(p.time));
  const min = Math.min(...times);
  const max = Math.max(...times);
  const span = Math.max(1, max - min);
  const onKey = (e: KeyboardEvent, i: number) => {
    const next =
      e.key === 'ArrowRight'
        ? i + 1
        : e.key === 'ArrowLeft'
          ? i - 1
          : e.key === 'End'
            ? points.length - 1
            : e.key === 'Home'
              ? 0
              : null;
    if (next === null) return;
    e.preventDefault();
    const p = points[Math.max(0, Math.min(points.length - 1, next))];
    if (p) {
      onSelect(p.id);
      refs.current.get(p.id)?.focus();
    }
  };
  const sel = points.find((p) => p.id === selected);
  return (
    <div className="timeline-wrap">
      <div className="timeline" role="radiogroup" aria-label="Restore points, oldest to newest">
        <div className="timeline-axis" aria-hidden />
        {points.map((p, i) => {
          const x = points.length === 1 ? 50 : 3 + ((Date.parse(p.time) - min) / span) * 94;
          const on = p.id === selected;
          return (
            <button
              key={p.id}
              ref={(el) => {
                if (el) refs.current.set(p.id, el);
                else refs.current.delete(p.id);
              }}
              type="button"
              role="radio"
              aria-checked={on}
              tabIndex={on || (!sel && i === points.length - 1) ? 0 : -1}
              className={`tpoint ${p.kind} ${on ? 'on' : ''}`}
              style={{ left: `${x}%` }}
              title={`${when(p.time)} · ${p.kind}`}
              aria-label={`${p.kind} restore point of ${when(p.time)}, ${age(p.time)}`}
              onClick={() => onSelect(p.id)}
              onKeyDown={(e) => onKey(e, i)}
              data-testid={`point-${i}`}
            />
          );
        })}
        <span className="timeline-label left small muted">{when(points[0]?.time)}</span>
        <span className="timeline-label right small muted">
          {when(points[points.length - 1]?.time)}
        </span>
      </div>
      <div className="point-facts" aria-live="polite">
        {sel ? (
          <>
            <strong>{sel.kind === 'full' ? 'Full' : 'Incremental'}</strong> point of{' '}
            {when(sel.time)} ({age(sel.time)}) · {sel.disks.length} disk
            {sel.disks.length === 1 ? '' : 's'} · logical {bytes(sel.logicalBytes)} · data{' '}
            {bytes(sel.dataBytes)} · new data stored {bytes(sel.bytesStored)} · reuse{' '}
            {sel.bytesStored > 0
              ? ratio(sel.dataBytes / sel.bytesStored)
              : 'all chunks already stored'}
            <span className="mono small muted"> · {sel.id}</span>
          </>
        ) : (
          <span className="muted">
            Choose a restore point (arrow keys move along the timeline).
          </span>
        )}
      </div>
    </div>
  );
}
