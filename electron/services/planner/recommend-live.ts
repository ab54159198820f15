// Edge: carry out a recommendation through the provider, only when the admin confirmed it; otherwise return the preview.
import { toErrorData } from '../../../shared/errors';
import type { Inventory } from '../../../shared/model';
import type { Recommendation, RecommendationStep } from '../../../shared/planner';
import type { EstateProvider } from '../providers/types';
import { findConflicts } from './graph';
import { applyRecommendation } from './recommend';

/** Optional provider capabilities for the steps beyond CSV ownership (the lab has both; a real estate runs them via PowerShell). */
export interface MoveCapabilities {
  liveMigrate?(vmId: string, node: string): Promise<void>;
  storageMigrate?(vmId: string, diskId: string, csvId: string): Promise<void>;
}

export interface ApplyStepLog {
  step: RecommendationStep;
  status: 'previewed' | 'done' | 'failed' | 'not-supported' | 'skipped';
  message: string;
}

export interface ApplyResult {
  applied: boolean;
  /** What the estate looks like after the recommendation (preview) or after the steps that ran (confirmed). */
  after: Inventory;
  conflictsAfter: number;
  steps: ApplyStepLog[];
}

/**
 * Without `confirmed` nothing is changed: the result is the preview computed on a copy. With it, steps run in
 * order through the provider and stop at the first failure (later steps are skipped), so the estate is never
 * left half-changed without saying so.
 */
export async function applyRecommendationLive(
  provider: EstateProvider & MoveCapabilities,
  rec: Recommendation,
  opts: { confirmed: boolean },
): Promise<ApplyResult> {
  const inv = await provider.inventory();
  if (!opts.confirmed) {
    const after = applyRecommendation(inv, rec);
    return {
      applied: false,
      after,
      conflictsAfter: findConflicts(after).length,
      steps: rec.steps.map((step) => ({
        step,
        status: 'previewed',
        message: 'Not applied: confirmation required.',
      })),
    };
  }
  const steps: ApplyStepLog[] = [];
  let stopped = false;
  for (const step of rec.steps) {
    if (stopped) {
      steps.push({ step, status: 'skipped', message: 'Skipped: an earlier step failed.' });
      continue;
    }
    try {
      if (step.kind === 'set-csv-owner') {
        await provider.moveCsv(step.csvId, step.to);
        steps.push({
          step,
          status: 'done',
          message: `Ownership of ${step.csvId} moved to ${step.to}.`,
        });
      } else if (step.kind === 'migrate-vm') {
        if (!provider.liveMigrate)
          throw Object.assign(
            new Error(
              'This estate cannot live-migrate from the console: run Move-ClusterVirtualMachineRole.',
            ),
            { code: 'UNSUPPORTED' },
          );
        await provider.liveMigrate(step.vmId, step.to);
        steps.push({
          step,
          status: 'done',
          message: `VM ${step.vmId} live-migrated to ${step.to}.`,
        });
      } else {
        if (!provider.storageMigrate)
          throw Object.assign(
            new Error('This estate cannot move storage from the console: run Move-VMStorage.'),
            { code: 'UNSUPPORTED' },
          );
        await provider.storageMigrate(step.vmId, step.diskId, step.toCsvId);
        steps.push({
          step,
          status: 'done',
          message: `Disk ${step.diskId} moved to ${step.toCsvId}.`,
        });
      }
    } catch (e) {
      const unsupported = (e as { code?: string }).code === 'UNSUPPORTED';
      steps.push({
        step,
        status: unsupported ? 'not-supported' : 'failed',
        message: unsupported
          ? (e as Error).message
          : `[${toErrorData(e).code}] ${toErrorData(e).message}`,
      });
      stopped = true;
    }
  }
  const after = await provider.inventory();
  return {
    applied: steps.every((s) => s.status === 'done'),
    after,
    conflictsAfter: findConflicts(after).length,
    steps,
  };
}
