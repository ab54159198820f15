// Recommendations name the conflicts they remove, applying them removes those conflicts, and "one job per CSV" always works.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findConflicts, isOwnershipConflict } from '../../../electron/services/planner/graph';
import { planBackup } from '../../../electron/services/planner/plan';
import {
  applyRecommendation,
  oneJobPerCsv,
  recommend,
} from '../../../electron/services/planner/recommend';
import { defaultScenario } from '../../../electron/services/providers/lab/scenarios';
import {
  arbCluster,
  csv,
  def,
  example1,
  example3,
  GiB,
  inventoryOf,
  MiB,
  vm,
  vmByName,
} from './helpers';

describe('recommendations', () => {
  it('example 1: make node A the owner of CSV 2, naming the conflict it removes; applied, A needs no ownership move', () => {
    const inv = inventoryOf(example1());
    const { recommendations, conflicts } = recommend(inv);
    expect(conflicts.map((c) => c.id)).toEqual(['csv-owner:csv2:NODE-A']);
    const rec = recommendations.find((r) => r.kind === 'set-csv-owner');
    expect(rec).toMatchObject({
      id: 'set-csv-owner:csv2:NODE-A',
      title: 'Make NODE-A the owner of CSV 2',
      remaining: 0,
      introduces: [],
    });
    expect(rec?.removes.map((c) => c.id)).toEqual(['csv-owner:csv2:NODE-A']);
    expect(rec?.commands).toEqual(["Move-ClusterSharedVolume -Name 'CSV 2' -Node NODE-A"]);
    const after = applyRecommendation(inv, rec!);
    expect(after.cluster.csvs.find((c) => c.id === 'csv2')?.ownerNode).toBe('NODE-A');
    expect(planBackup(after).totals.moves).toBe(0);
    // The input is never modified.
    expect(inv.cluster.csvs.find((c) => c.id === 'csv2')?.ownerNode).toBe('NODE-B');
  });

  it('example 3: move B’s stray disk to the CSV of its other disk, or give B its own layout', () => {
    const inv = inventoryOf(example3());
    const b = vmByName(inv, 'B');
    const { recommendations } = recommend(inv);
    const move = recommendations.find((r) => r.kind === 'move-disk');
    expect(move?.steps).toEqual([
      {
        kind: 'move-disk',
        vmId: b.id,
        diskId: expect.any(String),
        fromCsvId: expect.any(String),
        toCsvId: expect.any(String),
        bytes: 1024 * MiB,
      },
    ]);
    expect(move?.removes.map((c) => c.id)).toContain(`vm-spans:${b.id}`);
    const after = applyRecommendation(inv, move!);
    const moved = vmByName(after, 'B');
    expect(new Set(moved.disks.map((d) => d.csvId)).size).toBe(1);
    // The file path follows the disk to its new volume.
    const step = move!.steps[0] as { toCsvId: string; diskId: string };
    const target = after.cluster.csvs.find((c) => c.id === step.toCsvId)!;
    expect(moved.disks.find((d) => d.id === step.diskId)?.path.startsWith(`${target.path}\\`)).toBe(
      true,
    );
    expect(move?.commands[0]).toMatch(/^Move-VMStorage -VMName 'B' -VHDs/);
  });

  it('live-migrates a VM to the owner of all its CSVs', () => {
    const inv = inventoryOf(
      def(
        '2012R2',
        ['N1', 'N2'],
        [csv(1, 'N2')],
        [
          vm({ name: 'X', host: 'N1', disks: [{ csv: 'csv1', file: 'x.vhdx' }] }),
          vm({ name: 'Y', host: 'N2', disks: [{ csv: 'csv1', file: 'y.vhdx' }] }),
        ],
      ),
    );
    const rec = recommend(inv).recommendations.find((r) => r.kind === 'live-migrate');
    expect(rec?.title).toBe('Live-migrate X to N2');
    expect(rec?.removes.map((c) => c.id).sort()).toEqual(['csv-owner:csv1:N1', 'csv-shared:csv1']);
    expect(findConflicts(applyRecommendation(inv, rec!))).toEqual([]);
  });

  it('every recommendation removes exactly the conflicts it names, and introduces what it says', () => {
    for (const d of [defaultScenario('2008R2'), defaultScenario('2019'), example3()]) {
      const inv = inventoryOf(d);
      const before = new Set(findConflicts(inv).map((c) => c.id));
      for (const r of recommend(inv).recommendations) {
        expect(r.removes.length).toBeGreaterThan(0);
        const after = new Set(findConflicts(applyRecommendation(inv, r)).map((c) => c.id));
        for (const c of r.removes) {
          expect(before.has(c.id)).toBe(true);
          expect(after.has(c.id)).toBe(false);
        }
        for (const c of r.introduces) expect(before.has(c.id)).toBe(false);
        expect([...before].filter((id) => !after.has(id)).sort()).toEqual(
          r.removes.map((c) => c.id).sort(),
        );
        expect(r.remaining).toBe(after.size);
        expect(r.commands).toHaveLength(r.steps.length);
        expect(r.why.length).toBeGreaterThan(30);
      }
    }
  });

  it('one job per CSV reports what it cannot place when no CSV has room', () => {
    // N1 gets CSV 1 (most of its data), N2 gets CSV 2; B must leave CSV 2 but CSV 1 has only 10 MiB free.
    const inv = inventoryOf(
      def(
        '2008R2',
        ['N1', 'N2'],
        [csv(1, 'N1', 1), csv(2, 'N2', 1)],
        [
          vm({ name: 'A', host: 'N1', disks: [{ csv: 'csv1', file: 'a.vhdx', size: 500 * MiB }] }),
          vm({ name: 'B', host: 'N1', disks: [{ csv: 'csv2', file: 'b.vhdx', size: 400 * MiB }] }),
          vm({ name: 'C', host: 'N2', disks: [{ csv: 'csv2', file: 'c.vhdx', size: 600 * MiB }] }),
        ],
      ),
      (i) => {
        for (const c of i.cluster.csvs) c.freeBytes = 10 * MiB;
      },
    );
    const rec = oneJobPerCsv(inv);
    expect(rec.unresolved).toEqual(['B: no CSV owned by N1 has 400 MiB free for b.vhdx.']);
    expect(
      findConflicts(applyRecommendation(inv, rec))
        .filter(isOwnershipConflict)
        .map((c) => c.id),
    ).toEqual(['csv-owner:csv2:N1', 'csv-shared:csv2']);
  });

  it('on 2016+ the recommendations say ownership does not make backups wait', () => {
    expect(recommend(inventoryOf(defaultScenario('2019'))).notes[0]).toMatch(
      /never makes a backup wait/,
    );
  });
});

