// Restore points the repository lists but cannot read: named with why, so none is silently missing from the page.
// One whose manifest is damaged can be moved aside after a confirmation (gc waits for it otherwise).
import { useState } from 'react';
import type { RepoStats } from '../../../../shared/backup';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useQuarantinePoint } from '../../features/repo/mutations';
import { when } from '../../format';

export function UnreadablePoints({ points }: { points: RepoStats['unreadablePoints'] }) {
  const quarantine = useQuarantinePoint();
  const [asked, setAsked] = useState<string | null>(null);
  if (points.length === 0) return null;
  const n = points.length;
  return (
    <>
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
              {p.vmName && ` (${p.vmName}${p.time ? `, ${when(p.time)}` : ''})`}: {p.why}{' '}
              {!p.vmName && (
                <button
                  type="button"
                  className="small"
                  disabled={quarantine.isPending}
                  onClick={() => setAsked(p.id)}
                >
                  Move aside…
                </button>
              )}
            </li>
          ))}
        </ul>
      </div>
      <ConfirmDialog
        open={asked !== null}
        title="Move the damaged restore point aside?"
        confirm="Move aside"
        onConfirm={() => {
          if (asked) quarantine.mutate(asked);
          setAsked(null);
        }}
        onClose={() => setAsked(null)}
      >
        <p>
          Its manifest <span className="mono">{asked}</span> cannot be read, so the point cannot be
          restored. It moves to <span className="mono">quarantine/points/</span> in the repository;
          garbage collection, which waits while it is damaged, then frees the data only it used. If
          you have a copy of the repository, put the point&apos;s file back from it instead.
        </p>
      </ConfirmDialog>
    </>
  );
}
