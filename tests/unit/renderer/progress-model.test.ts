// Grouping a backup task's per-disk progress into per-VM rows with honest totals and states.
import { describe, expect, it } from 'vitest';
import {
  groupItems,
  itemSubLabel,
  type ProgressItem,
} from '../../../renderer/src/tasks/progressModel';

const item = (key: string, label: string, p: Partial<ProgressItem> = {}): ProgressItem => ({
  key,
  label,
  phase: 'waiting',
  fraction: 0,
  bytesDone: 0,
  bytesTotal: 100,
  state: 'queued',
  ...p,
});

describe('groupItems', () => {
  it('groups disks per VM and sums bytes', () => {
    const g = groupItems([
      item('vm1/d1', 'SQL01 · SQL01-os.vhdx', {
        bytesDone: 100,
        state: 'succeeded',
        phase: 'done',
        fraction: 1,
      }),
      item('vm1/d2', 'SQL01 · SQL01-data.vhdx', {
        bytesDone: 50,
        state: 'running',
        phase: 'read',
        fraction: 0.5,
      }),
      item('vm2/d3', 'WEB01 · WEB01.vhdx'),
    ]);
    expect(g.map((x) => [x.label, x.bytesDone, x.bytesTotal, x.state, x.phase])).toEqual([
      ['SQL01', 150, 200, 'running', 'read'],
      ['WEB01', 0, 100, 'queued', 'waiting'],
    ]);
    expect(g[0]?.fraction).toBe(0.75);
    expect(itemSubLabel(g[0]?.items[1] as ProgressItem)).toBe('SQL01-data.vhdx');
  });
  it('a failed disk fails the VM row; all succeeded means succeeded', () => {
    expect(
      groupItems([
        item('a/1', 'A · 1', { state: 'succeeded' }),
        item('a/2', 'A · 2', { state: 'failed' }),
      ])[0]?.state,
    ).toBe('failed');
    expect(
      groupItems([
        item('a/1', 'A · 1', { state: 'succeeded' }),
        item('a/2', 'A · 2', { state: 'succeeded' }),
      ])[0]?.phase,
    ).toBe('done');
  });
  it('items without a VM prefix stay on their own', () => {
    const g = groupItems([item('check', 'Chunks', { bytesTotal: 0, fraction: null })]);
    expect(g).toHaveLength(1);
    expect(g[0]?.fraction).toBeNull();
  });
});
