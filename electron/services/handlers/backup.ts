// Handlers for backup, restore, repository and job-history methods.
import type { backupMethods, RepoInfo } from '../../../shared/contract/backup';
import { startBackup, startCheck, startForget, startGc, startRestore } from '../engine/operations';
import type { Services } from '../services';
import type { HandlerSlice } from './types';

async function repoInfo(s: Services): Promise<RepoInfo> {
  if (!(await s.repos.exists())) return { path: s.repos.path, exists: false, stats: null };
  const repo = await s.repos.get();
  return { path: s.repos.path, exists: true, stats: await repo.stats() };
}

export function backupHandlers(s: Services): HandlerSlice<typeof backupMethods> {
  return {
    'backup.start': (p) => startBackup(s, p),
    'restore.start': (p) => startRestore(s, p),
    'repo.info': () => repoInfo(s),
    'repo.init': async (p) => {
      await s.repos.init(p);
      return repoInfo(s);
    },
    'repo.open': async (p) => {
      await s.repos.select(p.path, p.passphrase);
      return repoInfo(s);
    },
    'repo.points': async (p) => (await s.repos.get()).listPoints(p.vmId ? { vmId: p.vmId } : {}),
    'repo.check': (p) => startCheck(s, p.readData),
    'repo.gc': () => startGc(s),
    'repo.forget': (p) => startForget(s, p),
    'jobs.history': (p) => s.history.list(p.limit),
  };
}
