// Forms to create a repository (optionally encrypted) or open an existing one; both go through the contract.
import { useState, type FormEvent } from 'react';
import { useRepoInit, useRepoOpen } from '../features/repo/mutations';
import { ErrorNote } from './ErrorNote';

export function InitRepoForm({
  defaultPath,
  onDone,
}: {
  defaultPath?: string;
  onDone?: () => void;
}) {
  const init = useRepoInit();
  const [path, setPath] = useState('');
  const [encrypt, setEncrypt] = useState(false);
  const [pass, setPass] = useState('');
  const [pass2, setPass2] = useState('');
  const mismatch = encrypt && pass2 !== '' && pass !== pass2;
  const tooShort = encrypt && pass.length > 0 && pass.length < 8;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (encrypt && (pass.length < 8 || pass !== pass2)) return;
    init.mutate(
      { ...(path.trim() ? { path: path.trim() } : {}), ...(encrypt ? { passphrase: pass } : {}) },
      { onSuccess: () => onDone?.() },
    );
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Create a repository">
      <label className="field">
        <span>Folder</span>
        <input
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder={defaultPath ?? 'default: the console data folder'}
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={encrypt} onChange={(e) => setEncrypt(e.target.checked)} />{' '}
        Encrypt with a passphrase
      </label>
      {encrypt && (
        <>
          <label className="field">
            <span>Passphrase (at least 8 characters)</span>
            <input
              type="password"
              autoComplete="new-password"
              value={pass}
              onChange={(e) => setPass(e.target.value)}
              aria-invalid={tooShort}
            />
          </label>
          <label className="field">
            <span>Repeat passphrase</span>
            <input
              type="password"
              autoComplete="new-password"
              value={pass2}
              onChange={(e) => setPass2(e.target.value)}
              aria-invalid={mismatch}
            />
          </label>
          {(mismatch || tooShort) && (
            <p className="bad small">
              {tooShort ? 'Use at least 8 characters.' : 'The passphrases differ.'}
            </p>
          )}
          <p className="muted small">
            Without the passphrase nobody, including you, can restore from this repository. Keep it
            somewhere safe.
          </p>
        </>
      )}
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={init.isPending || (encrypt && (pass.length < 8 || pass !== pass2))}
        >
          {init.isPending ? 'Creating…' : 'Create repository'}
        </button>
      </div>
      {init.isError && <ErrorNote title="Could not create the repository" error={init.error} />}
    </form>
  );
}

export function OpenRepoForm({ onDone }: { onDone?: () => void }) {
  const open = useRepoOpen();
  const [path, setPath] = useState('');
  const [pass, setPass] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!path.trim()) return;
    open.mutate(
      { path: path.trim(), ...(pass ? { passphrase: pass } : {}) },
      { onSuccess: () => onDone?.() },
    );
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Open another repository">
      <label className="field">
        <span>Folder of an existing repository</span>
        <input value={path} onChange={(e) => setPath(e.target.value)} required />
      </label>
      <label className="field">
        <span>Passphrase (if it is encrypted)</span>
        <input
          type="password"
          autoComplete="current-password"
          value={pass}
          onChange={(e) => setPass(e.target.value)}
        />
      </label>
      <div className="actions">
        <button type="submit" disabled={open.isPending || !path.trim()}>
          {open.isPending ? 'Opening…' : 'Open repository'}
        </button>
      </div>
      {open.isError && <ErrorNote title="Could not open the repository" error={open.error} />}
    </form>
  );
}
