// Wizard step 3: the repository the backup goes into — shown with path and encryption, or created when there is none.
import { ErrorNote } from '../../components/ErrorNote';
import { RepoFacts } from '../../components/RepoFacts';
import { InitRepoForm } from '../../components/RepoForms';
import { useRepoInfo } from '../../features/repo/queries';

export function RepositoryStep() {
  const info = useRepoInfo();
  if (info.isError)
    return (
      <ErrorNote
        title="Could not read the repository"
        error={info.error}
        onRetry={() => void info.refetch()}
      />
    );
  if (!info.data) return <p className="muted">Reading the repository…</p>;
  if (!info.data.exists) {
    return (
      <div className="step-body narrow">
        <div className="banner warn" role="status">
          There is no repository at <span className="mono">{info.data.path}</span> yet. Create one
          to back up into.
        </div>
        <InitRepoForm defaultPath={info.data.path} />
      </div>
    );
  }
  return (
    <div className="step-body">
      <p>The backup goes into this repository (change it in Settings):</p>
      <RepoFacts info={info.data} />
    </div>
  );
}
