// A titled box of fixed height for a chart, so charts never change the page's layout while data arrives.
import type { ReactNode } from 'react';

export function ChartFrame({
  title,
  note,
  children,
  testId,
  height = 220,
}: {
  title: string;
  note?: string;
  children: ReactNode;
  testId?: string;
  height?: number;
}) {
  return (
    <figure className="chart" data-testid={testId} aria-label={title}>
      <figcaption>
        <strong>{title}</strong>
        {note && <span className="muted small"> · {note}</span>}
      </figcaption>
      <div className="chart-body" style={{ height }}>
        {children}
      </div>
    </figure>
  );
}
