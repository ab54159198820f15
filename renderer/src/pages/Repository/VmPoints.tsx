// Restore points per VM with sizes and reuse ratio; a point can be sent to Restore.
import { Fragment, useState } from 'react';
import type { RepoInfo } from '../../../../shared/contract/backup';
import { ErrorNote } from '../../components/ErrorNote';
import { usePoints } from '../../features/repo/queries';
import { age, bytes, ratio, when } from '../../format';
import { useRestoreUi } from '../../state/restore';
import { useUi } from '../../state/ui';

function Points({ vmId }: { vmId: string }) {
  const points = usePoints(vmId);
  const pickVm = useRestoreUi((s) => s.pickVm);
  const pickPoint = useRestoreUi((s) => s.pickPoint);
  const setPage = useUi((s) => s.setPage);
  if (points.isError) return <ErrorNote title="Could not read the points" error={points.error} />;
  if (!points.data) return <p className="muted">Reading…</p>;
  return (
    <table className="grid inner">
      <thead>
        <tr>
          <th>Time</th>
          <th>Kind</th>
          <th className="num">Disks</th>
          <th className="num">Logical</th>
          <th className="num">Data</th>
          <th className="num">New data stored</th>
          <th className="num">Reuse</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {[...points.data].reverse().map((p) => (
          <tr key={p.id}>
            <td className="nowrap">
              {when(p.time)} <span className="muted small">{age(p.time)}</span>
            </td>
            <td>{p.kind}</td>
            <td className="num">{p.disks.length}</td>
            <td className="num">{bytes(p.logicalBytes)}</td>
            <td className="num">{bytes(p.dataBytes)}</td>
            <td className="num">{bytes(p.bytesStored)}</td>
            <td className="num">
              {p.bytesStored > 0 ? ratio(p.dataBytes / p.bytesStored) : 'all reused'}
            </td>
            <td>
              <button
                type="button"
                className="small"
                onClick={() => (pickVm(vmId), pickPoint(p.id), setPage('restore'))}
              >
                Restore…
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function VmPoints({ info }: { info: RepoInfo }) {
  const [open, setOpen] = useState<string | null>(null);
  const vms = info.stats?.vms ?? [];
  if (vms.length === 0) return <p className="muted">No restore points yet.</p>;
  return (
    <table className="grid wide" data-testid="repo-vms">
      <thead>
        <tr>
          <th>VM</th>
          <th className="num">Points</th>
          <th>Oldest</th>
          <th>Newest</th>
          <th className="num">Logical</th>
        </tr>
      </thead>
      <tbody>
        {vms.map((v) => (
          <Fragment key={v.vmId}>
            <tr>
              <td>
                <button
                  type="button"
                  className="link"
                  aria-expanded={open === v.vmId}
                  onClick={() => setOpen(open === v.vmId ? null : v.vmId)}
                >
                  {v.vmName}
                </button>
              </td>
              <td className="num">{v.points}</td>
              <td className="small">{when(v.oldest)}</td>
              <td className="small">
                {when(v.newest)} <span className="muted">{age(v.newest)}</span>
              </td>
              <td className="num">{bytes(v.logicalBytes)}</td>
            </tr>
            {open === v.vmId && (
              <tr>
                <td colSpan={5}>
                  <Points vmId={v.vmId} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
