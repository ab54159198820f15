// Grouping and layout: hosts in a row on top, CSVs below under their owners, compact chips at scale, no overlaps.
import { describe, expect, it } from 'vitest';
import { filterVms, NO_FILTER } from '../../../renderer/src/topology/graph/filter';
import { groupTopology } from '../../../renderer/src/topology/graph/group';
import {
  anchorOf,
  COMPACT_THRESHOLD,
  layoutTopology,
  type Box,
} from '../../../renderer/src/topology/graph/layout';
import { buildModel } from '../../../renderer/src/topology/graph/model';
import { largeInventory, smallInventory } from './fixtures';

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

function noOverlap(boxes: Box[]): boolean {
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++)
      if (overlaps(boxes[i] as Box, boxes[j] as Box)) return false;
  return true;
}

describe('groupTopology', () => {
  const m = buildModel(smallInventory());
  it('groups by node with CSVs anchored under their owner', () => {
    const g = groupTopology(m, m.vms, 'node');
    expect(g.frames.map((f) => f.id)).toEqual(['node:HV-A', 'node:HV-B', 'node:HV-C']);
    expect(g.frames[0]?.vmIds.length).toBe(2);
    expect(g.targets.find((t) => t.key === 'csv2')?.anchorFrameIds).toEqual(['node:HV-B']);
  });
  it('groups by primary CSV, keeps local-storage VMs apart, and puts nodes under the CSVs they own', () => {
    const g = groupTopology(m, m.vms, 'csv');
    expect(g.frames.map((f) => f.key)).toEqual(['csv1', 'csv2', 'csv3', 'csv4', '(local)']);
    expect(g.frames.find((f) => f.key === 'csv1')?.vmIds.length).toBe(2);
    expect(g.frames.find((f) => f.key === '(local)')?.vmIds.length).toBe(1);
    expect(g.targets.find((t) => t.key === 'HV-A')?.anchorFrameIds).toEqual([
      'csv:csv1',
      'csv:csv4',
    ]);
  });
  it('keeps empty frames when a filter hides their VMs, so the picture does not jump', () => {
    const g = groupTopology(m, filterVms(m, { ...NO_FILTER, search: 'web01' }), 'node');
    expect(g.frames).toHaveLength(3);
    expect(g.frames.map((f) => f.vmIds.length)).toEqual([0, 1, 0]);
    expect(g.frames[0]?.totalVms).toBe(2);
  });
});

