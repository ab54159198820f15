// The checkpoint doctor: planted orphans are found, referenced files and shared parents are never touched, repairs go in a safe order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normPath,
  planRepair,
  QUARANTINE_DIR,
  scanDoctor,
} from '../../../electron/services/planner/doctor';
import type { Inventory, VirtualDisk } from '../../../shared/model';
import type { CsvFile, DoctorFacts, RepairPlan } from '../../../shared/planner';
import { csv, def, inventoryOf, vm } from './helpers';

const NOW = '2024-06-01T12:00:00.000Z';
const OLD = '2024-05-01T00:00:00.000Z';
const V1 = 'C:\\ClusterStorage\\Volume1';

function addChild(d: VirtualDisk, file: string, checkpointId: string): string {
  const parent = d.chain[d.chain.length - 1]!;
  const path = `${parent.path.slice(0, parent.path.lastIndexOf('\\'))}\\${file}`;
  d.chain.push({
    path,
    kind: 'differencing',
    checkpointId,
    fileSize: 4096,
    parentPath: parent.path,
  });
  d.path = path;
  return path;
}

/** A 2019 cluster with lingering checkpoints, a golden image shared by two VMs, a broken chain and a stuck merge. */
function estate(): Inventory {
  const d = def(
    '2019',
    ['N1', 'N2'],
    [csv(1, 'N1'), csv(2, 'N2')],
    [
      vm({ name: 'APP', host: 'N1', disks: [{ csv: 'csv1', file: 'app.vhdx' }] }),
      vm({ name: 'WEB', host: 'N1', disks: [{ csv: 'csv1', file: 'web.vhdx' }] }),
      vm({ name: 'G1', host: 'N1', disks: [{ csv: 'csv1', file: 'g1.vhdx' }] }),
      vm({ name: 'G2', host: 'N2', disks: [{ csv: 'csv1', file: 'g2.vhdx' }] }),
      vm({ name: 'BRK', host: 'N2', disks: [{ csv: 'csv2', file: 'brk.vhdx' }] }),
      vm({ name: 'MRG', host: 'N2', disks: [{ csv: 'csv2', file: 'mrg.vhdx' }] }),
      vm({
        name: 'GC1',
        host: 'N1',
        group: 'GC',
        disks: [
          { csv: 'csv2', file: 'gc1.vhdx' },
          { csv: 'csv2', file: 'gc.vhds', shared: true },
        ],
      }),
      vm({
        name: 'GC2',
        host: 'N2',
        group: 'GC',
        disks: [
          { csv: 'csv2', file: 'gc2.vhdx' },
          { csv: 'csv2', file: 'gc.vhds', shared: true },
        ],
      }),
    ],
    { groups: [{ name: 'GC', kind: 'guest-cluster', vhdSet: 'csv2/gc.vhds' }] },
  );
  return inventoryOf(d, (inv) => {
    const byName = (n: string) => inv.vms.find((v) => v.name === n)!;
    const app = byName('APP');
    app.checkpoints.push(
      {
        id: 'cp1',
        name: 'Backup 1',
        type: 'recovery',
        parentId: null,
        created: '2024-05-01T01:00:00Z',
        createdBy: 'task-old',
      },
      {
        id: 'cp2',
        name: 'Backup 2',
        type: 'recovery',
        parentId: 'cp1',
        created: '2024-05-02T01:00:00Z',
        createdBy: 'task-old',
      },
      {
        id: 'cp3',
        name: 'Running job',
        type: 'recovery',
        parentId: 'cp2',
        created: '2024-06-01T11:59:00Z',
        createdBy: 'task-live',
      },
    );
    addChild(app.disks[0]!, 'app_cp1.avhdx', 'cp1');
    addChild(app.disks[0]!, 'app_cp2.avhdx', 'cp2');
    addChild(app.disks[0]!, 'app_cp3.avhdx', 'cp3');
    // G1 and G2 are differencing disks of one golden image.
    for (const n of ['G1', 'G2']) {
      const disk = byName(n).disks[0]!;
      disk.chain[0]!.path = `${V1}\\Golden\\golden.vhdx`;
      addChild(disk, `${n.toLowerCase()}_diff.avhdx`, `${n}-cp`);
      byName(n).checkpoints.push({
        id: `${n}-cp`,
        name: 'base',
        type: 'standard',
        parentId: null,
        created: OLD,
      });
    }
    // BRK's child names the wrong parent.
    const brk = byName('BRK').disks[0]!;
    addChild(brk, 'brk_1.avhdx', 'brk-cp');
    brk.chain[1]!.parentPath = 'C:\\ClusterStorage\\Volume2\\elsewhere.vhdx';
    byName('BRK').checkpoints.push({
      id: 'brk-cp',
      name: 'x',
      type: 'standard',
      parentId: null,
      created: OLD,
    });
    // MRG's checkpoint was removed but its file is still in the chain.
    addChild(byName('MRG').disks[0]!, 'mrg_gone.avhdx', 'gone');
    // The guest cluster has a recovery checkpoint on its shared VHD Set.
    const gc1 = byName('GC1');
    gc1.checkpoints.push({
      id: 'gc-cp',
      name: 'Collection backup',
      type: 'recovery',
      parentId: null,
      created: OLD,
    });
    addChild(gc1.disks[1]!, 'gc_rec.avhdx', 'gc-cp');
    const gc2 = byName('GC2');
    gc2.disks[1] = structuredClone(gc1.disks[1]!);
  });
}

