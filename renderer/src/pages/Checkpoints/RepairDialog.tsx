// The doctor's repair, in two steps: the dry run shows the ordered plan and what would happen; a confirmation runs it.
import type { DoctorRepairResult } from '../../../../shared/planner';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';
import { useDoctorRepair } from '../../features/planner/mutations';
import { bytes } from '../../format';

function Plan({ r }: { r: DoctorRepairResult }) {
  return (
    <>
      <ol className="repair-steps" data-testid="repair-plan">
        {r.plan.steps.map((s) => {
          const log = r.log.entries.find((e) => e.stepId === s.id);
          return (
            <li key={s.id} className={`repair-step ${log?.status ?? ''}`}>
              <div>
                <span className="mono small">{s.kind}</span> {s.description}
                {s.kind === 'quarantine-file' && (
                  <span className="muted small">
                    {' '}
                    ({bytes(s.sizeBytes)} → {s.quarantinePath})
                  </span>
                )}
              </div>
              <div className="muted small">Safety: {s.safety}</div>
              {log && (
                <div
                  className={`small ${log.status === 'failed' ? 'bad' : log.status === 'done' ? 'ok-text' : ''}`}
                >
                  {log.status}: {log.message}
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {r.plan.steps.length === 0 && <p className="muted">Nothing to do for the chosen findings.</p>}
      {r.plan.refused.length > 0 && (
        <div className="banner warn">
          <strong>Will not repair:</strong>
          <ul className="small">
            {r.plan.refused.map((x) => (
              <li key={x.findingId}>
                <span className="mono">{x.findingId}</span>: {x.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {r.plan.notes.length > 0 && (
        <ul className="small muted">
          {r.plan.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </>
  );
}

export function RepairDialog({
  findingIds,
  preview,
  onClose,
}: {
  findingIds: string[];
  preview: DoctorRepairResult | null;
  onClose(): void;
}) {
  const repair = useDoctorRepair();
  const done = repair.data && !repair.data.log.dryRun ? repair.data : null;
  const s = done?.log.summary;
  const close = () => {
    repair.reset();
    onClose();
  };
  return (
    <Dialog
      open={preview !== null}
      title={done ? 'Repair finished' : 'Repair preview (dry run — nothing changed yet)'}
      onClose={close}
      wide
      testId="repair-dialog"
      actions={
        done ? (
          <button type="button" className="primary" onClick={close}>
            Close
          </button>
        ) : (
          <>
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              disabled={repair.isPending || (preview?.plan.steps.length ?? 0) === 0}
              onClick={() => repair.mutate({ findingIds, dryRun: false })}
            >
              {repair.isPending
                ? 'Repairing…'
                : `Repair now (${preview?.plan.steps.length ?? 0} steps)`}
            </button>
          </>
        )
      }
    >
      {done && s ? (
        <>
          <div
            className={`banner ${s.failed ? 'bad' : 'ok'}`}
            role={s.failed ? 'alert' : 'status'}
            data-testid="repair-result"
          >
            <strong>
              {s.failed ? `${s.failed} step${s.failed > 1 ? 's' : ''} failed.` : 'Repaired.'}
            </strong>{' '}
            {s.done} done, {s.skipped} skipped, {s.failed} failed.
          </div>
          <Plan r={done} />
        </>
      ) : (
        preview && (
          <>
            <p>The doctor would take these steps, in this order. Review them, then confirm.</p>
            <Plan r={preview} />
          </>
        )
      )}
      {repair.isError && <ErrorNote title="The repair failed" error={repair.error} />}
    </Dialog>
  );
}
