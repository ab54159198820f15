// Plans on 2016+ (recovery checkpoints: no ownership waits, per-CSV and per-node limits) and scheduling invariants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBackup } from '../../../electron/services/planner/plan';
import { defaultScenario } from '../../../electron/services/providers/lab/scenarios';
import type { Inventory } from '../../../shared/model';
import type { BackupPlan } from '../../../shared/planner';
import { arbCluster, csv, def, inventoryOf, MiB, vm } from './helpers';

/** Jobs running at instant t. */
function runningAt(plan: BackupPlan, t: number) {
  return plan.jobs.filter((j) => j.startSeconds <= t && t < j.endSeconds);
}

/** Checkpoints (2016+) or snapshot jobs (host VSS) a job puts on a CSV / node. */
function demand(
  inv: Inventory,
  plan: BackupPlan,
  job: BackupPlan['jobs'][number],
  what: 'csv' | 'node',
  key: string,
): number {
  if (plan.method === 'host-vss-csv')
    return what === 'csv' ? Number(job.csvIds.includes(key)) : Number(job.nodes.includes(key));
  const vms = inv.vms.filter((v) => job.vmIds.includes(v.id));
  return what === 'csv'
    ? vms.filter((v) => v.disks.some((d) => d.csvId === key && d.attachment === 'virtual')).length
    : vms.filter((v) => v.hostNode === key).length;
}

function checkLimits(inv: Inventory, plan: BackupPlan): void {
  for (const t of new Set(plan.jobs.map((j) => j.startSeconds))) {
    const now = runningAt(plan, t);
    for (const c of inv.cluster.csvs) {
      const users = now.filter((j) => demand(inv, plan, j, 'csv', c.id) > 0);
      const total = users.reduce((s, j) => s + demand(inv, plan, j, 'csv', c.id), 0);
      if (users.length > 1) expect(total).toBeLessThanOrEqual(plan.options.maxPerCsv);
      if (plan.method === 'host-vss-csv')
        expect(new Set(users.flatMap((j) => j.nodes)).size).toBeLessThanOrEqual(1);
    }
    for (const n of inv.cluster.nodes) {
      const users = now.filter((j) => demand(inv, plan, j, 'node', n.name) > 0);
      const total = users.reduce((s, j) => s + demand(inv, plan, j, 'node', n.name), 0);
      if (users.length > 1) expect(total).toBeLessThanOrEqual(plan.options.maxPerNode);
    }
  }
}

