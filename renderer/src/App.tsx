// The app shell: navigation, theme, live updates, and the page for the current section.
import { useEffect } from 'react';
import { useLiveUpdates } from './api/queries';
import { CheckpointsPage } from './pages/CheckpointsPage';
import { JobsPage } from './pages/JobsPage';
import { PendingPage } from './pages/PendingPage';
import { SettingsPage } from './pages/SettingsPage';
import { TopologyPage } from './pages/TopologyPage';
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
    case 'jobs':
      return <JobsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'backup':
      return <PendingPage title="Backup" needs="the backup engine" />;
    case 'restore':
      return <PendingPage title="Restore & drills" needs="the backup engine" />;
    case 'repository':
      return <PendingPage title="Repository" needs="the repository service" />;
  }
}

export function App() {
  useLiveUpdates();
  const page = useUi((s) => s.page);
  const setPage = useUi((s) => s.setPage);
  const theme = useUi((s) => s.theme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Sections">
        <div className="brand">
          <span className="logo" aria-hidden>◆</span> Hyper-V Backup
        </div>
        {NAV.map((n) => (
          <button key={n.page} className={page === n.page ? 'active' : ''} aria-current={page === n.page ? 'page' : undefined} onClick={() => setPage(n.page)}>
            {n.label}
          </button>
        ))}
      </nav>
      <main className="content">
        <CurrentPage page={page} />
      </main>
    </div>
  );
}
