// Repository page: path, encryption and figures; restore points per VM; check, verify, gc and retention as tasks.
import { ErrorNote } from '../../components/ErrorNote';
import { RepoFacts } from '../../components/RepoFacts';
import { InitRepoForm } from '../../components/RepoForms';
import { useRepoInfo } from '../../features/repo/queries';
import { Maintenance } from './Maintenance';
import { Retention } from './Retention';
import { UnreadablePoints } from './UnreadablePoints';
import { VmPoints } from './VmPoints';

export function RepositoryPage() {
  const info = useRepoInfo();
  return (
    <div className="page">
      <div className="toolbar">
        <h1>Repository</h1>
        <span className="muted">
          Deduplicated, compressed restore points; every chunk is hashed.
        </span>
      </div>
      {info.isError && (
        <ErrorNote
          title="Could not read the repository"
          error={info.error}
          onRetry={() => void info.refetch()}
        />
      )}
      {info.data && !info.data.exists && (
        <section className="card">
          <div className="banner warn">
            No repository at <span className="mono">{info.data.path}</span> yet.
          </div>
          <InitRepoForm defaultPath={info.data.path} />
        </section>
      )}
      {info.data?.exists && (
        <>
          <section className="card">
            <RepoFacts info={info.data} />
            {info.data.stats && <UnreadablePoints points={info.data.stats.unreadablePoints} />}
          </section>
          <Maintenance />
          <section className="card" aria-labelledby="vmpoints-title">
            <h2 id="vmpoints-title">Restore points per VM</h2>
            <VmPoints info={info.data} />
          </section>
          <Retention />
        </>
      )}
    </div>
  );
}