describe('layoutTopology', () => {
  it('puts frames in one row on top and targets in one row below, without overlaps', () => {
    const m = buildModel(smallInventory());
    const l = layoutTopology(groupTopology(m, m.vms, 'node'));
    expect(l.density).toBe('detailed');
    const frames = [...l.frames.values()];
    const targets = [...l.targets.values()];
    expect(new Set(frames.map((f) => f.y))).toEqual(new Set([0]));
    const bottom = Math.max(...frames.map((f) => f.y + f.h));
    expect(targets.every((t) => t.y > bottom)).toBe(true);
    expect(noOverlap([...frames, ...targets])).toBe(true);
    // Cells sit inside their frame and do not overlap each other.
    for (const c of l.cells.values()) {
      const f = l.frames.get(c.frameId) as Box;
      expect(c.x + c.w).toBeLessThanOrEqual(f.w);
      expect(c.y + c.h).toBeLessThanOrEqual(f.h);
    }
    expect(
      noOverlap(
        [...l.cells.values()].map((c) => ({ ...c, x: c.x + (l.frames.get(c.frameId)?.x ?? 0) })),
      ),
    ).toBe(true);
  });

  it('places each CSV under its owner node: in one row for a small cluster, stacked at scale', () => {
    const small = buildModel(smallInventory());
    const ls = layoutTopology(groupTopology(small, small.vms, 'node'));
    expect(ls.arrangement).toBe('row');
    for (const c of small.csvs) {
      const owner = ls.frames.get(`node:${c.owner}`) as Box;
      const t = ls.targets.get(`csv:${c.id}`) as Box;
      // Its owner's frame and the card overlap horizontally (the card sits under, or just beside, its owner).
      expect(t.x).toBeLessThan(owner.x + owner.w);
      expect(t.x + t.w).toBeGreaterThan(owner.x - t.w);
    }
    // Owner order is kept left to right: HV-A's CSVs, then HV-B's, then HV-C's.
    const xs = ['csv:csv1', 'csv:csv4', 'csv:csv2', 'csv:csv3'].map(
      (id) => ls.targets.get(id)?.x ?? -1,
    );
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);

    const big = buildModel(largeInventory());
    const lb = layoutTopology(groupTopology(big, big.vms, 'node'));
    expect(lb.arrangement).toBe('stack');
    for (const c of big.csvs) {
      const owner = lb.frames.get(`node:${c.owner}`) as Box;
      const t = lb.targets.get(`csv:${c.id}`) as Box;
      expect(t.x).toBeGreaterThanOrEqual(owner.x);
      expect(t.x + t.w).toBeLessThanOrEqual(owner.x + owner.w);
    }
    expect(noOverlap([...lb.targets.values()])).toBe(true);
  });

  it('CSV mode puts each node under the first CSV it owns, and nodes owning nothing after the frames', () => {
    const inv = smallInventory();
    inv.cluster.nodes.push({ name: 'HV-D', state: 'Up', osVersion: '2019' });
    const m = buildModel(inv);
    const l = layoutTopology(groupTopology(m, m.vms, 'csv'));
    const csv1 = l.frames.get('csv:csv1') as Box;
    const hvA = l.targets.get('node:HV-A') as Box;
    expect(hvA.x).toBeGreaterThanOrEqual(csv1.x);
    expect(hvA.x + hvA.w).toBeLessThanOrEqual(csv1.x + csv1.w);
    const right = Math.max(...[...l.frames.values()].map((f) => f.x + f.w));
    expect((l.targets.get('node:HV-D') as Box).x).toBeGreaterThan(right);
    expect(noOverlap([...l.frames.values(), ...l.targets.values()])).toBe(true);
  });

  it('switches to compact chips above the threshold and stays fast and overlap-free at 1,000 VMs', () => {
    const m = buildModel(largeInventory());
    const t0 = performance.now();
    const g = groupTopology(m, m.vms, 'node');
    const l = layoutTopology(g);
    const ms = performance.now() - t0;
    expect(m.vms.length).toBeGreaterThan(COMPACT_THRESHOLD);
    expect(l.density).toBe('compact');
    expect(l.cells.size).toBe(1000);
    expect(l.frames.size).toBe(8);
    expect(l.targets.size).toBe(16);
    expect(noOverlap([...l.frames.values(), ...l.targets.values()])).toBe(true);
    expect(ms).toBeLessThan(100);
    // The picture stays near a wide window's proportions rather than one endless row.
    expect(l.width / l.height).toBeLessThan(5);
    const a = anchorOf(l, m.vms[0]?.id ?? '');
    expect(a).not.toBeNull();
  });

  it('a forced density wins over the threshold', () => {
    const m = buildModel(smallInventory());
    expect(layoutTopology(groupTopology(m, m.vms, 'csv'), { density: 'compact' }).density).toBe(
      'compact',
    );
  });
});

describe('fitViewport', () => {
  it('centres the picture and zooms to the tighter side, within limits', async () => {
    const { fitViewport } = await import('../../../renderer/src/topology/graph/viewport');
    const v = fitViewport(
      { width: 2000, height: 500 },
      { width: 1000, height: 800 },
      { padding: 0 },
    );
    expect(v.zoom).toBeCloseTo(0.5);
    expect(v.x).toBeCloseTo(0);
    expect(v.y).toBeCloseTo((800 - 250) / 2);
    expect(
      fitViewport({ width: 10, height: 10 }, { width: 1000, height: 800 }, { maxZoom: 1.2 }).zoom,
    ).toBe(1.2);
    expect(
      fitViewport({ width: 1e6, height: 10 }, { width: 100, height: 100 }, { minZoom: 0.05 }).zoom,
    ).toBe(0.05);
  });
});
