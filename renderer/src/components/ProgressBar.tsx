// An accessible progress bar with a fixed height; indeterminate when the total is unknown.
export function ProgressBar({
  fraction,
  label,
  tone,
}: {
  fraction: number | null;
  label: string;
  tone?: 'ok' | 'bad' | 'warn';
}) {
  const pct = fraction === null ? null : Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10;
  return (
    <div
      className={`pbar ${pct === null ? 'indeterminate' : ''} ${tone ?? ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(pct === null ? {} : { 'aria-valuenow': pct })}
    >
      <div className="pbar-fill" style={{ width: pct === null ? '30%' : `${pct}%` }} />
    </div>
  );
}
