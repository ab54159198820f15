// A labelled figure (e.g. "Dedupe ratio 3.2×") with a fixed-width number so values do not jump.
import type { ReactNode } from 'react';

export function Stat({
  label,
  value,
  hint,
  tone,
}: {
  label: string;
  value: ReactNode;
  hint?: string;
  tone?: 'ok' | 'bad' | 'warn';
}) {
  return (
    <div className={`stat ${tone ?? ''}`} title={hint}>
      <div className="stat-label">{label}</div>
      <div className="stat-value num">{value}</div>
    </div>
  );
}
