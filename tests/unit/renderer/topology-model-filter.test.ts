// The topology model and its filters: search, node, CSV, state and problem, fast at 1,000 VMs.
import { describe, expect, it } from 'vitest';
import { filterVms, isFiltered, NO_FILTER } from '../../../renderer/src/topology/graph/filter';
import { indexFindings } from '../../../renderer/src/topology/graph/findings';
import { buildModel } from '../../../renderer/src/topology/graph/model';
import { largeInventory, smallInventory } from './fixtures';

const names = (list: Array<{ name: string }>) => list.map((v) => v.name);

describe('buildModel', () => {
  it('indexes nodes, CSVs and VMs with owners, redirected state and flags', () => {
    const m = buildModel(smallInventory());
    expect(m.nodes.map((n) => n.name)).toEqual(['HV-A', 'HV-B', 'HV-C']);
    expect(m.nodes.find((n) => n.name === 'HV-A')?.ownedCsvIds).toEqual(['csv1', 'csv4']);
    const sql = m.vms.find((v) => v.name === 'SQL01');
    expect(sql?.csvIds).toEqual(['csv1', 'csv2']);
    expect(sql?.flags.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['spans-csvs', 'not-csv-owner']),
    );
    expect(m.csvById.get('csv3')?.redirected).toEqual([
      { node: 'HV-C', state: 'FileSystemRedirected', reason: 'UserRequest' },
    ]);
    expect(m.csvById.get('csv2')?.vmIds.length).toBe(3);
  });
});

describe('filterVms', () => {
  const m = buildModel(smallInventory());
  it('returns every VM without filters', () => {
    expect(filterVms(m, NO_FILTER)).toHaveLength(7);
    expect(isFiltered(NO_FILTER)).toBe(false);
  });
  it('searches name, host and tags, every word must match', () => {
    expect(names(filterVms(m, { ...NO_FILTER, search: 'web' }))).toEqual(['WEB01', 'WEB02']);
    expect(names(filterVms(m, { ...NO_FILTER, search: 'WEB hv-c' }))).toEqual(['WEB02']);
    expect(names(filterVms(m, { ...NO_FILTER, search: 'prod' }))).toEqual(['SQL01']);
  });
  it('filters by node, CSV and state', () => {
    expect(names(filterVms(m, { ...NO_FILTER, node: 'HV-C' }))).toEqual([
      'WEB02',
      'APP01',
      'LEGACY01',
    ]);
    expect(names(filterVms(m, { ...NO_FILTER, csvId: 'csv2' }))).toEqual([
      'SQL01',
      'WEB01',
      'WEB02',
    ]);
    expect(names(filterVms(m, { ...NO_FILTER, state: 'Off' }))).toEqual(['WEB02']);
    expect(isFiltered({ ...NO_FILTER, state: 'Off' })).toBe(true);
  });
  it('filters by problem kind, any problem, none, or findings', () => {
    expect(names(filterVms(m, { ...NO_FILTER, problem: 'no-scsi' }))).toEqual(['LEGACY01']);
    expect(names(filterVms(m, { ...NO_FILTER, problem: 'spans-csvs' }))).toEqual(['SQL01']);
    const any = names(filterVms(m, { ...NO_FILTER, problem: 'any' }));
    expect(any).toEqual(expect.arrayContaining(['SQL01', 'WEB02', 'APP01', 'LEGACY01']));
    expect(any).not.toContain('DC01');
    expect(names(filterVms(m, { ...NO_FILTER, problem: 'none' }))).toContain('DC01');
    const dc = m.vms.find((v) => v.name === 'DC01');
    const idx = indexFindings(
      {
        generatedAt: '',
        clusterName: '',
        method: 'recovery-checkpoint-rct',
        vmIds: [],
        options: {
          changeRatePercent: 10,
          windowHours: 2,
          minFreeBytes: 0,
          maxChainDepth: 3,
          nonProductionTags: [],
        },
        rules: [],
        results: [
          {
            id: 'r:x',
            ruleId: 'r',
            ruleTitle: 'Rule',
            target: { kind: 'vm', id: dc?.id ?? '', name: 'DC01' },
            status: 'fail',
            severity: 'warning',
            message: 'm',
            evidence: [],
            fix: 'f',
          },
          // An info (e.g. "the next run is full") is listed but is not a problem.
          {
            id: 'i:x',
            ruleId: 'i',
            ruleTitle: 'Info',
            target: { kind: 'vm', id: m.vms[2]?.id ?? '', name: 'WEB01' },
            status: 'fail',
            severity: 'info',
            message: 'm',
            evidence: [],
            fix: '',
          },
        ],
        summary: { errors: 0, warnings: 1, infos: 0, passed: 0, unknown: 0, notApplicable: 0 },
        blocked: false,
        dryRunRequested: false,
      },
      undefined,
    );
    expect(names(filterVms(m, { ...NO_FILTER, problem: 'findings' }, idx))).toEqual(['DC01']);
    expect(names(filterVms(m, { ...NO_FILTER, problem: 'any' }, idx))).toContain('DC01');
  });
  it('filters 1,000 VMs in a few milliseconds', () => {
    const big = buildModel(largeInventory());
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) filterVms(big, { ...NO_FILTER, search: `VM0${i % 10}` });
    const per = (performance.now() - t0) / 20;
    expect(filterVms(big, { ...NO_FILTER, search: 'VM09' })).toHaveLength(100);
    expect(per).toBeLessThan(20);
  });
});

describe('countFindings', () => {
  it('counts by severity; infos are not notable', async () => {
    const { countFindings } = await import('../../../renderer/src/topology/graph/findings');
    const f = (severity: 'error' | 'warning' | 'info' | 'unknown') => ({
      source: 'preflight' as const,
      id: severity,
      severity,
      title: '',
      message: '',
      evidence: [],
      fix: '',
      rule: '',
      repairable: false,
    });
    const c = countFindings([f('info'), f('warning'), f('unknown')]);
    expect(c).toMatchObject({
      total: 3,
      notable: 2,
      warnings: 1,
      infos: 1,
      unknown: 1,
      worst: 'warning',
    });
    expect(countFindings([f('info')]).notable).toBe(0);
    expect(countFindings([f('error'), f('warning')]).worst).toBe('error');
  });
});