function listing(inv: Inventory, extra: CsvFile[]): CsvFile[] {
  const files = new Map<string, CsvFile>();
  for (const v of inv.vms)
    for (const d of v.disks)
      for (const f of d.chain)
        files.set(normPath(f.path), { path: f.path, size: 4096, mtime: OLD });
  for (const v of inv.vms)
    for (const d of v.disks)
      if (d.format === 'vhds')
        files.set(normPath(d.path), { path: d.path, size: 1024, mtime: OLD });
  for (const e of extra) files.set(normPath(e.path), e);
  return [...files.values()];
}

const orphan = (name: string, mtime = OLD, dir = `${V1}\\APP\\Virtual Hard Disks`): CsvFile => ({
  path: `${dir}\\${name}`,
  size: 1 << 20,
  mtime,
});

function facts(inv: Inventory): DoctorFacts {
  return {
    files: listing(inv, [
      orphan('app_old.avhdx'),
      orphan('fresh.avhdx', '2024-06-01T11:50:00.000Z'),
      orphan('VM01_AutoRecovery.avhdx'),
      orphan('detached-data.vhdx'),
      orphan('leftover_parent.avhdx'),
      orphan('leftover_child.avhdx'),
      orphan('golden_child.avhdx', OLD, `${V1}\\Golden`),
      orphan('fork.avhdx'),
      orphan('fork_a.avhdx'),
      orphan('fork_b.avhdx'),
      { path: `${V1}\\${QUARANTINE_DIR}\\2024-05-01\\APP\\quarantined.avhdx`, size: 1, mtime: OLD },
      { path: `${V1}\\APP\\Virtual Machines\\config.vmcx`, size: 1, mtime: OLD },
    ]),
    fileParents: {
      [`${V1}\\APP\\Virtual Hard Disks\\leftover_child.avhdx`]: `${V1}\\APP\\Virtual Hard Disks\\leftover_parent.avhdx`,
      [`${V1}\\Golden\\golden_child.avhdx`]: `${V1}\\Golden\\golden.vhdx`,
      [`${V1}\\APP\\Virtual Hard Disks\\fork_a.avhdx`]: `${V1}\\APP\\Virtual Hard Disks\\fork.avhdx`,
      [`${V1}\\APP\\Virtual Hard Disks\\fork_b.avhdx`]: `${V1}\\APP\\Virtual Hard Disks\\fork.avhdx`,
    },
    chainChecks: {},
    activeTaskIds: ['task-live'],
    events: [],
    now: NOW,
  };
}

