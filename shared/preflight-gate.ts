// Pure: whether a backup may start after pre-flight — errors block, each warning needs an override with a reason.
// The wizard shows it; the service applies the same rule to every backup.start call.
import type { PreflightReport, PreflightResult } from './planner';

/** An admin's decision to go on despite a pre-flight warning, with the reason that is recorded. */
export interface Override {
  ruleId: string;
  vmId?: string;
  reason: string;
}

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

/** The per-result override map the gate takes, built from a request's override list. */
export function overridesByResult(
  report: PreflightReport,
  list: Override[],
): Record<string, Override> {
  const out: Record<string, Override> = {};
  for (const r of report.results) {
    const o = list.find(
      (x) =>
        x.ruleId === r.ruleId &&
        (r.target.kind !== 'vm' || x.vmId === undefined || x.vmId === r.target.id),
    );
    if (o) out[r.id] = o;
  }
  return out;
}
