// A list of pre-flight results and doctor findings: severity, what is wrong, the evidence, and what to do.
import type { FindingRef } from '../topology/graph/findings';

const SEV_LABEL: Record<FindingRef['severity'], string> = {
  error: 'Error',
  warning: 'Warning',
  info: 'Info',
  unknown: 'Unknown',
};

export function FindingList({
  findings,
  empty,
}: {
  findings: readonly FindingRef[];
  empty?: string;
}) {
  if (findings.length === 0) return <p className="muted">{empty ?? 'Nothing found.'}</p>;
  return (
    <ul className="findings">
      {findings.map((f) => (
        <li key={`${f.source}:${f.id}`} className={`finding sev-${f.severity}`}>
          <div className="finding-head">
            <span className={`sev sev-${f.severity}`}>{SEV_LABEL[f.severity]}</span>
            <strong>{f.title}</strong>
            <span className="muted small">
              {f.source === 'preflight' ? 'pre-flight' : 'checkpoint doctor'}
            </span>
          </div>
          <p>{f.message}</p>
          {f.fix && (
            <p className="fix">
              <span className="muted">What to do: </span>
              {f.fix}
            </p>
          )}
          {f.evidence.length > 0 && (
            <details>
              <summary>Evidence ({f.evidence.length})</summary>
              <ul className="evidence mono">
                {f.evidence.map((e, i) => (
                  <li key={i}>{e}</li>
                ))}
              </ul>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}