function referenced(inv: Inventory): Set<string> {
  return new Set(
    inv.vms
      .flatMap((v) => v.disks.flatMap((d) => [d.path, ...d.chain.map((f) => f.path)]))
      .map(normPath),
  );
}

/** The safety rules every repair plan must keep. */
function assertSafe(inv: Inventory, report: ReturnType<typeof scanDoctor>, plan: RepairPlan): void {
  const refs = referenced(inv);
  const shared = new Set(report.sharedParents);
  expect(shared.has(normPath(`${V1}\\Golden\\golden.vhdx`))).toBe(true);
  for (const s of plan.steps) {
    expect(['remove-checkpoint', 'verify-merge', 'quarantine-file', 'manual']).toContain(s.kind);
    if (s.kind !== 'manual') expect(`${s.description} ${s.safety}`).not.toMatch(/Merge-VHD/);
    if (s.kind === 'quarantine-file') {
      expect(refs.has(normPath(s.path))).toBe(false);
      expect(shared.has(normPath(s.path))).toBe(false);
      expect(report.protectedPaths).not.toContain(normPath(s.path));
      expect(s.quarantinePath.toLowerCase()).toContain(`\\${QUARANTINE_DIR}\\`);
    }
    if (s.kind === 'remove-checkpoint') {
      const v = inv.vms.find((x) => x.id === s.vmId)!;
      const cp = v.checkpoints.find((c) => c.id === s.checkpointId)!;
      expect(cp.type).toBe('recovery');
      expect(cp.createdBy).not.toBe('task-live');
      // Never a checkpoint of a shared disk.
      expect(v.disks.some((d) => d.shared && d.chain.some((f) => f.checkpointId === cp.id))).toBe(
        false,
      );
    }
  }
  // Each removal is followed by its verification before anything else happens to that VM.
  plan.steps.forEach((s, i) => {
    if (s.kind === 'remove-checkpoint')
      expect(plan.steps[i + 1]).toMatchObject({
        kind: 'verify-merge',
        checkpointId: s.checkpointId,
      });
  });
}

