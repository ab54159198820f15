// Selection highlights and edges: a VM lights its CSVs, a CSV its VMs; edges per VM when detailed, aggregated when compact.
import { describe, expect, it } from 'vitest';
import { anchorId, buildEdges } from '../../../renderer/src/topology/graph/edges';
import { groupTopology } from '../../../renderer/src/topology/graph/group';
import { highlightOf, NO_HIGHLIGHT } from '../../../renderer/src/topology/graph/highlight';
import { buildModel } from '../../../renderer/src/topology/graph/model';
import { largeInventory, smallInventory } from './fixtures';

describe('highlightOf', () => {
  const m = buildModel(smallInventory());
  const sql = m.vms.find((v) => v.name === 'SQL01');
  it('a VM lights its CSVs and its node', () => {
    const h = highlightOf(m, { kind: 'vm', id: sql?.id ?? '' });
    expect(h.active).toBe(true);
    expect([...h.csvs]).toEqual(['csv1', 'csv2']);
    expect([...h.nodes]).toEqual(['HV-A']);
  });
  it('a CSV lights every VM with a disk on it and its owner', () => {
    const h = highlightOf(m, { kind: 'csv', id: 'csv2' });
    expect([...h.vms].map((id) => m.vmById.get(id)?.name)).toEqual(['SQL01', 'WEB01', 'WEB02']);
    expect([...h.nodes]).toEqual(['HV-B']);
  });
  it('a node lights its VMs and the CSVs it owns; nothing selected lights nothing', () => {
    const h = highlightOf(m, { kind: 'node', id: 'HV-A' });
    expect(h.vms.size).toBe(2);
    expect([...h.csvs]).toEqual(['csv1', 'csv4']);
    expect(highlightOf(m, null)).toBe(NO_HIGHLIGHT);
    expect(highlightOf(m, { kind: 'vm', id: 'gone' }).active).toBe(false);
  });
});

describe('buildEdges', () => {
  it('detailed node mode: one edge per VM disk CSV, foreign when the host does not own the CSV', () => {
    const m = buildModel(smallInventory());
    const g = groupTopology(m, m.vms, 'node');
    const sql = m.vms.find((v) => v.name === 'SQL01');
    const sel = { kind: 'vm' as const, id: sql?.id ?? '' };
    const edges = buildEdges(m, g, 'detailed', highlightOf(m, sel), sel);
    const mine = edges.filter((e) => e.source === anchorId(sql?.id ?? ''));
    expect(mine.map((e) => [e.target, e.foreign, e.hot])).toEqual([
      ['csv:csv1', false, true],
      ['csv:csv2', true, true],
    ]);
    expect(edges.filter((e) => !mine.includes(e)).every((e) => e.dim && !e.hot)).toBe(true);
    expect(edges.filter((e) => e.kind === 'vm')).toHaveLength(8 - 1); // LOCAL01 has no CSV
  });

  it('compact mode aggregates per frame and target, and adds only the selected VM own edges', () => {
    const m = buildModel(largeInventory());
    const g = groupTopology(m, m.vms, 'node');
    const none = buildEdges(m, g, 'compact', NO_HIGHLIGHT, null);
    expect(none.every((e) => e.kind === 'aggregate')).toBe(true);
    expect(none.reduce((s, e) => s + e.count, 0)).toBe(1000 + Math.ceil(1000 / 7));
    expect(none.length).toBeLessThan(8 * 16 + 1);
    const vm = m.vms[7];
    const sel = { kind: 'vm' as const, id: vm?.id ?? '' };
    const withSel = buildEdges(m, g, 'compact', highlightOf(m, sel), sel);
    expect(withSel.filter((e) => e.kind === 'vm').map((e) => e.target)).toEqual(
      vm?.csvIds.map((c) => `csv:${c}`),
    );
    const csvSel = { kind: 'csv' as const, id: 'csv3' };
    const hotAgg = buildEdges(m, g, 'compact', highlightOf(m, csvSel), csvSel).filter((e) => e.hot);
    expect(hotAgg.length).toBeGreaterThan(0);
    expect(hotAgg.every((e) => e.target === 'csv:csv3')).toBe(true);
  });

  it('CSV mode: VMs point at their host, frames at their owner node', () => {
    const m = buildModel(smallInventory());
    const g = groupTopology(m, m.vms, 'csv');
    const edges = buildEdges(m, g, 'detailed', NO_HIGHLIGHT, null);
    const owner = edges.filter((e) => e.kind === 'owner');
    expect(owner.map((e) => [e.source, e.target])).toContainEqual(['csv:csv2', 'node:HV-B']);
    const web02 = m.vms.find((v) => v.name === 'WEB02');
    const e = edges.find((x) => x.source === anchorId(web02?.id ?? ''));
    expect(e?.target).toBe('node:HV-C');
    expect(e?.foreign).toBe(true);
  });
});

describe('edgeGeometry', () => {
  it('runs from the cell (lit) or the frame bottom (unlit) down to the top of the target', async () => {
    const { edgeGeometry } = await import('../../../renderer/src/topology/graph/edgeGeometry');
    const { layoutTopology } = await import('../../../renderer/src/topology/graph/layout');
    const m = buildModel(smallInventory());
    const g = groupTopology(m, m.vms, 'node');
    const l = layoutTopology(g);
    const sql = m.vms.find((v) => v.name === 'SQL01');
    const sel = { kind: 'vm' as const, id: sql?.id ?? '' };
    const e = buildEdges(m, g, 'detailed', highlightOf(m, sel), sel).find(
      (x) => x.source === anchorId(sql?.id ?? '') && x.target === 'csv:csv2',
    );
    expect(e).toBeDefined();
    if (!e) return;
    const frame = l.frames.get('node:HV-A');
    const target = l.targets.get('csv:csv2');
    const cell = l.cells.get(sql?.id ?? '');
    const lit = edgeGeometry(e, l, true);
    const unlit = edgeGeometry(e, l, false);
    const start = (d: string) => d.split(' ').slice(1, 3).map(Number);
    expect(start(lit?.d ?? '')[1]).toBe((frame?.y ?? 0) + (cell?.y ?? 0) + (cell?.h ?? 0));
    expect(start(unlit?.d ?? '')[1]).toBe((frame?.y ?? 0) + (frame?.h ?? 0));
    expect(lit?.d.endsWith(` ${target?.y}`)).toBe(true);
    expect(edgeGeometry({ ...e, target: 'csv:gone' }, l, true)).toBeNull();
  });
});
