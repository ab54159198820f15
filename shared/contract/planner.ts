// Contract methods for the planner, pre-flight checks and checkpoint doctor.
import { z } from 'zod';
import type { Inventory } from '../model';
import type { RecommendationStep } from '../planner';
import type {
  BackupPlan,
  DoctorReport,
  DoctorRepairResult,
  GraphSummary,
  PreflightReport,
  RecommendResult,
} from '../planner';
import { method, NoParams } from './define';

const VmRefs = z.array(z.string().min(1)).max(10_000).optional();

export const plannerMethods = {
  'planner.analyze': method<GraphSummary>()(
    NoParams,
    'The VM ↔ CSV graph: components, VMs spanning CSVs, hosts that do not own their CSV, redirected CSVs, load per node and CSV, conflicts.',
  ),
  'planner.plan': method<BackupPlan>()(
    z
      .object({
        vmIds: VmRefs,
        maxPerCsv: z.number().int().positive().max(64).optional(),
        maxPerNode: z.number().int().positive().max(256).optional(),
        throughputMBps: z.number().positive().max(100_000).optional(),
        incremental: z.boolean().optional(),
        changeRatePercent: z.number().min(0).max(100).optional(),
      })
      .strict(),
    'A backup job plan: jobs in waves, CSV ownership moves, who waits on what and why, and an estimated duration.',
  ),
  'planner.recommend': method<RecommendResult>()(
    NoParams,
    'Recommendations that remove CSV conflicts (owner moves, disk moves, live migrations, one job per CSV), each naming the conflicts it removes.',
  ),
  'preflight.run': method<PreflightReport>()(
    z
      .object({
        vmIds: VmRefs,
        dryRun: z.boolean().optional(),
        changeRatePercent: z.number().min(0).max(100).optional(),
        windowHours: z.number().positive().max(168).optional(),
      })
      .strict(),
    'Pre-flight checks per VM and CSV with evidence and fix; dryRun takes and removes a production checkpoint with fallback off.',
  ),
  'doctor.scan': method<DoctorReport>()(
    z.object({ minOrphanAgeMinutes: z.number().nonnegative().max(525_600).optional() }).strict(),
    'Checkpoint doctor: orphaned .avhdx files, lingering recovery checkpoints, broken chains, merges pending or failed.',
  ),
  'doctor.repair': method<DoctorRepairResult>()(
    z.object({ findingIds: z.array(z.string().min(1)).max(10_000), dryRun: z.boolean() }).strict(),
    'Repair chosen doctor findings in a safe order (dryRun: only list the steps); returns the plan and the log of what was done.',
  ),
  'planner.apply': method<PlannerApplyResult>()(
    z.object({ recommendationId: z.string().min(1), confirmed: z.boolean() }).strict(),
    'Apply a recommendation through the provider; without confirmed it only previews the result.',
  ),
};

/** What applying a recommendation did (or would do, unconfirmed), step by step. */
export interface PlannerApplyResult {
  applied: boolean;
  after: Inventory;
  conflictsAfter: number;
  steps: Array<{
    step: RecommendationStep;
    status: 'previewed' | 'done' | 'failed' | 'not-supported' | 'skipped';
    message: string;
  }>;
}
