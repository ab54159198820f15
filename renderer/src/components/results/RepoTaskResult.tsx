// Results of repository tasks: check / verify (missing or corrupt chunks), garbage collection, retention.
import type {
  CheckResult as CheckResultData,
  ForgetResult as ForgetResultData,
  GcResult as GcResultData,
} from '../../../../shared/backup';
import {
  checkDetail,
  checkHeadline,
  forgetDetail,
  forgetHeadline,
  gcSummary,
} from '../../../../shared/repo-result-text';

export function CheckResult({ r, readData }: { r: CheckResultData; readData: boolean }) {
  return (
    <div
      className={`banner ${r.ok ? 'ok' : 'bad'}`}
      role={r.ok ? 'status' : 'alert'}
      data-testid="check-result"
    >
      <strong>{checkHeadline(r, readData)}</strong> {checkDetail(r)}
      {!r.ok && (
        <ul className="small">
          {r.errors.slice(0, 10).map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function GcResult({ r }: { r: GcResultData }) {
  return (
    <div className="banner ok" role="status" data-testid="gc-result">
      <strong>Garbage collection done.</strong> {gcSummary(r)}
    </div>
  );
}

export function ForgetResult({ r }: { r: ForgetResultData }) {
  return (
    <div className="banner ok" role="status" data-testid="forget-result">
      <strong>{forgetHeadline(r)}</strong> {forgetDetail(r)}
    </div>
  );
}
