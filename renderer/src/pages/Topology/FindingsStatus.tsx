// One line on how the pre-flight checks and the checkpoint doctor see the estate (or why they could not run).
import type { UseQueryResult } from '@tanstack/react-query';
import type { DoctorReport, PreflightReport } from '../../../../shared/planner';
import { describeError, isUnavailable } from '../../components/errorText';

export function FindingsStatus({
  pre,
  doc,
}: {
  pre: UseQueryResult<PreflightReport>;
  doc: UseQueryResult<DoctorReport>;
}) {
  const part = (name: string, q: UseQueryResult<unknown>, text: () => string) => {
    if (q.isPending) return <span className="muted">{name}: checking…</span>;
    if (q.isError)
      return (
        <span
          className={isUnavailable(q.error) ? 'warn-text' : 'bad'}
          title={describeError(q.error)}
        >
          {name}: {isUnavailable(q.error) ? 'not offered by this service' : 'failed'}
        </span>
      );
    return (
      <span>
        {name}: {text()}
      </span>
    );
  };
  return (
    <div className="findings-status small" data-testid="findings-status">
      {part('Pre-flight', pre, () => {
        const s = pre.data?.summary;
        return s ? `${s.errors} errors, ${s.warnings} warnings, ${s.unknown} unknown` : '';
      })}
      {part('Doctor', doc, () => `${doc.data?.findings.length ?? 0} findings`)}
    </div>
  );
}
