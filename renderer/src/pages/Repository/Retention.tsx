// Retention (keep-last and GFS): always previewed as a dry run first, then applied after a confirmation.
import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { TaskDetail } from '../../components/TaskDetail';
import { useRepoForget } from '../../features/repo/mutations';

type Counts = { keepLast: string; daily: string; weekly: string; monthly: string; yearly: string };
const FIELDS: Array<{ key: keyof Counts; label: string }> = [
  { key: 'keepLast', label: 'Keep last' },
  { key: 'daily', label: 'Daily' },
  { key: 'weekly', label: 'Weekly' },
  { key: 'monthly', label: 'Monthly' },
  { key: 'yearly', label: 'Yearly' },
];

function toParams(c: Counts) {
  const out: Record<string, number> = {};
  for (const f of FIELDS) {
    const n = Number.parseInt(c[f.key], 10);
    if (Number.isFinite(n) && n >= (f.key === 'keepLast' ? 1 : 0) && c[f.key].trim() !== '')
      out[f.key] = n;
  }
  return out;
}

export function Retention() {
  const forget = useRepoForget();
  const [c, setC] = useState<Counts>({
    keepLast: '14',
    daily: '',
    weekly: '',
    monthly: '',
    yearly: '',
  });
  const [taskId, setTaskId] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const params = toParams(c);
  const empty = Object.keys(params).length === 0;
  const preview = (e: FormEvent) => {
    e.preventDefault();
    forget.mutate({ ...params, dryRun: true }, { onSuccess: (t) => setTaskId(t.id) });
  };
  return (
    <section className="card" aria-labelledby="ret-title">
      <h2 id="ret-title">Retention</h2>
      <form className="form row wrap" onSubmit={preview}>
        {FIELDS.map((f) => (
          <label key={f.key} className="field small-field">
            <span>{f.label}</span>
            <input
              inputMode="numeric"
              value={c[f.key]}
              onChange={(e) => setC({ ...c, [f.key]: e.target.value })}
            />
          </label>
        ))}
        <button type="submit" disabled={empty || forget.isPending}>
          Preview (dry run)
        </button>
        <button
          type="button"
          className="danger"
          disabled={empty || forget.isPending}
          onClick={() => setConfirm(true)}
        >
          Apply…
        </button>
      </form>
      <p className="muted small">
        Per VM: the newest points are kept as asked. A point that cannot be read is not counted (so
        it never takes a good point&apos;s place) and is named in the result.
      </p>
      {taskId && <TaskDetail taskId={taskId} showEvents={false} />}
      <ConfirmDialog
        open={confirm}
        title="Remove restore points?"
        confirm="Remove points"
        onConfirm={() => {
          setConfirm(false);
          forget.mutate({ ...params, dryRun: false }, { onSuccess: (t) => setTaskId(t.id) });
        }}
        onClose={() => setConfirm(false)}
      >
        <p>
          Restore points outside{' '}
          {FIELDS.filter((f) => params[f.key] !== undefined)
            .map((f) => `${f.label.toLowerCase()} ${params[f.key]}`)
            .join(', ')}{' '}
          are removed for every VM. Their data is freed by the next garbage collection. Run a
          preview first if unsure.
        </p>
      </ConfirmDialog>
    </section>
  );
}
