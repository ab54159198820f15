// The backup wizard's pre-flight gate: errors block, warnings need an override with a reason, infos never block.
import { describe, expect, it } from 'vitest';
import type { PreflightReport, PreflightResult } from '../../../shared/planner';
import { gate, overrideFor } from '../../../shared/preflight-gate';

const res = (
  id: string,
  status: PreflightResult['status'],
  severity?: PreflightResult['severity'],
): PreflightResult => ({
  id: `${id}:vm1`,
  ruleId: id,
  ruleTitle: id,
  target: { kind: 'vm', id: 'vm1', name: 'VM1' },
  status,
  ...(severity ? { severity } : {}),
  message: '',
  evidence: [],
  fix: '',
});

const report = (results: PreflightResult[]): PreflightReport => ({
  generatedAt: '',
  clusterName: 'c',
  method: 'recovery-checkpoint-rct',
  vmIds: ['vm1'],
  options: {
    changeRatePercent: 10,
    windowHours: 2,
    minFreeBytes: 0,
    maxChainDepth: 3,
    nonProductionTags: [],
  },
  rules: [],
  results,
  summary: { errors: 0, warnings: 0, infos: 0, passed: 0, unknown: 0, notApplicable: 0 },
  blocked: false,
  dryRunRequested: false,
});

describe('gate', () => {
  it('an error blocks even with overrides', () => {
    const r = report([res('scsi', 'fail', 'error')]);
    expect(
      gate(r, { 'scsi:vm1': overrideFor(r.results[0] as PreflightResult, 'because') }).canStart,
    ).toBe(false);
  });
  it('a warning blocks until overridden with a reason of at least 3 characters', () => {
    const r = report([
      res('chain-depth', 'fail', 'warning'),
      res('ok', 'pass'),
      res('note', 'fail', 'info'),
      res('vss', 'unknown'),
    ]);
    expect(gate(r, {}).canStart).toBe(false);
    expect(
      gate(r, { 'chain-depth:vm1': { ruleId: 'chain-depth', vmId: 'vm1', reason: 'ok' } }).canStart,
    ).toBe(false);
    const g = gate(r, {
      'chain-depth:vm1': { ruleId: 'chain-depth', vmId: 'vm1', reason: '  merged last night  ' },
    });
    expect(g.canStart).toBe(true);
    expect(g.overrides).toEqual([
      { ruleId: 'chain-depth', vmId: 'vm1', reason: 'merged last night' },
    ]);
    expect(g.unknown).toHaveLength(1);
    expect(g.infos).toHaveLength(1);
  });
  it('overrides for results that no longer fail are not sent', () => {
    const r = report([res('chain-depth', 'pass')]);
    expect(
      gate(r, { 'chain-depth:vm1': { ruleId: 'chain-depth', reason: 'whatever' } }).overrides,
    ).toEqual([]);
  });
});
