// Pure: whether a backup may start after pre-flight — errors block, each warning needs an override with a reason.
import type { PreflightReport, PreflightResult } from '../../../../shared/planner';
import type { Override } from '../../state/backupWizard';

export const MIN_REASON = 3;

export interface Gate {
  errors: PreflightResult[];
  warnings: PreflightResult[];
  infos: PreflightResult[];
  unknown: PreflightResult[];
  /** Warnings still lacking an override with a reason. */
  pending: PreflightResult[];
  canStart: boolean;
  /** The overrides to send with BackupRequest.overrides (only for current warnings). */
  overrides: Array<{ ruleId: string; vmId?: string; reason: string }>;
}

export function overrideFor(r: PreflightResult, reason: string): Override {
  return r.target.kind === 'vm'
    ? { ruleId: r.ruleId, vmId: r.target.id, reason }
    : { ruleId: r.ruleId, reason };
}

export function gate(report: PreflightReport, overrides: Record<string, Override>): Gate {
  const fails = report.results.filter((r) => r.status === 'fail');
  const errors = fails.filter((r) => r.severity === 'error');
  const warnings = fails.filter((r) => r.severity === 'warning');
  const infos = fails.filter((r) => r.severity === 'info');
  const unknown = report.results.filter((r) => r.status === 'unknown');
  const valid = (r: PreflightResult) => (overrides[r.id]?.reason.trim().length ?? 0) >= MIN_REASON;
  const pending = warnings.filter((r) => !valid(r));
  return {
    errors,
    warnings,
    infos,
    unknown,
    pending,
    canStart: errors.length === 0 && pending.length === 0,
    overrides: warnings.filter(valid).map((r) => ({
      ...(overrides[r.id] as Override),
      reason: (overrides[r.id] as Override).reason.trim(),
    })),
  };
}
