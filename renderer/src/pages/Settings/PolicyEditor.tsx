// The policy editor: name, kind, selection (names, tags, CSVs, nodes), consistency, retention, schedule and window, drill-after, webhook.
import { useMemo, useState, type FormEvent } from 'react';
import type { Inventory } from '../../../../shared/model';
import { Dialog } from '../../components/Dialog';
import { ErrorNote } from '../../components/ErrorNote';
import { useSavePolicy } from '../../features/policies/mutations';
import { CheckList } from './CheckList';
import { ChipInput } from './ChipInput';
import { matchingVms, policyOf, slug, type PolicyDraft } from './policyDraft';

const CRON_PRESETS = [
  { cron: '0 22 * * 1-5', label: 'Weekdays at 22:00' },
  { cron: '0 1 * * *', label: 'Every night at 01:00' },
  { cron: '0 */4 * * *', label: 'Every 4 hours' },
  { cron: '30 2 * * 0', label: 'Sundays at 02:30' },
];

export function PolicyEditor({
  open,
  initial,
  isNew,
  inv,
  onClose,
}: {
  open: boolean;
  initial: PolicyDraft;
  isNew: boolean;
  inv: Inventory | undefined;
  onClose(): void;
}) {
  const [d, setD] = useState<PolicyDraft>(initial);
  const [tried, setTried] = useState(false);
  const save = useSavePolicy();
  const set = (p: Partial<PolicyDraft>) => setD((x) => ({ ...x, ...p }));
  const built = policyOf(d);
  const problems = built.ok ? [] : built.problems;
  const problem = (path: string) =>
    problems.find((p) => p.path === path || p.path.startsWith(`${path}.`))?.message;
  const tags = useMemo(() => [...new Set((inv?.vms ?? []).flatMap((v) => v.tags))].sort(), [inv]);
  const matches = useMemo(() => (inv ? matchingVms(inv, d) : []), [inv, d]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!built.ok) return;
    save.mutate(built.policy, { onSuccess: () => onClose() });
  };
  const show = (path: string) => (tried ? problem(path) : undefined);
  return (
    <Dialog
      open={open}
      title={isNew ? 'New policy' : `Edit policy ${initial.name}`}
      onClose={onClose}
      wide
      testId="policy-editor"
    >
      <form className="form policy-form" onSubmit={submit} noValidate>
        <div className="row wrap">
          <label className="field grow">
            <span>Name</span>
            <input
              value={d.name}
              onChange={(e) => set({ name: e.target.value })}
              required
              aria-invalid={!!show('name')}
            />
            {show('name') && <span className="bad small">{show('name')}</span>}
          </label>
          <label className="field">
            <span>Id</span>
            <input
              value={isNew ? d.id || slug(d.name) : d.id}
              onChange={(e) => set({ id: e.target.value })}
              disabled={!isNew}
              aria-invalid={!!show('id')}
            />
            {show('id') && <span className="bad small">{show('id')}</span>}
          </label>
          <label className="field">
            <span>Kind</span>
            <select
              value={d.kind}
              onChange={(e) => set({ kind: e.target.value as PolicyDraft['kind'] })}
            >
              <option value="backup">Backup</option>
              <option value="drill">Drill only (restore and verify)</option>
            </select>
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={d.enabled}
              onChange={(e) => set({ enabled: e.target.checked })}
            />{' '}
            Enabled
          </label>
        </div>
        <fieldset>
          <legend>Which VMs (any of these)</legend>
          <ChipInput
            label="VM names"
            values={d.names}
            options={(inv?.vms ?? []).map((v) => v.name)}
            onChange={(names) => set({ names })}
          />
          <div className="row wrap top">
            <CheckList
              legend="Tags"
              options={tags.map((t) => ({ value: t, label: t }))}
              values={d.tags}
              onChange={(t) => set({ tags: t })}
            />
            <CheckList
              legend="CSVs"
              options={(inv?.cluster.csvs ?? []).map((c) => ({ value: c.id, label: c.name }))}
              values={d.csvIds}
              onChange={(csvIds) => set({ csvIds })}
            />
            <CheckList
              legend="Nodes"
              options={(inv?.cluster.nodes ?? []).map((n) => ({ value: n.name, label: n.name }))}
              values={d.nodes}
              onChange={(nodes) => set({ nodes })}
            />
          </div>
          {show('select') && <span className="bad small">{show('select')}</span>}
          <p className="small" aria-live="polite" data-testid="policy-matches">
            Selects {matches.length} VM{matches.length === 1 ? '' : 's'} now
            {matches.length > 0 && (
              <span className="muted">
                : {matches.slice(0, 12).join(', ')}
                {matches.length > 12 ? ` and ${matches.length - 12} more` : ''}
              </span>
            )}
          </p>
        </fieldset>
        {d.kind === 'backup' && (
          <fieldset className="row wrap">
            <legend>Consistency</legend>
            <select
              value={d.consistency}
              onChange={(e) => set({ consistency: e.target.value as PolicyDraft['consistency'] })}
              aria-label="Consistency"
            >
              <option value="application">Application-consistent</option>
              <option value="file-system">File-system consistent</option>
              <option value="crash">Crash-consistent</option>
            </select>
            <label className="check">
              <input
                type="checkbox"
                checked={d.requireConsistency}
                onChange={(e) => set({ requireConsistency: e.target.checked })}
              />{' '}
              Require it (no fallback)
            </label>
          </fieldset>
        )}
        <fieldset className="row wrap">
          <legend>Schedule</legend>
          <label className="field">
            <span>Cron (minute hour day month weekday)</span>
            <input
              className="mono"
              value={d.cron}
              onChange={(e) => set({ cron: e.target.value })}
              aria-invalid={!!show('schedule.cron')}
            />
            {show('schedule.cron') && <span className="bad small">{show('schedule.cron')}</span>}
          </label>
          <label className="field">
            <span>Preset</span>
            <select value="" onChange={(e) => e.target.value && set({ cron: e.target.value })}>
              <option value="">choose…</option>
              {CRON_PRESETS.map((p) => (
                <option key={p.cron} value={p.cron}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field small-field">
            <span>Window (minutes)</span>
            <input
              inputMode="numeric"
              value={d.windowMinutes}
              onChange={(e) => set({ windowMinutes: e.target.value })}
              aria-invalid={!!show('schedule.windowMinutes')}
            />
          </label>
          <span className="muted small">
            A run that cannot start within the window of its slot is reported as missed.
          </span>
        </fieldset>
        {d.kind === 'backup' && (
          <fieldset className="row wrap">
            <legend>Retention</legend>
            {(['keepLast', 'daily', 'weekly', 'monthly', 'yearly'] as const).map((k) => (
              <label key={k} className="field small-field">
                <span>{k === 'keepLast' ? 'Keep last' : k[0]?.toUpperCase() + k.slice(1)}</span>
                <input
                  inputMode="numeric"
                  value={d[k]}
                  onChange={(e) => set({ [k]: e.target.value } as Partial<PolicyDraft>)}
                  aria-invalid={!!show(`retention.${k}`)}
                />
              </label>
            ))}
            {show('retention') && <span className="bad small">{show('retention')}</span>}
          </fieldset>
        )}
        <fieldset>
          <legend>After the run</legend>
          {d.kind === 'backup' && (
            <label className="check">
              <input
                type="checkbox"
                checked={d.drillAfter}
                onChange={(e) => set({ drillAfter: e.target.checked })}
              />{' '}
              Run a restore drill of the backed-up VMs after a successful run
            </label>
          )}
          <label className="field">
            <span>Webhook (notified when a run or drill fails or misses its target)</span>
            <input
              value={d.webhook}
              onChange={(e) => set({ webhook: e.target.value })}
              placeholder="https://…"
              aria-invalid={!!show('webhook')}
            />
            {show('webhook') && <span className="bad small">{show('webhook')}</span>}
          </label>
        </fieldset>
        {tried && problems.length > 0 && (
          <div className="banner bad" role="alert">
            Fix {problems.length} problem{problems.length > 1 ? 's' : ''} first:{' '}
            {problems.map((p) => `${p.path || 'policy'}: ${p.message}`).join('; ')}
          </div>
        )}
        {save.isError && <ErrorNote title="Could not save the policy" error={save.error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save policy'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
