// Pure: recognise what a task's `result` holds (it is `unknown` in the contract) before showing it.
import type {
  BackupRunResult,
  CheckResult,
  ForgetResult,
  GcResult,
  RestoreResult,
} from '../../../shared/backup';
import type { DrillRecord } from '../../../shared/drills';

const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

const RUN_STATUSES = ['succeeded', 'partial', 'failed', 'canceled'];

export function isBackupRunResult(x: unknown): x is BackupRunResult {
  return (
    obj(x) &&
    typeof x.status === 'string' &&
    RUN_STATUSES.includes(x.status) &&
    Array.isArray(x.vms) &&
    Array.isArray(x.overrides)
  );
}

export function isRestoreResult(x: unknown): x is RestoreResult {
  return (
    obj(x) &&
    typeof x.pointId === 'string' &&
    typeof x.newVmId === 'string' &&
    Array.isArray(x.disks)
  );
}

export function isDrillRecord(x: unknown): x is DrillRecord {
  return (
    obj(x) &&
    typeof x.id === 'string' &&
    Array.isArray(x.steps) &&
    Array.isArray(x.vms) &&
    (x.status === 'passed' || x.status === 'failed')
  );
}

export function isCheckResult(x: unknown): x is CheckResult {
  return (
    obj(x) &&
    typeof x.ok === 'boolean' &&
    Array.isArray(x.missingChunks) &&
    Array.isArray(x.corruptChunks)
  );
}

export function isGcResult(x: unknown): x is GcResult {
  return obj(x) && typeof x.bytesFreed === 'number' && typeof x.packsDeleted === 'number';
}

export function isForgetResult(x: unknown): x is ForgetResult {
  return (
    obj(x) && typeof x.dryRun === 'boolean' && Array.isArray(x.removed) && Array.isArray(x.kept)
  );
}

/** Find a drill record in a drill task's result, whether it is the record itself or wraps it. */
export function drillRecordOf(x: unknown): DrillRecord | null {
  if (isDrillRecord(x)) return x;
  if (obj(x) && isDrillRecord(x.record)) return x.record;
  if (obj(x) && isDrillRecord(x.drill)) return x.drill;
  return null;
}