describe('plans on Windows Server 2016 and later', () => {
  it('never waits for CSV ownership and moves no CSV', () => {
    for (const os of ['2016', '2019', '2022', '2025'] as const) {
      const plan = planBackup(inventoryOf(defaultScenario(os)));
      expect(plan.method).toBe('recovery-checkpoint-rct');
      expect(plan.jobs.flatMap((j) => j.waits).filter((w) => w.kind === 'csv-ownership')).toEqual(
        [],
      );
      expect(plan.totals.moves).toBe(0);
      expect(plan.constraints[0]).toMatch(/CSV ownership never makes a job wait/);
    }
  });

  it('respects "at most N checkpoints per volume" and says who waits for a slot', () => {
    const vms = Array.from({ length: 6 }, (_, i) =>
      vm({
        name: `W${i + 1}`,
        host: i % 2 ? 'N2' : 'N1',
        disks: [{ csv: 'csv1', file: `w${i + 1}.vhdx` }],
      }),
    );
    const inv = inventoryOf(def('2019', ['N1', 'N2'], [csv(1, 'N1')], vms));
    const plan = planBackup(inv, { maxPerCsv: 4, maxPerNode: 8 });
    expect(plan.waves.map((w) => w.jobIds.length)).toEqual([4, 2]);
    const w5 = plan.jobs.find((j) => j.label === 'W5');
    expect(w5?.waits[0]).toMatchObject({ kind: 'csv-limit', csvId: 'csv1' });
    expect(w5?.waits[0]?.message).toBe(
      "W5's backup waits for a free slot on CSV 1: at most 4 checkpoints per CSV at once, and W1, W2, W3 and W4 are using it.",
    );
    checkLimits(inv, plan);
  });

  it('respects the per-node limit', () => {
    const vms = Array.from({ length: 5 }, (_, i) =>
      vm({
        name: `V${i + 1}`,
        host: 'N1',
        disks: [{ csv: `csv${i + 1}`, file: `v${i + 1}.vhdx` }],
      }),
    );
    const inv = inventoryOf(
      def(
        '2022',
        ['N1'],
        [1, 2, 3, 4, 5].map((n) => csv(n, 'N1')),
        vms,
      ),
    );
    const plan = planBackup(inv, { maxPerNode: 2 });
    expect(plan.waves.map((w) => w.jobIds.length)).toEqual([2, 2, 1]);
    expect(plan.jobs.find((j) => j.label === 'V3')?.waits[0]?.kind).toBe('node-limit');
    checkLimits(inv, plan);
  });

  it('backs up a guest cluster as one job and counts each member’s checkpoint', () => {
    const plan = planBackup(inventoryOf(defaultScenario('2016')));
    const sqlcl = plan.jobs.find((j) => j.label.startsWith('SQLCL'));
    expect(sqlcl?.vmNames).toEqual(['SQLCL-N1', 'SQLCL-N2']);
    expect(sqlcl?.nodes.sort()).toEqual(['HV-A', 'HV-B']);
  });

  it('estimates incremental runs from the change rate, and full ones for VMs without change tracking', () => {
    const inv = inventoryOf(
      def(
        '2019',
        ['N1'],
        [csv(1, 'N1')],
        [
          vm({
            name: 'NEW',
            host: 'N1',
            disks: [{ csv: 'csv1', file: 'new.vhdx', size: 1000 * MiB }],
          }),
          vm({
            name: 'OLD',
            host: 'N1',
            configVersion: '5.0',
            disks: [{ csv: 'csv1', file: 'old.vhdx', size: 1000 * MiB }],
          }),
        ],
      ),
    );
    const plan = planBackup(inv, {
      incremental: true,
      changeRatePercent: 10,
      throughputMBps: 100,
      snapshotOverheadSeconds: 0,
    });
    const n = plan.jobs.find((j) => j.label === 'NEW');
    const o = plan.jobs.find((j) => j.label === 'OLD');
    expect(n).toMatchObject({ runKind: 'incremental', bytes: 100 * MiB });
    expect(n?.seconds).toBeCloseTo((100 * MiB) / 100e6, 1);
    expect(o).toMatchObject({ runKind: 'full', bytes: 1000 * MiB });
    expect(o?.explanation.join(' ')).toMatch(/configuration version 5.0 \(OLD\) is below 6.2/);
  });

  it('on 2008 R2 – 2012 R2 an incremental request is planned as full, with the reason', () => {
    const plan = planBackup(inventoryOf(defaultScenario('2012R2')), { incremental: true });
    expect(plan.jobs.every((j) => j.runKind === 'full')).toBe(true);
    expect(plan.notes.join(' ')).toMatch(/no native change tracking/);
  });

  it('skips VMs on a down node and VMs a host backup cannot see, saying why', () => {
    const d = def(
      '2019',
      ['N1', 'N2'],
      [csv(1, 'N1')],
      [
        vm({ name: 'UP', host: 'N1', disks: [{ csv: 'csv1', file: 'up.vhdx' }] }),
        vm({ name: 'DOWN', host: 'N2', disks: [{ csv: 'csv1', file: 'down.vhdx' }] }),
        vm({ name: 'PT', host: 'N1', disks: [{ file: 'pt.vhdx', attachment: 'passthrough' }] }),
      ],
    );
    const plan = planBackup(
      inventoryOf({
        ...d,
        nodes: [
          { name: 'N1', state: 'Up' },
          { name: 'N2', state: 'Down' },
        ],
      }),
    );
    expect(plan.jobs.map((j) => j.label)).toEqual(['UP']);
    expect(plan.skipped.map((s) => [s.vmName, s.reason])).toEqual([
      ['DOWN', 'its node N2 is down'],
      ['PT', expect.stringMatching(/pass-through or in-guest iSCSI/)],
    ]);
  });

  it('rejects an unknown VM with the names it knows', () => {
    expect(() => planBackup(inventoryOf(defaultScenario()), { vmIds: ['NOPE'] })).toThrow(
      /No VM named or with id "NOPE".*Known VMs: DC01/,
    );
  });
});

describe('scheduling invariants (random clusters)', () => {
  it('never exceeds the CSV and node limits; on host VSS a CSV is never held by two nodes at once; every VM is planned', () => {
    fc.assert(
      fc.property(
        arbCluster(['2008R2', '2012R2', '2016', '2022']),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (d, maxPerCsv, maxPerNode) => {
          const inv = inventoryOf(d);
          const plan = planBackup(inv, { maxPerCsv, maxPerNode });
          checkLimits(inv, plan);
          expect(plan.totals.vms).toBe(inv.vms.length);
          for (const j of plan.jobs) {
            expect(j.endSeconds).toBeGreaterThanOrEqual(j.startSeconds);
            for (const w of j.waits) expect(w.message.length).toBeGreaterThan(20);
            if (j.startSeconds > 0) expect(j.waits.length).toBeGreaterThan(0);
          }
          if (plan.method === 'recovery-checkpoint-rct') expect(plan.totals.moves).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
