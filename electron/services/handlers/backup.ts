// Handlers for backup, restore, repository and job-history methods.
import type { BackupRequest } from '../../../shared/backup';
import type { backupMethods, RepoInfo } from '../../../shared/contract/backup';
import { HvbcError } from '../../../shared/errors';
import { gate, overridesByResult } from '../../../shared/preflight-gate';
import { runPreflightLive } from '../planner';
import { startBackup, startCheck, startForget, startGc, startRestore } from '../engine/operations';
import type { Services } from '../services';
import type { HandlerSlice } from './types';

async function repoInfo(s: Services): Promise<RepoInfo> {
  if (!(await s.repos.exists())) return { path: s.repos.path, exists: false, stats: null };
  const repo = await s.repos.get();
  return { path: s.repos.path, exists: true, stats: await repo.stats() };
}

/**
 * The console's rule for starting a backup, applied by the service too so no client can skip it: pre-flight
 * errors block, and every failing warning needs an override with a reason (recorded with the run).
 */
async function checkPreflight(s: Services, req: BackupRequest): Promise<void> {
  const report = await runPreflightLive(s.provider, req.vmIds, {
    activeTaskIds: s.tasks.activeIds(),
  });
  const g = gate(report, overridesByResult(report, req.overrides));
  if (g.errors.length > 0 || g.pending.length > 0) {
    const list = [...g.errors, ...g.pending].map(
      (r) =>
        `${r.target.name}: ${r.message} [${r.ruleId}${r.severity === 'warning' ? ', needs an override with a reason' : ''}]`,
    );
    throw new HvbcError('PREFLIGHT_BLOCKED', `Pre-flight blocks this backup: ${list.join('; ')}`, {
      errors: g.errors.map((r) => r.id),
      pending: g.pending.map((r) => r.id),
    });
  }
}

export function backupHandlers(s: Services): HandlerSlice<typeof backupMethods> {
  return {
    'backup.start': async (p) => {
      await checkPreflight(s, p);
      return startBackup(s, p);
    },
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
    'repo.quarantinePoint': async (p) => (await s.repos.get()).quarantinePoint(p.pointId),
    'repo.check': (p) => startCheck(s, p.readData),
    'repo.gc': () => startGc(s),
    'repo.forget': (p) => startForget(s, p),
    'jobs.history': (p) => s.history.list(p.limit),
  };
}
