// Where to restore: a sandbox folder (default under the console data), a new VM id, or in place after typing the VM name.
import { useState, type FormEvent } from 'react';
import type { Vm } from '../../../../shared/model';
import { ErrorNote } from '../../components/ErrorNote';
import { useStartRestore } from '../../features/backup/mutations';
import { useRestoreUi } from '../../state/restore';

export function RestoreForm({ vm, pointId }: { vm: Vm | undefined; pointId: string }) {
  const start = useStartRestore();
  const started = useRestoreUi((s) => s.restoreStarted);
  const [targetDir, setTargetDir] = useState('');
  const [newId, setNewId] = useState(true);
  const [inPlace, setInPlace] = useState(false);
  const [confirm, setConfirm] = useState('');
  const vmName = vm?.name ?? '';
  const confirmed = !inPlace || confirm === vmName;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!confirmed) return;
    start.mutate(
      inPlace
        ? { pointId, inPlace: true, confirmVmName: confirm, newId: false }
        : { pointId, newId, ...(targetDir.trim() ? { targetDir: targetDir.trim() } : {}) },
      { onSuccess: (t) => started(t.id) },
    );
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Restore target">
      <fieldset>
        <legend>Target</legend>
        <label className="choice">
          <input type="radio" name="target" checked={!inPlace} onChange={() => setInPlace(false)} />
          <span>
            <strong>Beside the original, in a sandbox folder</strong>
            <span className="muted small block">The original VM is not touched.</span>
          </span>
        </label>
        {!inPlace && (
          <div className="indent">
            <label className="field">
              <span>Folder</span>
              <input
                value={targetDir}
                onChange={(e) => setTargetDir(e.target.value)}
                placeholder="default: <console data>/restores/<vm>-<time>"
              />
            </label>
            <label className="check">
              <input type="checkbox" checked={newId} onChange={(e) => setNewId(e.target.checked)} />{' '}
              Give the restored VM a new id (so it can sit beside the original)
            </label>
          </div>
        )}
        <label className="choice">
          <input type="radio" name="target" checked={inPlace} onChange={() => setInPlace(true)} />
          <span>
            <strong>Over the original VM's disks (lab only)</strong>
            <span className="muted small block">
              Replaces its current disks; the VM must be off. Everything written since this point is
              lost.
            </span>
          </span>
        </label>
        {inPlace && (
          <label className="field indent">
            <span>Type the VM name ({vmName}) to confirm</span>
            <input
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              aria-invalid={!confirmed}
              autoComplete="off"
            />
          </label>
        )}
      </fieldset>
      <div className="actions">
        <button
          type="submit"
          className={inPlace ? 'danger' : 'primary'}
          disabled={!confirmed || start.isPending}
        >
          {start.isPending
            ? 'Starting…'
            : inPlace
              ? `Restore over ${vmName}`
              : 'Restore and verify'}
        </button>
      </div>
      {start.isError && <ErrorNote title="The restore did not start" error={start.error} />}
    </form>
  );
}
