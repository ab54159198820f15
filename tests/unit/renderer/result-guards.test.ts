// Task results are recognised by kind and shape: a drill record is never mistaken for a backup run.
import { describe, expect, it } from 'vitest';
import {
  drillRecordOf,
  isBackupRunResult,
  isCheckResult,
  isGcResult,
  isRestoreResult,
} from '../../../renderer/src/tasks/resultGuards';

describe('result guards', () => {
  const drill = {
    id: 'd',
    taskId: 't',
    startedAt: '',
    endedAt: '',
    status: 'passed',
    trigger: 'console',
    vms: [],
    steps: [],
    sandbox: { folder: '', network: '', tornDown: true },
    prevHash: '',
    hash: '',
  };
  const run = { status: 'partial', vms: [], overrides: [] };
  it('tells a backup run from a drill record', () => {
    expect(isBackupRunResult(run)).toBe(true);
    expect(isBackupRunResult(drill)).toBe(false);
    expect(drillRecordOf(drill)).toBe(drill);
    expect(drillRecordOf({ record: drill })).toBe(drill);
    expect(drillRecordOf(run)).toBeNull();
  });
  it('recognises restore, check and gc results', () => {
    expect(isRestoreResult({ pointId: 'p', newVmId: 'n', disks: [] })).toBe(true);
    expect(isCheckResult({ ok: true, missingChunks: [], corruptChunks: [] })).toBe(true);
    expect(isGcResult({ bytesFreed: 0, packsDeleted: 0 })).toBe(true);
    expect(isGcResult(undefined)).toBe(false);
  });
});
