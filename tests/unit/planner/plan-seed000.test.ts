// Seed 000's four examples (Backup Exec on Hyper-V 2.0, Windows Server 2008 R2) as lab definitions, planned.
import { describe, expect, it } from 'vitest';
import { findConflicts, isOwnershipConflict } from '../../../electron/services/planner/graph';
import { planBackup } from '../../../electron/services/planner/plan';
import { applyRecommendation, recommend } from '../../../electron/services/planner/recommend';
import { defaultScenario } from '../../../electron/services/providers/lab/scenarios';
import { example1, example2, example3, inventoryOf } from './helpers';

function job(plan: ReturnType<typeof planBackup>, label: string) {
  const j = plan.jobs.find((x) => x.label === label);
  if (!j) throw new Error(`no job ${label} in ${plan.jobs.map((x) => x.label).join(', ')}`);
  return j;
}

/** Example 4 ("real life"): the default scenario on 2008 R2, without the guest cluster (no VHD Sets in 2008 R2). */
function example4() {
  const d = defaultScenario('2008R2');
  return { ...d, vms: d.vms.filter((v) => v.group === undefined), groups: [] };
}

describe('seed 000 on Windows Server 2008 R2: host VSS snapshots per CSV', () => {
  it('example 1: A’s backup first moves CSV 2’s ownership to node A', () => {
    const plan = planBackup(inventoryOf(example1()));
    expect(plan.method).toBe('host-vss-csv');
    const a = job(plan, 'A');
    expect(a.nodes).toEqual(['NODE-A']);
    expect(a.csvIds).toEqual(['csv2']);
    expect(a.moves).toEqual([{ csvId: 'csv2', csvName: 'CSV 2', from: 'NODE-B', to: 'NODE-A' }]);
    expect(a.waits).toEqual([]);
    expect(a.startSeconds).toBe(0);
    expect(a.explanation.join(' ')).toMatch(
      /First moves ownership of CSV 2 from NODE-B to NODE-A: a node can only snapshot a CSV it owns/,
    );
    expect(plan.constraints.join(' ')).toMatch(/redirected access for the whole backup/);
  });

  it('example 2: both jobs run in parallel, no conflict', () => {
    const plan = planBackup(inventoryOf(example2()));
    const a = job(plan, 'A');
    const b = job(plan, 'B');
    expect(plan.waves).toHaveLength(1);
    expect([a.wave, b.wave]).toEqual([1, 1]);
    expect(a.waits).toEqual([]);
    expect(b.waits).toEqual([]);
    expect(a.moves.map((m) => m.csvId)).toEqual(['csv2']);
    expect(b.moves).toEqual([]); // node B already owns CSV 1
    expect(plan.totals.waits).toBe(0);
  });

  it('example 3: the second VM’s backup waits on CSV 2 until the first snapshot is released', () => {
    const plan = planBackup(inventoryOf(example3()));
    const a = job(plan, 'A');
    const b = job(plan, 'B');
    expect(a.wave).toBe(1);
    expect(b.wave).toBe(2);
    expect(b.startSeconds).toBe(a.endSeconds);
    expect(b.waits).toHaveLength(1);
    const w = b.waits[0];
    expect(w?.kind).toBe('csv-ownership');
    expect(w?.csvId).toBe('csv2');
    expect(w?.blockedBy).toEqual([a.id]);
    expect(w?.message).toBe(
      "B's backup waits for CSV 2 until A's snapshot is released: NODE-B must own CSV 2 to snapshot it, and a CSV cannot change owner while it is snapshotted.",
    );
    // B moves CSV 2 back to itself once A is done.
    expect(b.moves).toEqual([{ csvId: 'csv2', csvName: 'CSV 2', from: 'NODE-A', to: 'NODE-B' }]);
    expect(plan.totals.seconds).toBe(b.endSeconds);
  });

  it('example 4: jobs wait on each other; after "one job per CSV" all run in parallel, one per CSV, with no waits', () => {
    const inv = inventoryOf(example4());
    const before = planBackup(inv);
    expect(before.totals.waits).toBeGreaterThan(0);
    expect(before.waves.length).toBeGreaterThan(1);

    const { recommendations } = recommend(inv);
    const rec = recommendations[0];
    expect(rec?.kind).toBe('one-job-per-csv');
    expect(rec?.unresolved).toEqual([]);
    const after = applyRecommendation(inv, rec!);
    expect(findConflicts(after).filter(isOwnershipConflict)).toEqual([]);

    const plan = planBackup(after);
    expect(plan.waves).toHaveLength(1);
    expect(plan.totals.waits).toBe(0);
    expect(plan.totals.moves).toBe(0);
    // One job per CSV: every job snapshots exactly one CSV, owned by the job's node, and no CSV has two jobs.
    const csvs = plan.jobs.map((j) => j.csvIds);
    expect(csvs.every((c) => c.length === 1)).toBe(true);
    expect(new Set(csvs.flat()).size).toBe(plan.jobs.length);
    for (const j of plan.jobs)
      expect(after.cluster.csvs.find((c) => c.id === j.csvIds[0])?.ownerNode).toBe(j.nodes[0]);
    // Every VM is still backed up.
    expect(plan.totals.vms).toBe(inv.vms.length);
    expect(plan.totals.seconds).toBeLessThan(before.totals.seconds);
  });

  it('plans the same VMs in the order given: naming B first makes A wait instead', () => {
    const inv = inventoryOf(example3());
    const plan = planBackup(inv, { vmIds: ['B', 'A'] });
    expect(job(plan, 'B').waits).toEqual([]);
    expect(job(plan, 'A').waits[0]?.kind).toBe('csv-ownership');
  });

  it('groups VMs of one node that need the same CSVs into one job (one volume snapshot)', () => {
    const d = example2();
    const plan = planBackup(
      inventoryOf({
        ...d,
        vms: [
          ...d.vms,
          { ...d.vms[0]!, name: 'A2', disks: [{ ...d.vms[0]!.disks[0]!, file: 'A2.vhdx' }] },
        ],
      }),
    );
    expect(plan.jobs.map((j) => j.label)).toEqual(['A + A2', 'B']);
  });
});
