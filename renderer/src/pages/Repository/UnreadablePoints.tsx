// Restore points the repository lists but cannot read: named with why, so none is silently missing from the page.
import type { RepoStats } from '../../../../shared/backup';
import { when } from '../../format';

export function UnreadablePoints({ points }: { points: RepoStats['unreadablePoints'] }) {
  if (points.length === 0) return null;
  const n = points.length;
  return (
    <div className="banner bad" role="alert" data-testid="unreadable-points">
      <span>
        <strong>
          {n === 1
            ? '1 restore point cannot be read and is left out'
            : `${n} restore points cannot be read and are left out`}
        </strong>{' '}
        of these figures. <em>Verify all data</em> names the chunks and points the damage affects;
        the next backup of a VM stores good copies of damaged chunks it still has.
      </span>
      <ul>
        {points.map((p) => (
          <li key={p.id}>
            <span className="mono">{p.id}</span>
            {p.vmName && ` (${p.vmName}${p.time ? `, ${when(p.time)}` : ''})`}: {p.why}
          </li>
        ))}
      </ul>
    </div>
  );
}
