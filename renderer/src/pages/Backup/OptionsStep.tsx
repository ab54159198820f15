// Wizard step 2: consistency (application, file-system, crash), whether to require it, and full vs incremental.
import type { Consistency } from '../../../../shared/backup';
import { useWizard } from '../../state/backupWizard';

const LEVELS: Array<{ value: Consistency; title: string; text: string }> = [
  {
    value: 'application',
    title: 'Application-consistent',
    text: 'Production checkpoint with the guest VSS writers: databases and mail stores are flushed. Needs integration services and a healthy guest.',
  },
  {
    value: 'file-system',
    title: 'File-system consistent',
    text: 'The guest file systems are frozen, applications are not told: they recover as after a clean power cut.',
  },
  {
    value: 'crash',
    title: 'Crash-consistent',
    text: 'Disk state at one instant, as if the power was pulled. Always possible; applications replay their logs on restore.',
  },
];

export function OptionsStep() {
  const s = useWizard();
  return (
    <div className="step-body narrow">
      <fieldset>
        <legend>Consistency</legend>
        {LEVELS.map((l) => (
          <label key={l.value} className="choice">
            <input
              type="radio"
              name="consistency"
              value={l.value}
              checked={s.consistency === l.value}
              onChange={() => s.setOptions({ consistency: l.value })}
            />
            <span>
              <strong>{l.title}</strong>
              <span className="muted small block">{l.text}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Options</legend>
        <label className="choice">
          <input
            type="checkbox"
            checked={s.requireConsistency}
            onChange={(e) => s.setOptions({ requireConsistency: e.target.checked })}
          />
          <span>
            <strong>Require this consistency</strong>
            <span className="muted small block">
              Fail the VM instead of silently falling back to a weaker level. Off: the run falls
              back and the summary says so for each VM.
            </span>
          </span>
        </label>
        <label className="choice">
          <input
            type="checkbox"
            checked={s.full}
            onChange={(e) => s.setOptions({ full: e.target.checked })}
          />
          <span>
            <strong>Full backup</strong>
            <span className="muted small block">
              Read every disk completely even when change tracking could give an incremental.
            </span>
          </span>
        </label>
      </fieldset>
    </div>
  );
}
