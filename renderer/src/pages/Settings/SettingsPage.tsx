// Settings page: which estate, which repository (open or create), backup policies, and the appearance.
import { useState } from 'react';
import { api } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { RepoFacts } from '../../components/RepoFacts';
import { InitRepoForm, OpenRepoForm } from '../../components/RepoForms';
import { useInventory } from '../../features/estate/queries';
import { useRepoInfo } from '../../features/repo/queries';
import { useUi } from '../../state/ui';
import { PoliciesCard } from './PoliciesCard';

function EstateCard() {
  const inv = useInventory();
  const src = inv.data?.source;
  return (
    <section className="card" aria-labelledby="estate-title">
      <h2 id="estate-title">Estate</h2>
      {inv.isError && <ErrorNote title="Could not read the estate" error={inv.error} />}
      {src && (
        <dl className="facts" data-testid="estate-source">
          <dt>Kind</dt>
          <dd>
            {src.kind === 'lab'
              ? 'Embedded lab cluster (simulated control plane, real VHDX files)'
              : src.kind === 'powershell'
                ? 'Hyper-V hosts over PowerShell'
                : 'Offline inventory file (read-only)'}
          </dd>
          <dt>Name</dt>
          <dd>{src.name}</dd>
          <dt>Location</dt>
          <dd className="mono">{src.location}</dd>
          <dt>Read-only</dt>
          <dd>{src.readOnly ? 'yes' : 'no'}</dd>
          <dt>Inventory collected</dt>
          <dd>{inv.data ? new Date(inv.data.collectedAt).toLocaleString() : '–'}</dd>
        </dl>
      )}
      <p className="muted small">
        Pick another lab with <code>npm start -- --lab PATH</code> or the <code>HVBC_LAB</code>{' '}
        variable.
      </p>
    </section>
  );
}

function RepositoryCard() {
  const info = useRepoInfo();
  const [mode, setMode] = useState<'none' | 'open' | 'init'>('none');
  return (
    <section className="card" aria-labelledby="repo-title">
      <h2 id="repo-title">Repository</h2>
      {info.isError && <ErrorNote title="Could not read the repository" error={info.error} />}
      {info.data &&
        (info.data.exists ? (
          <RepoFacts info={info.data} />
        ) : (
          <p className="warn-text">
            No repository at <span className="mono">{info.data.path}</span> yet.
          </p>
        ))}
      <div className="segmented" role="group" aria-label="Repository actions">
        <button
          type="button"
          aria-pressed={mode === 'open'}
          onClick={() => setMode(mode === 'open' ? 'none' : 'open')}
        >
          Open another…
        </button>
        <button
          type="button"
          aria-pressed={mode === 'init'}
          onClick={() => setMode(mode === 'init' ? 'none' : 'init')}
        >
          Create new…
        </button>
      </div>
      {mode === 'open' && <OpenRepoForm onDone={() => setMode('none')} />}
      {mode === 'init' && <InitRepoForm onDone={() => setMode('none')} />}
    </section>
  );
}

export function SettingsPage() {
  const inv = useInventory();
  const theme = useUi((s) => s.theme);
  const toggle = useUi((s) => s.toggleTheme);
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Settings</h1>
      </div>
      <EstateCard />
      <RepositoryCard />
      <PoliciesCard inv={inv.data} />
      <section className="card" aria-labelledby="appearance-title">
        <h2 id="appearance-title">Appearance</h2>
        <button type="button" onClick={toggle}>
          Switch to {theme === 'dark' ? 'light' : 'dark'} theme
        </button>
        <p className="muted small">
          Connected over {api().kind === 'ipc' ? 'Electron IPC' : 'WebSocket (web mode)'}.
        </p>
      </section>
    </div>
  );
}
