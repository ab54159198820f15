// Settings page: which estate the console is connected to and how.
import { api } from '../api/client';
import { useInventory } from '../api/queries';
import { useUi } from '../state/ui';

export function SettingsPage() {
  const inv = useInventory();
  const theme = useUi((s) => s.theme);
  const toggle = useUi((s) => s.toggleTheme);
  const src = inv.data?.source;
  return (
    <div className="page">
      <div className="toolbar"><h1>Settings</h1></div>
      <section className="card">
        <h2>Estate</h2>
        {src ? (
          <dl className="facts">
            <dt>Kind</dt><dd>{src.kind === 'lab' ? 'Embedded lab cluster' : src.kind}</dd>
            <dt>Name</dt><dd>{src.name}</dd>
            <dt>Location</dt><dd className="mono">{src.location}</dd>
            <dt>Read-only</dt><dd>{src.readOnly ? 'yes' : 'no'}</dd>
          </dl>
        ) : <p>Loading…</p>}
        <p className="muted">Pick another lab with <code>npm start -- --lab PATH</code> or the HVBC_LAB variable.</p>
      </section>
      <section className="card">
        <h2>Appearance</h2>
        <button onClick={toggle}>Switch to {theme === 'dark' ? 'light' : 'dark'} theme</button>
        <p className="muted">Connected over {api().kind === 'ipc' ? 'Electron IPC' : 'WebSocket (web mode)'}.</p>
      </section>
    </div>
  );
}
