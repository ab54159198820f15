// Wizard step 4: pre-flight results for the chosen VMs — errors block, warnings need an override with a recorded reason.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { PreflightReport, PreflightResult } from '../../../../shared/planner';
import { api } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { isUnavailable } from '../../components/errorText';
import { plannerKeys, usePreflight } from '../../features/planner/queries';
import { useWizard } from '../../state/backupWizard';
import { gate, MIN_REASON, overrideFor } from '../../../../shared/preflight-gate';

function ResultRow({ r, overridable }: { r: PreflightResult; overridable: boolean }) {
  const o = useWizard((s) => s.overrides[r.id]);
  const setOverride = useWizard((s) => s.setOverride);
  const on = o !== undefined;
  const short = on && o.reason.trim().length < MIN_REASON;
  return (
    <li
      className={`finding sev-${r.status === 'unknown' ? 'unknown' : (r.severity ?? 'info')}`}
      data-testid={`pf-${r.ruleId}-${r.target.name}`}
    >
      <div className="finding-head">
        <span className={`sev sev-${r.status === 'unknown' ? 'unknown' : r.severity}`}>
          {r.status === 'unknown' ? 'Unknown' : r.severity}
        </span>
        <strong>{r.ruleTitle}</strong>
        <span className="muted small">
          {r.target.kind} {r.target.name}
        </span>
      </div>
      <p>{r.message}</p>
      {r.fix && (
        <p className="fix">
          <span className="muted">What to do: </span>
          {r.fix}
        </p>
      )}
      {r.evidence.length > 0 && (
        <details>
          <summary>Evidence ({r.evidence.length})</summary>
          <ul className="evidence mono">
            {r.evidence.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </details>
      )}
      {overridable && (
        <div className="override">
          <label className="check">
            <input
              type="checkbox"
              checked={on}
              onChange={(e) => setOverride(r.id, e.target.checked ? overrideFor(r, '') : null)}
            />{' '}
            Override this warning
          </label>
          {on && (
            <label className="field grow">
              <span className="sr-only">
                Reason for overriding {r.ruleTitle} on {r.target.name}
              </span>
              <input
                value={o.reason}
                placeholder="Why it is safe to go on (recorded with the run)"
                aria-label={`Reason for overriding ${r.ruleTitle} on ${r.target.name}`}
                aria-invalid={short}
                onChange={(e) => setOverride(r.id, overrideFor(r, e.target.value))}
              />
            </label>
          )}
        </div>
      )}
    </li>
  );
}

function Report({ report }: { report: PreflightReport }) {
  const overrides = useWizard((s) => s.overrides);
  const g = gate(report, overrides);
  const s = report.summary;
  return (
    <>
      <div
        className={`banner ${g.errors.length ? 'bad' : g.pending.length ? 'warn' : 'ok'}`}
        role="status"
        data-testid="preflight-verdict"
      >
        {g.errors.length > 0 ? (
          <>
            <strong>Blocked.</strong> {g.errors.length} error{g.errors.length > 1 ? 's' : ''} must
            be fixed first (or leave those VMs out).
          </>
        ) : g.pending.length > 0 ? (
          <>
            <strong>
              {g.pending.length} warning{g.pending.length > 1 ? 's' : ''} to review.
            </strong>{' '}
            Fix them, or override each with a reason.
          </>
        ) : (
          <>
            <strong>Ready.</strong> No blocking problem
            {g.overrides.length
              ? `; ${g.overrides.length} warning${g.overrides.length > 1 ? 's' : ''} overridden with a reason`
              : ''}
            .
          </>
        )}
        <span className="muted small">
          {' '}
          {s.passed} passed · {s.errors} errors · {s.warnings} warnings · {s.infos} info ·{' '}
          {s.unknown} unknown · {s.notApplicable} not applicable
          {report.dryRunRequested ? ' · with checkpoint dry run' : ''}
        </span>
      </div>
      {[...g.errors, ...g.warnings, ...g.unknown, ...g.infos].length > 0 && (
        <ul className="findings">
          {g.errors.map((r) => (
            <ResultRow key={r.id} r={r} overridable={false} />
          ))}
          {g.warnings.map((r) => (
            <ResultRow key={r.id} r={r} overridable />
          ))}
          {g.unknown.map((r) => (
            <ResultRow key={r.id} r={r} overridable={false} />
          ))}
          {g.infos.map((r) => (
            <ResultRow key={r.id} r={r} overridable={false} />
          ))}
        </ul>
      )}
    </>
  );
}

export function PreflightStep() {
  const vmIds = useWizard((s) => s.vmIds);
  const skipped = useWizard((s) => s.preflightSkippedReason);
  const setSkipped = useWizard((s) => s.setPreflightSkipped);
  const sorted = [...vmIds].sort();
  const pre = usePreflight(sorted);
  const qc = useQueryClient();
  // The dry run's answer replaces the plain one, so what it finds also gates the run.
  const dry = useMutation({
    mutationFn: () => api().call('preflight.run', { vmIds: sorted, dryRun: true }),
    onSuccess: (r) => qc.setQueryData(plannerKeys.preflight(sorted), r),
  });
  const report = pre.data;
  return (
    <div className="step-body">
      <div className="row">
        <p className="muted grow">
          Checks for {vmIds.length} VM{vmIds.length === 1 ? '' : 's'}: integration services, VSS
          writers, SCSI controller, free space for the checkpoint, chain depth, CSV access, guest
          clusters, change tracking.
        </p>
        <button
          type="button"
          className="small"
          onClick={() => void pre.refetch()}
          disabled={pre.isFetching}
        >
          {pre.isFetching ? 'Checking…' : 'Check again'}
        </button>
        <button
          type="button"
          className="small"
          onClick={() => dry.mutate()}
          disabled={dry.isPending || pre.isError}
          title="Creates and removes one production checkpoint per VM, with fallback off"
        >
          {dry.isPending ? 'Testing checkpoints…' : 'Also test a checkpoint (dry run)'}
        </button>
      </div>
      {dry.isError && <ErrorNote title="Checkpoint dry run failed" error={dry.error} />}
      {pre.isPending && !report && <p className="muted">Running pre-flight checks…</p>}
      {pre.isError && !report && (
        <>
          <ErrorNote
            title="Pre-flight checks could not run"
            error={pre.error}
            onRetry={() => void pre.refetch()}
          />
          {isUnavailable(pre.error) && (
            <label className="check banner warn">
              <input
                type="checkbox"
                checked={skipped !== null}
                onChange={(e) =>
                  setSkipped(
                    e.target.checked ? 'pre-flight checks not offered by the service' : null,
                  )
                }
              />{' '}
              Go on without pre-flight checks (nothing was checked; the run may fail on a problem a
              check would have shown)
            </label>
          )}
        </>
      )}
      {report && <Report report={report} />}
    </div>
  );
}

/** Whether the run step may start, given the current pre-flight answer. */
export function usePreflightGate(enabled = true): {
  ready: boolean;
  overrides: Array<{ ruleId: string; vmId?: string; reason: string }>;
  why: string;
} {
  const vmIds = useWizard((s) => s.vmIds);
  const overrides = useWizard((s) => s.overrides);
  const skipped = useWizard((s) => s.preflightSkippedReason);
  const pre = usePreflight([...vmIds].sort(), enabled && vmIds.length > 0);
  if (pre.data) {
    const g = gate(pre.data, overrides);
    return {
      ready: g.canStart,
      overrides: g.overrides,
      why: g.errors.length
        ? 'Pre-flight errors block the run.'
        : g.pending.length
          ? 'Override or fix the pre-flight warnings first.'
          : '',
    };
  }
  if (pre.isError && isUnavailable(pre.error) && skipped)
    return { ready: true, overrides: [], why: '' };
  return {
    ready: false,
    overrides: [],
    why: !enabled
      ? 'Review the pre-flight checks first.'
      : pre.isPending
        ? 'Pre-flight checks are still running.'
        : 'Pre-flight checks did not run.',
  };
}
