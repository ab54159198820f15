// Contract methods for restore drills, their reports, backup policies and the scheduler.
import { z } from 'zod';
import {
  BackupPolicy,
  DrillRequest,
  type DrillRecord,
  type DrillTrendPoint,
  type PolicyRun,
  type PolicyStatus,
} from '../drills';
import type { TaskRecord } from '../tasks';
import { method, NoParams } from './define';

export const drillMethods = {
  'drills.start': method<TaskRecord>()(
    DrillRequest,
    'Run a restore drill in an isolated sandbox as a task.',
  ),
  'drills.list': method<DrillRecord[]>()(
    z.object({ vmId: z.string().optional() }).strict(),
    'Drill records, oldest first.',
  ),
  'drills.trend': method<DrillTrendPoint[]>()(
    z.object({ vmId: z.string().optional() }).strict(),
    'Recovery time per VM across drills.',
  ),
  'drills.report': method<{ fileName: string; html: string }>()(
    z.object({ drillId: z.string().min(1) }).strict(),
    'The drill report as a self-contained HTML file an auditor can keep.',
  ),
  'drills.verifyChain': method<{
    ok: boolean;
    records: number;
    brokenAt?: string;
    reason?: string;
  }>()(NoParams, 'Check the hash chain over every drill record.'),
  'policies.list': method<PolicyStatus[]>()(
    NoParams,
    'Backup policies with their next and last runs.',
  ),
  'policies.save': method<PolicyStatus>()(BackupPolicy, 'Create or replace a backup policy.'),
  'policies.delete': method<{ deleted: boolean }>()(
    z.object({ id: z.string().min(1) }).strict(),
    'Delete a backup policy.',
  ),
  'policies.runNow': method<PolicyRun>()(
    z.object({ id: z.string().min(1) }).strict(),
    'Run a policy now (never overlapping a running one).',
  ),
  'policies.runs': method<PolicyRun[]>()(
    z
      .object({
        policyId: z.string().optional(),
        limit: z.number().int().positive().max(5000).optional(),
      })
      .strict(),
    'Policy runs, including missed ones.',
  ),
};
