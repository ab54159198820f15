// The app shell: navigation, theme, live updates, notices, and the page for the current section.
import { useEffect } from 'react';
import { TERMINAL_TASK_STATES } from '../../shared/tasks';
import { useLiveUpdates } from './api/live';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Notices } from './components/Notices';
import { useInventory } from './features/estate/queries';
import { useTasks } from './features/tasks/queries';
import { BackupPage } from './pages/Backup/BackupPage';
import { CheckpointsPage } from './pages/Checkpoints/CheckpointsPage';
import { JobsPage } from './pages/Jobs/JobsPage';
import { RepositoryPage } from './pages/Repository/RepositoryPage';
import { RestorePage } from './pages/Restore/RestorePage';
import { SettingsPage } from './pages/Settings/SettingsPage';
import { TopologyPage } from './pages/Topology/TopologyPage';
import { useUi, type Page } from './state/ui';

const NAV: Array<{ page: Page; label: string }> = [
  { page: 'topology', label: 'Topology' },
  { page: 'checkpoints', label: 'Checkpoints' },
  { page: 'backup', label: 'Backup' },
  { page: 'restore', label: 'Restore & drills' },
  { page: 'jobs', label: 'Jobs' },
  { page: 'repository', label: 'Repository' },
  { page: 'settings', label: 'Settings' },
];

function CurrentPage({ page }: { page: Page }) {
  switch (page) {
    case 'topology':
      return <TopologyPage />;
    case 'checkpoints':
      return <CheckpointsPage />;
    case 'backup':
      return <BackupPage />;
    case 'restore':
      return <RestorePage />;
    case 'jobs':
      return <JobsPage />;
    case 'repository':
      return <RepositoryPage />;
    case 'settings':
      return <SettingsPage />;
  }
}

export function App() {
  useLiveUpdates();
  const page = useUi((s) => s.page);
  const setPage = useUi((s) => s.setPage);
  const theme = useUi((s) => s.theme);
  const toggleTheme = useUi((s) => s.toggleTheme);
  const inv = useInventory();
  const tasks = useTasks();
  const running = (tasks.data ?? []).filter((t) => !TERMINAL_TASK_STATES.includes(t.state)).length;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const appState = inv.isError ? 'error' : inv.data ? 'ready' : 'loading';
  return (
    <div className="shell" data-app-state={appState}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Sections">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◆
          </span>{' '}
          Hyper-V Backup
          {inv.data && <div className="muted small brand-sub">{inv.data.cluster.name}</div>}
        </div>
        {NAV.map((n) => (
          <button
            key={n.page}
            type="button"
            className={page === n.page ? 'active' : ''}
            aria-current={page === n.page ? 'page' : undefined}
            onClick={() => setPage(n.page)}
          >
            <span className="grow">{n.label}</span>
            {n.page === 'jobs' && running > 0 && (
              <span className="count" aria-label={`${running} running`}>
                {running}
              </span>
            )}
          </button>
        ))}
        <span className="grow" />
        <button
          type="button"
          className="theme-toggle"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀ Light theme' : '☾ Dark theme'}
        </button>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={page}>
          <CurrentPage page={page} />
        </ErrorBoundary>
      </main>
      <Notices />
    </div>
  );
}
