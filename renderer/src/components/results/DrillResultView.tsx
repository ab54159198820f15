// A drill's evidence: pass/fail, measured recovery time against each VM's target, every step with its evidence, and the report download.
import type { DrillRecord } from '../../../../shared/drills';
import { useDownloadDrillReport } from '../../features/drills/mutations';
import { duration, when } from '../../format';

export function RtoCell({
  seconds,
  target,
  met,
  margin,
}: {
  seconds: number | null;
  target: number | null;
  met: boolean | null;
  margin: number | null;
}) {
  if (seconds === null) return <span className="muted">not measured</span>;
  if (target === null)
    return (
      <span>
        {duration(seconds)} <span className="muted">(no target set)</span>
      </span>
    );
  return (
    <span className={met ? 'ok-text' : 'bad'}>
      {duration(seconds)} of {duration(target)} —{' '}
      {met ? `met, ${duration(margin ?? 0)} to spare` : `missed by ${duration(-(margin ?? 0))}`}
    </span>
  );
}

export function DrillResultView({ d }: { d: DrillRecord }) {
  const report = useDownloadDrillReport();
  return (
    <section className="summary" aria-label="Drill result" data-testid="drill-result">
      <div
        className={`banner ${d.status === 'passed' ? 'ok' : 'bad'}`}
        role={d.status === 'passed' ? 'status' : 'alert'}
        data-testid="drill-outcome"
      >
        <strong>Drill {d.status}.</strong>{' '}
        {d.failure ?? `Every step passed for ${d.vms.map((v) => v.vmName).join(', ')}.`}
        <button
          type="button"
          className="small"
          onClick={() => report.mutate(d.id)}
          disabled={report.isPending}
          data-testid="drill-report"
        >
          {report.isPending ? 'Preparing…' : 'Download report (HTML)'}
        </button>
      </div>
      <table className="grid">
        <thead>
          <tr>
            <th>VM</th>
            <th>Restore point</th>
            <th>Recovery time vs target</th>
            <th>Sandbox VM</th>
          </tr>
        </thead>
        <tbody>
          {d.vms.map((v) => (
            <tr key={v.vmId} data-testid={`drill-vm-${v.vmName}`}>
              <td>{v.vmName}</td>
              <td>
                {when(v.pointTime)}
                <div className="mono small muted">{v.pointId}</div>
              </td>
              <td>
                <RtoCell
                  seconds={v.recoverySeconds}
                  target={v.rtoSeconds}
                  met={v.rtoMet}
                  margin={v.rtoMarginSeconds}
                />
              </td>
              <td className="mono small">{v.sandboxVmId}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Steps</h3>
      <ol className="steps">
        {d.steps.map((s, i) => (
          <li key={`${s.vmId}-${s.id}-${i}`} className={`step ${s.status}`}>
            <span
              className={`state ${s.status === 'passed' ? 'succeeded' : s.status === 'failed' ? 'failed' : 'canceled'}`}
            >
              {s.status}
            </span>{' '}
            <strong>{s.title}</strong>{' '}
            <span className="muted small">
              {d.vms.find((v) => v.vmId === s.vmId)?.vmName} · {duration(s.durationSeconds)}
            </span>
            {s.reason && (
              <div className={s.status === 'failed' ? 'bad small' : 'muted small'}>{s.reason}</div>
            )}
            {Object.keys(s.evidence).length > 0 && (
              <details>
                <summary>Evidence</summary>
                <pre className="mono evidence-pre">{JSON.stringify(s.evidence, null, 2)}</pre>
              </details>
            )}
          </li>
        ))}
      </ol>
      <p className="muted small">
        Sandbox {d.sandbox.folder} on network “{d.sandbox.network}” —{' '}
        {d.sandbox.tornDown ? 'torn down after the drill' : 'kept'}. Record hash{' '}
        <span className="mono">{d.hash.slice(0, 16)}…</span> chained to the previous drill.
      </p>
    </section>
  );
}
