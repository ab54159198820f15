// Shared shapes of restore drills (steps, evidence, signed reports) and backup policies with schedules.
import { z } from 'zod';
import { Consistency } from './backup';
import type { Inventory, Vm } from './model';

export const DrillRequest = z
  .object({
    /** One VM, or several (an application group) restored in this boot order. */
    vmIds: z.array(z.string().min(1)).min(1),
    /** Restore point per VM; default: the newest point of each VM. */
    pointIds: z.record(z.string(), z.string()).default({}),
    /** Optional custom check: a command run against the restored VM's folder (lab) or session (host). */
    customCheck: z.string().max(2000).optional(),
    /** Keep the sandbox after the drill (default: torn down, evidence kept). */
    keepSandbox: z.boolean().default(false),
    trigger: z.string().default('console'),
  })
  .strict();
export type DrillRequest = z.infer<typeof DrillRequest>;

export const DrillStepId = z.enum([
  'data-integrity',
  'restore',
  'vhdx-structure',
  'content-match',
  'config-import',
  'boot-heartbeat',
  'custom-check',
]);
export type DrillStepId = z.infer<typeof DrillStepId>;

export interface DrillStep {
  id: DrillStepId;
  vmId: string;
  title: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped, in words. */
  reason?: string;
  /** What was measured or compared (hashes, counts, exit codes…). */
  evidence: Record<string, unknown>;
  startedAt: string;
  durationSeconds: number;
}

export interface DrillVmResult {
  vmId: string;
  vmName: string;
  pointId: string;
  pointTime: string;
  sandboxVmId: string;
  /** Seconds from the drill's start to this VM being verified. */
  recoverySeconds: number | null;
  rtoSeconds: number | null;
  rtoMet: boolean | null;
  /** Positive: seconds to spare; negative: seconds over target. */
  rtoMarginSeconds: number | null;
}

export interface DrillRecord {
  id: string;
  taskId: string;
  startedAt: string;
  endedAt: string;
  status: 'passed' | 'failed';
  /** The first failed step, in words. */
  failure?: string;
  trigger: string;
  vms: DrillVmResult[];
  steps: DrillStep[];
  sandbox: { folder: string; network: string; tornDown: boolean };
  /** Hash chain: sha256 of (previous record's hash + this record without the hash fields). */
  prevHash: string;
  hash: string;
}

export interface DrillTrendPoint {
  drillId: string;
  time: string;
  vmId: string;
  vmName: string;
  recoverySeconds: number | null;
  rtoSeconds: number | null;
  status: 'passed' | 'failed';
}

export const Schedule = z
  .object({
    /** Five-field cron: minute hour day-of-month month day-of-week (e.g. "0 22 * * 1-5"). */
    cron: z.string().min(9),
    /** Backup window: a run that cannot start within this many minutes of its slot is reported missed. */
    windowMinutes: z
      .number()
      .int()
      .positive()
      .max(24 * 60)
      .default(240),
  })
  .strict();
export type Schedule = z.infer<typeof Schedule>;

export const PolicySelector = z
  .object({
    names: z.array(z.string()).default([]),
    tags: z.array(z.string()).default([]),
    csvIds: z.array(z.string()).default([]),
    nodes: z.array(z.string()).default([]),
  })
  .strict();

export const BackupPolicy = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, dash or underscore'),
    name: z.string().min(1),
    enabled: z.boolean().default(true),
    select: PolicySelector,
    consistency: Consistency.default('application'),
    requireConsistency: z.boolean().default(false),
    retention: z
      .object({
        keepLast: z.number().int().positive().optional(),
        daily: z.number().int().nonnegative().optional(),
        weekly: z.number().int().nonnegative().optional(),
        monthly: z.number().int().nonnegative().optional(),
        yearly: z.number().int().nonnegative().optional(),
      })
      .strict()
      .default({ keepLast: 14 }),
    schedule: Schedule,
    /** Run a restore drill of the backed-up VMs after a successful run. */
    drillAfter: z.boolean().default(false),
    /** Optional webhook (http/https) notified when a run or drill fails or misses its target. */
    webhook: z.string().url().optional(),
    /** A drill-only policy: restores and verifies on its schedule, takes no backup. */
    kind: z.enum(['backup', 'drill']).default('backup'),
  })
  .strict();
export type BackupPolicy = z.infer<typeof BackupPolicy>;

export interface PolicyRun {
  policyId: string;
  slot: string;
  startedAt: string | null;
  endedAt: string | null;
  status: 'running' | 'succeeded' | 'partial' | 'failed' | 'missed' | 'skipped-overlap';
  taskId: string | null;
  drillId: string | null;
  message: string;
}

export interface PolicyStatus {
  policy: BackupPolicy;
  nextRun: string | null;
  lastRun: PolicyRun | null;
  running: boolean;
}

/** The VMs a policy selects: any VM matching any of its names (case-insensitive), tags, CSVs or nodes. */
export function selectPolicyVms(
  inv: Inventory,
  sel: { names: string[]; tags: string[]; csvIds: string[]; nodes: string[] },
): Vm[] {
  const names = new Set(sel.names.map((n) => n.toLowerCase()));
  return inv.vms.filter(
    (vm) =>
      names.has(vm.name.toLowerCase()) ||
      vm.tags.some((t) => sel.tags.includes(t)) ||
      vm.disks.some((d) => d.csvId !== null && sel.csvIds.includes(d.csvId)) ||
      sel.nodes.includes(vm.hostNode),
  );
}