describe('checkpoint doctor: scan', () => {
  const inv = estate();
  const report = scanDoctor(inv, facts(inv));
  const byId = (id: string) => report.findings.find((f) => f.id === id);
  const orphanId = (name: string, dir = `${V1}\\APP\\Virtual Hard Disks`) =>
    `orphan:${normPath(`${dir}\\${name}`)}`;

  it('finds the planted orphan .avhdx and proposes quarantine, not deletion', () => {
    const f = byId(orphanId('app_old.avhdx'));
    expect(f).toMatchObject({ kind: 'orphan-file', severity: 'warning', repairable: true });
    expect(f?.message).toMatch(/is in no VM's disk chain/);
    expect(f?.proposal).toMatch(/quarantine folder on the same CSV \(nothing is deleted\)/);
    expect(byId(orphanId('VM01_AutoRecovery.avhdx'))?.message).toMatch(/KB3175561/);
    expect(byId(orphanId('golden_child.avhdx', `${V1}\\Golden`))?.repairable).toBe(true);
  });

  it('leaves referenced files, young files, quarantined files, base disks and non-disk files alone', () => {
    const refs = referenced(inv);
    for (const f of report.findings.filter((x) => x.kind === 'orphan-file'))
      expect(refs.has(normPath(f.path!))).toBe(false);
    expect(byId(orphanId('fresh.avhdx'))).toBeUndefined();
    expect(report.notes.join(' ')).toMatch(/1 unreferenced file was newer than 60 minutes/);
    expect(report.findings.some((f) => f.path?.includes(QUARANTINE_DIR))).toBe(false);
    expect(report.findings.some((f) => f.path?.endsWith('.vmcx'))).toBe(false);
    expect(byId(orphanId('detached-data.vhdx'))).toMatchObject({
      kind: 'unregistered-disk',
      repairable: false,
    });
  });

  it('never proposes touching a shared parent, even an orphaned one', () => {
    expect(report.sharedParents).toContain(normPath(`${V1}\\Golden\\golden.vhdx`));
    expect(report.sharedParents).toContain(normPath(`${V1}\\APP\\Virtual Hard Disks\\fork.avhdx`));
    expect(byId(orphanId('fork.avhdx'))).toMatchObject({ repairable: false });
    expect(byId(orphanId('fork.avhdx'))?.proposal).toMatch(/Leave it/);
  });

  it('lists recovery checkpoints no running job owns, not the one a running task made', () => {
    const ids = report.findings
      .filter((f) => f.kind === 'lingering-recovery-checkpoint')
      .map((f) => f.checkpointId);
    expect(ids.sort()).toEqual(['cp1', 'cp2', 'gc-cp']);
    expect(report.findings.find((f) => f.checkpointId === 'gc-cp')).toMatchObject({
      repairable: false,
    });
    expect(report.findings.find((f) => f.checkpointId === 'gc-cp')?.proposal).toMatch(
      /merging the VHD Set by hand is never safe/,
    );
  });

  it('finds broken parent linkage (inventory, listing and engine) and stuck merges', () => {
    const brk = report.findings.find((f) => f.kind === 'broken-chain' && f.vmName === 'BRK');
    expect(brk?.message).toMatch(
      /\[CHAIN_BROKEN\]: brk_1\.avhdx names C:\\ClusterStorage\\Volume2\\elsewhere\.vhdx as its parent/,
    );
    expect(brk?.repairable).toBe(false);
    expect(report.findings.find((f) => f.kind === 'merge-pending')).toMatchObject({
      vmName: 'MRG',
      checkpointId: 'gone',
    });

    const f2 = facts(inv);
    const web = inv.vms.find((v) => v.name === 'WEB')!.disks[0]!;
    f2.files = f2.files!.filter((x) => normPath(x.path) !== normPath(web.chain[0]!.path));
    f2.chainChecks = {
      [inv.vms.find((v) => v.name === 'APP')!.disks[0]!.id]: {
        ok: false,
        code: 'PARENT_MISSING',
        message: 'app_cp1.avhdx: parent not found',
      },
    };
    f2.events = [
      {
        seq: 1,
        time: NOW,
        id: 19100,
        log: 'Microsoft-Windows-Hyper-V-VMMS-Admin',
        level: 'Error',
        vmId: inv.vms.find((v) => v.name === 'MRG')!.id,
        vmName: 'MRG',
        operation: 'merge',
        message: 'background disk merge failed',
      },
    ];
    const r2 = scanDoctor(inv, f2);
    expect(
      r2.findings.find((f) => f.kind === 'broken-chain' && f.vmName === 'WEB')?.message,
    ).toMatch(/\[PARENT_MISSING\]: .*web\.vhdx is missing on the volume/);
    expect(
      r2.findings.find((f) => f.kind === 'broken-chain' && f.vmName === 'APP')?.message,
    ).toMatch(/\[PARENT_MISSING\]: Opening the chain failed/);
    expect(r2.findings.find((f) => f.vmName === 'MRG')).toMatchObject({
      kind: 'merge-failed',
      severity: 'error',
    });
    expect(r2.findings.find((f) => f.vmName === 'MRG')?.proposal).toMatch(
      /Never run Merge-VHD on a file the VM still uses/,
    );
    // A disk the estate has not created yet (the lab's lazy disks) is not "missing".
    const r3 = scanDoctor(inv, { ...f2, notCreatedDiskIds: [web.id] });
    expect(
      r3.findings.find((f) => f.kind === 'broken-chain' && f.vmName === 'WEB'),
    ).toBeUndefined();
    expect(r3.notes.join(' ')).toMatch(/1 disk is not created yet/);
  });

  it('without a listing it says orphans were not searched', () => {
    const r = scanDoctor(inv, { now: NOW });
    expect(r.listingAvailable).toBe(false);
    expect(r.findings.some((f) => f.kind === 'orphan-file')).toBe(false);
    expect(r.notes.join(' ')).toMatch(/orphaned files were not searched for/);
  });
});

describe('checkpoint doctor: repair plan', () => {
  const inv = estate();
  const report = scanDoctor(inv, facts(inv));

  it('orders a safe repair: checkpoints newest first each followed by its merge check, then orphans children first, then manual steps', () => {
    const plan = planRepair(inv, report);
    assertSafe(inv, report, plan);
    const kinds = plan.steps.map((s) =>
      s.kind === 'remove-checkpoint' || s.kind === 'verify-merge'
        ? `${s.kind}:${s.checkpointId}`
        : s.kind === 'quarantine-file'
          ? `q:${s.path.split('\\').pop()}`
          : s.kind,
    );
    expect(kinds).toEqual([
      'remove-checkpoint:cp2',
      'verify-merge:cp2',
      'remove-checkpoint:cp1',
      'verify-merge:cp1',
      'q:leftover_child.avhdx',
      'q:app_old.avhdx',
      'q:fork_a.avhdx',
      'q:fork_b.avhdx',
      'q:leftover_parent.avhdx',
      'q:VM01_AutoRecovery.avhdx',
      'q:golden_child.avhdx',
    ]);
    const q = plan.steps.find(
      (s) => s.kind === 'quarantine-file' && s.path.endsWith('app_old.avhdx'),
    );
    expect(q).toMatchObject({
      quarantinePath: `${V1}\\${QUARANTINE_DIR}\\2024-06-01T12-00-00-000Z\\APP\\Virtual Hard Disks\\app_old.avhdx`,
    });
    expect(plan.steps.map((s) => s.order)).toEqual(plan.steps.map((_, i) => i + 1));
  });

  it('turns chosen findings it cannot repair into manual steps, and refuses what it must not touch', () => {
    const ids = [
      'recovery:' + inv.vms.find((v) => v.name === 'GC1')!.id + ':gc-cp',
      report.findings.find((f) => f.kind === 'broken-chain')!.id,
      report.findings.find((f) => f.path?.endsWith('fork.avhdx'))!.id,
      'orphan:c:\\nope.avhdx',
    ];
    const plan = planRepair(inv, report, ids);
    assertSafe(inv, report, plan);
    expect(plan.steps.map((s) => s.kind)).toEqual(['manual', 'manual']);
    expect(plan.steps[1]?.description).toMatch(/Never merge the files by hand/);
    expect(plan.refused.map((r) => r.findingId).sort()).toEqual(
      [
        report.findings.find((f) => f.path?.endsWith('fork.avhdx'))!.id,
        'orphan:c:\\nope.avhdx',
      ].sort(),
    );
    // An orphaned parent chosen without its orphaned child is refused.
    const parentOnly = planRepair(inv, report, [
      report.findings.find((f) => f.path?.endsWith('leftover_parent.avhdx'))!.id,
    ]);
    expect(parentOnly.steps).toEqual([]);
    expect(parentOnly.refused[0]?.reason).toMatch(
      /is the parent of .*leftover_child\.avhdx, which is not part of this repair/,
    );
  });

  it('stays safe for any choice of findings (property)', () => {
    const ids = report.findings.map((f) => f.id);
    fc.assert(
      fc.property(fc.subarray(ids), fc.boolean(), (chosen, all) => {
        const plan = planRepair(inv, report, all ? undefined : chosen);
        assertSafe(inv, report, plan);
        const q = plan.steps
          .filter((s) => s.kind === 'quarantine-file')
          .map((s) => (s as { path: string }).path.split('\\').pop());
        if (q.includes('leftover_parent.avhdx'))
          expect(q.indexOf('leftover_child.avhdx')).toBeGreaterThanOrEqual(0);
        if (q.includes('leftover_parent.avhdx'))
          expect(q.indexOf('leftover_child.avhdx')).toBeLessThan(
            q.indexOf('leftover_parent.avhdx'),
          );
      }),
      { numRuns: 200 },
    );
  });
});
