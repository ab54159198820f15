// Restore & drills page: pick a VM and a point on its timeline, restore it verified, or rehearse with a drill.
import { useEffect, useMemo } from 'react';
import type { Inventory } from '../../../../shared/model';
import { ErrorNote } from '../../components/ErrorNote';
import { TaskDetail } from '../../components/TaskDetail';
import { useInventory } from '../../features/estate/queries';
import { usePoints, useRepoInfo } from '../../features/repo/queries';
import { age } from '../../format';
import { useRestoreUi } from '../../state/restore';
import { useUi } from '../../state/ui';
import { DrillHistory } from './DrillHistory';
import { DrillPanel } from './DrillPanel';
import { PointTimeline } from './PointTimeline';
import { RestoreForm } from './RestoreForm';

function Restore({ inv }: { inv: Inventory }) {
  const repo = useRepoInfo();
  const setPage = useUi((s) => s.setPage);
  const { vmId, pointId, restoreTaskId, pickVm, pickPoint, restoreStarted } = useRestoreUi();
  const exists = repo.data?.exists === true;
  const withPoints = repo.data?.stats?.vms ?? [];
  const unreadable = repo.data?.stats?.unreadablePoints.length ?? 0;
  const points = usePoints(vmId, exists && vmId !== null);
  const list = useMemo(() => points.data ?? [], [points.data]);
  // Default to the newest point when a VM is picked.
  useEffect(() => {
    if (!pointId && list.length > 0) pickPoint(list[list.length - 1]?.id ?? null);
  }, [pointId, list, pickPoint]);
  if (repo.isError) return <ErrorNote title="Could not read the repository" error={repo.error} />;
  if (repo.data && !exists)
    return (
      <div className="banner warn">
        No repository yet: nothing to restore.{' '}
        <button type="button" className="link" onClick={() => setPage('backup')}>
          Back up first
        </button>
      </div>
    );
  const vm = inv.vms.find((v) => v.id === vmId);
  return (
    <div className="split">
      <nav className="list" aria-label="VMs with restore points">
        {unreadable > 0 && (
          <p className="note bad small" role="alert" data-testid="restore-unreadable-points">
            {unreadable === 1
              ? '1 restore point cannot be read, so it cannot be restored.'
              : `${unreadable} restore points cannot be read, so they cannot be restored.`}{' '}
            <button type="button" className="link" onClick={() => setPage('repository')}>
              See Repository
            </button>
          </p>
        )}
        {withPoints.length === 0 && <p className="muted small">No VM has a restore point yet.</p>}
        {withPoints.map((v) => (
          <button
            key={v.vmId}
            type="button"
            className={v.vmId === vmId ? 'active' : ''}
            aria-current={v.vmId === vmId ? 'true' : undefined}
            onClick={() => pickVm(v.vmId)}
          >
            <span className="grow">{v.vmName}</span>
            <span className="muted small num">
              {v.points} · {age(v.newest)}
            </span>
          </button>
        ))}
      </nav>
      <div className="detail">
        {!vmId && <p className="muted">Choose a VM to see its restore points.</p>}
        {vmId && (
          <>
            <section className="card" aria-labelledby="points-title">
              <h2 id="points-title">
                Restore points of {vm?.name ?? withPoints.find((v) => v.vmId === vmId)?.vmName}
              </h2>
              {points.isError ? (
                <ErrorNote title="Could not read the restore points" error={points.error} />
              ) : (
                <PointTimeline points={list} selected={pointId} onSelect={pickPoint} />
              )}
            </section>
            {pointId && (
              <section className="card" aria-labelledby="restore-title">
                <h2 id="restore-title">Restore</h2>
                {restoreTaskId ? (
                  <>
                    <TaskDetail taskId={restoreTaskId} showEvents={false} />
                    <div className="actions">
                      <button type="button" onClick={() => restoreStarted(null)}>
                        Restore again
                      </button>
                    </div>
                  </>
                ) : (
                  <RestoreForm vm={vm} pointId={pointId} lab={inv.source.kind === 'lab'} />
                )}
              </section>
            )}
            {vm && <DrillPanel vm={vm} pointId={pointId} />}
            <DrillHistory vmId={vmId} />
          </>
        )}
      </div>
    </div>
  );
}

export function RestorePage() {
  const inv = useInventory();
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Restore &amp; drills</h1>
        <span className="muted">
          Every restore is verified by hash; drills measure the recovery time and keep the evidence.
        </span>
      </div>
      {inv.isError ? (
        <ErrorNote title="Could not read the estate" error={inv.error} />
      ) : inv.data ? (
        <Restore inv={inv.data} />
      ) : (
        <div className="loading">Reading…</div>
      )}
    </div>
  );
}
