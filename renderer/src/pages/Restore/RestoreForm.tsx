// Where to restore: a sandbox folder (default under the console data) with a new VM id, or — on the lab only — in
// place over the original VM's disks after the admin types the VM name.
import { useState, type FormEvent } from 'react';
import type { Vm } from '../../../../shared/model';
import { ErrorNote } from '../../components/ErrorNote';
import { useStartRestore } from '../../features/backup/mutations';
import { useRestoreUi } from '../../state/restore';

export function RestoreForm({
  vm,
  pointId,
  lab,
}: {
  vm: Vm | undefined;
  pointId: string;
  /** The estate is the embedded lab: the only one where in-place restore is offered. */
  lab: boolean;
}) {
  const start = useStartRestore();
  const started = useRestoreUi((s) => s.restoreStarted);
  const [targetDir, setTargetDir] = useState('');
  const [newId, setNewId] = useState(true);
  const [choice, setChoice] = useState<'new' | 'in-place'>('new');
  const [confirm, setConfirm] = useState('');
  const inPlace = lab && choice === 'in-place';
  const vmName = vm?.name ?? '';
  const off = vm?.state === 'Off';
  const confirmed = !inPlace || (vmName !== '' && confirm === vmName);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!confirmed || (inPlace && !off)) return;
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
          <input
            type="radio"
            name="target"
            checked={!inPlace}
            onChange={() => setChoice('new')}
            data-testid="restore-target-new"
          />
          <span>
            <strong>As a new VM, beside the original, in a sandbox folder</strong>
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
        {lab && (
          <label className="choice">
            <input
              type="radio"
              name="target"
              checked={inPlace}
              onChange={() => setChoice('in-place')}
              disabled={!vm}
              data-testid="restore-target-in-place"
            />
            <span>
              <strong>Restore in place (replace the original VM's disks)</strong>
              <span className="muted small block">
                Embedded lab only.
                {!vm && ' The VM of this point no longer exists, so there is nothing to replace.'}
              </span>
            </span>
          </label>
        )}
        {inPlace && (
          <div className="indent">
            <div className="banner warn" role="note" data-testid="restore-in-place-warning">
              <strong>This replaces the disks of {vmName} with this point's copies.</strong>
              <ul>
                <li>
                  The VM must be off.{' '}
                  {!off && (
                    <span className="warn-text" data-testid="restore-in-place-not-off">
                      {vmName} is {vm?.state ?? 'unknown'}: turn it off first.
                    </span>
                  )}
                </li>
                <li>All its checkpoints are removed: they describe the disks being replaced.</li>
                <li>
                  The replaced files are kept, not deleted, in a <code>.hvbc-replaced</code> folder
                  beside the disks. Everything written since this point stops being in use.
                </li>
                <li>Change tracking restarts, so the next backup of {vmName} is full.</li>
              </ul>
            </div>
            <label className="field">
              <span>Type the VM name ({vmName}) to confirm</span>
              <input
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                aria-invalid={confirm !== '' && !confirmed}
                autoComplete="off"
                spellCheck={false}
                data-testid="restore-confirm-name"
              />
            </label>
          </div>
        )}
      </fieldset>
      <div className="actions">
        <button
          type="submit"
          className={inPlace ? 'danger' : 'primary'}
          disabled={!confirmed || (inPlace && !off) || start.isPending}
          data-testid="restore-submit"
        >
          {start.isPending
            ? 'Starting…'
            : inPlace
              ? `Replace the disks of ${vmName}`
              : 'Restore and verify'}
        </button>
      </div>
      {start.isError && <ErrorNote title="The restore did not start" error={start.error} />}
    </form>
  );
}
