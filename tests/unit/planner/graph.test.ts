// The VM ↔ CSV graph: components, spans, owners, redirected CSVs, load and conflicts.
import { describe, expect, it } from 'vitest';
import { analyzeGraph, components, findConflicts } from '../../../electron/services/planner/graph';
import { backupMethodOf } from '../../../electron/services/planner/versions';
import { defaultScenario } from '../../../electron/services/providers/lab/scenarios';
import { csv, def, example1, example3, inventoryOf, MiB, vm, vmByName } from './helpers';

describe('graph', () => {
  it('finds connected components through shared CSVs, and isolated VMs on local storage', () => {
    const d = def(
      '2019',
      ['N1', 'N2'],
      [csv(1, 'N1'), csv(2, 'N2'), csv(3, 'N2')],
      [
        vm({
          name: 'A',
          host: 'N1',
          disks: [
            { csv: 'csv1', file: 'a.vhdx' },
            { csv: 'csv2', file: 'a2.vhdx' },
          ],
        }),
        vm({ name: 'B', host: 'N2', disks: [{ csv: 'csv2', file: 'b.vhdx' }] }),
        vm({ name: 'C', host: 'N2', disks: [{ csv: 'csv3', file: 'c.vhdx' }] }),
        vm({ name: 'L', host: 'N1', disks: [{ file: 'l.vhdx' }] }),
      ],
    );
    const inv = inventoryOf(d);
    const comps = components(inv).map((c) => ({
      vms: c.vmIds.map((id) => inv.vms.find((v) => v.id === id)?.name).sort(),
      csvs: c.csvIds.sort(),
    }));
    expect(comps).toEqual(
      expect.arrayContaining([
        { vms: ['A', 'B'], csvs: ['csv1', 'csv2'] },
        { vms: ['C'], csvs: ['csv3'] },
        { vms: ['L'], csvs: [] },
      ]),
    );
    expect(comps).toHaveLength(3);
  });

  it('reports spans, hosts that do not own their CSV, load per node and CSV (reusing the topology flags)', () => {
    const inv = inventoryOf(example3());
    const g = analyzeGraph(inv);
    expect(g.method).toBe('host-vss-csv');
    expect(g.spansCsvs.map((s) => s.vmName)).toEqual(['B']);
    expect(g.notCsvOwner.map((s) => s.vmName)).toEqual(['A']);
    expect(g.notCsvOwner[0]?.message).toMatch(/must first move CSV ownership/);
    const csv2 = g.csvLoad.find((c) => c.csvId === 'csv2');
    expect(csv2).toMatchObject({
      vmCount: 2,
      diskCount: 2,
      diskBytes: 2048 * MiB,
      nodesUsing: ['NODE-A', 'NODE-B'],
    });
    const nodeB = g.nodeLoad.find((n) => n.node === 'NODE-B');
    expect(nodeB).toMatchObject({
      vmCount: 1,
      runningVmCount: 1,
      diskBytes: 2048 * MiB,
      ownedCsvIds: ['csv1', 'csv2'],
    });
  });

  it('lists CSVs in redirected access with their reason', () => {
    const inv = inventoryOf(example1(), (i) => {
      const c = i.cluster.csvs[1];
      if (c)
        c.states = [
          { node: 'NODE-A', state: 'FileSystemRedirected', reason: 'NoDiskConnectivity' },
          { node: 'NODE-B', state: 'Direct', reason: '' },
        ];
    });
    const g = analyzeGraph(inv);
    expect(g.redirected).toHaveLength(1);
    expect(g.redirected[0]?.message).toMatch(
      /CSV 2 is in redirected access on NODE-A \(FileSystemRedirected: NoDiskConnectivity\)/,
    );
  });

  it('names ownership conflicts per CSV and node, and layout conflicts per VM', () => {
    const inv = inventoryOf(example3());
    const ids = findConflicts(inv).map((c) => c.id);
    const b = vmByName(inv, 'B');
    expect(ids).toEqual(['csv-owner:csv2:NODE-A', 'csv-shared:csv2', `vm-spans:${b.id}`]);
  });

  it('leaves shared VHD Sets and pass-through disks out of ownership conflicts', () => {
    const d = def(
      '2016',
      ['N1', 'N2'],
      [csv(1, 'N1'), csv(2, 'N2')],
      [
        vm({
          name: 'G1',
          host: 'N1',
          disks: [
            { csv: 'csv1', file: 'g1.vhdx' },
            { csv: 'csv2', file: 'shared.vhds', shared: true },
          ],
        }),
        vm({
          name: 'G2',
          host: 'N2',
          disks: [
            { csv: 'csv2', file: 'g2.vhdx' },
            { csv: 'csv2', file: 'shared.vhds', shared: true },
          ],
        }),
        vm({
          name: 'P',
          host: 'N2',
          disks: [
            { csv: 'csv2', file: 'p.vhdx' },
            { file: 'pt.vhdx', attachment: 'passthrough' },
          ],
        }),
      ],
    );
    expect(findConflicts(inventoryOf(d))).toEqual([]);
  });

  it('picks the backup method from node versions and functional level', () => {
    expect(backupMethodOf(inventoryOf(example1('2012R2'))).method).toBe('host-vss-csv');
    expect(backupMethodOf(inventoryOf(example1('2016'))).method).toBe('recovery-checkpoint-rct');
    const mixed = example1('2019');
    expect(
      backupMethodOf(inventoryOf({ ...mixed, cluster: { ...mixed.cluster, functionalLevel: '8' } }))
        .reason,
    ).toMatch(/functional level is still 2012 R2/);
    expect(
      backupMethodOf(
        inventoryOf({
          ...mixed,
          nodes: [
            { name: 'NODE-A', state: 'Up', osVersion: '2012R2' },
            { name: 'NODE-B', state: 'Up' },
          ],
        }),
      ).method,
    ).toBe('host-vss-csv');
  });

  it('summarises the default scenario', () => {
    const g = analyzeGraph(inventoryOf(defaultScenario()));
    expect(g.nodeLoad.reduce((s, n) => s + n.vmCount, 0)).toBe(13);
    expect(g.spansCsvs.map((s) => s.vmName).sort()).toEqual([
      'EXCH01',
      'FILE01',
      'SQL01',
      'SQLCL-N1',
      'SQLCL-N2',
    ]);
    expect(g.conflicts.length).toBeGreaterThan(0);
  });
});