describe('property: applying "one job per CSV" leaves no ownership conflict', () => {
  it('holds for random small clusters with room on the volumes', () => {
    fc.assert(
      fc.property(arbCluster(['2008R2', '2012', '2012R2', '2019']), (d) => {
        const inv = inventoryOf(d);
        const rec = oneJobPerCsv(inv);
        expect(rec.unresolved).toEqual([]);
        const after = applyRecommendation(inv, rec);
        const left = findConflicts(after);
        expect(left.filter(isOwnershipConflict)).toEqual([]);
        expect(left).toEqual([]);
        // Everything the recommendation claims to remove was there before and is gone after.
        expect(rec.removes.length + rec.introduces.length).toBe(findConflicts(inv).length);
        // Host VSS plans then have no waits on CSV ownership and no moves.
        const plan = planBackup(after, { maxPerCsv: 64, maxPerNode: 64 });
        expect(plan.jobs.flatMap((j) => j.waits).filter((w) => w.kind === 'csv-ownership')).toEqual(
          [],
        );
        expect(plan.totals.moves).toBe(0);
        // No VM lost, no disk dropped.
        expect(after.vms.map((v) => v.disks.length)).toEqual(inv.vms.map((v) => v.disks.length));
        expect(after.cluster.csvs.reduce((s, c) => s + c.freeBytes, 0)).toBe(
          inv.cluster.csvs.reduce((s, c) => s + c.freeBytes, 0),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('is a no-op when every node already owns the CSVs of its VMs', () => {
    const inv = inventoryOf(
      def(
        '2008R2',
        ['N1', 'N2'],
        [csv(1, 'N1'), csv(2, 'N2')],
        [
          vm({ name: 'A', host: 'N1', disks: [{ csv: 'csv1', file: 'a.vhdx' }] }),
          vm({ name: 'B', host: 'N2', disks: [{ csv: 'csv2', file: 'b.vhdx' }] }),
        ],
      ),
    );
    expect(oneJobPerCsv(inv).steps).toEqual([]);
    expect(recommend(inv).recommendations).toEqual([]);
    expect(GiB).toBeGreaterThan(0);
  });
});
