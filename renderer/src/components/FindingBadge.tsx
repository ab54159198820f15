// A badge counting pre-flight and doctor findings (errors, warnings, unknown), coloured by the worst; a button that opens the explanation.
import type { MouseEvent } from 'react';
import type { FindingCount } from '../topology/graph/findings';

export function FindingBadge({
  count,
  onOpen,
  label,
  testId,
}: {
  count: FindingCount;
  onOpen?: () => void;
  label: string;
  testId?: string;
}) {
  if (count.notable === 0) return null;
  const parts = [
    count.errors && `${count.errors} error${count.errors > 1 ? 's' : ''}`,
    count.warnings && `${count.warnings} warning${count.warnings > 1 ? 's' : ''}`,
    count.unknown && `${count.unknown} unknown`,
  ].filter(Boolean);
  const text = `${count.notable}`;
  const aria = `${label}: ${parts.join(', ')}. Show the explanation.`;
  const cls = `fbadge sev-${count.worst ?? 'info'}`;
  if (!onOpen) {
    return (
      <span className={cls} title={parts.join(', ')} data-testid={testId}>
        <span aria-hidden>{count.worst === 'error' ? '⛔' : '⚠'}</span> {text}
      </span>
    );
  }
  return (
    <button
      type="button"
      className={cls}
      aria-label={aria}
      title={parts.join(', ')}
      data-testid={testId}
      onClick={(e: MouseEvent) => {
        e.stopPropagation();
        onOpen();
      }}
    >
      <span aria-hidden>{count.worst === 'error' ? '⛔' : '⚠'}</span> {text}
    </button>
  );
}
