import { describe, expect, it } from 'vitest';
import type { WriteSpec } from '../../../electron/services/providers/lab/content';
import { writtenSince, type LogLine } from '../../../electron/services/providers/lab/journal';
import { replayWrites } from '../../../electron/services/providers/lab/model';
import type { LabDiskState } from '../../../electron/services/providers/lab/state';

const MiB = 1024 * 1024;
const w = (o: number, d = o): WriteSpec => ({ o, l: 4096, d });

function disk(extra: Partial<LabDiskState> = {}): LabDiskState {
  return {
    vms: ['vm'],
    label: 'VM/VM.vhdx',
    csv: null,
    virtualSize: 64 * MiB,
    blockSize: 2 * MiB,
    seed: 1,
    files: { base: { path: 'x/VM.vhdx', parent: null, checkpointId: null, created: '' } },
    active: 'base',
    // After an in-place restore: the running chain's old file resolves to the base, another branch's to nothing.
    merged: { a1: 'base', b1: null },
    materialized: true,
    ...extra,
  };
}

/**
 * seq 1 seed write · 2 marker cp1 · 3 write to a1 (running chain) · 4 write to b1 (another branch) · 5 marker cp2 ·
 * 6 reset (in-place restore of cp1's content, an MBR and one page) · 7 write · 8 marker cp3 · 9 write.
 */
function log(): LogLine[] {
  const lines: LogLine[] = [
    { seq: 1, ...w(0), f: 'base', s: 'seed' },
    { seq: 2, m: 'checkpoint', id: 'cp1', t: '' },
    { seq: 3, ...w(4096), f: 'a1', s: 'io:1' },
    { seq: 4, ...w(8192), f: 'b1', s: 'io:2' },
    { seq: 5, m: 'checkpoint', id: 'cp2', t: '' },
    {
      seq: 6,
      m: 'reset',
      id: 'r1',
      t: '',
      from: 'cp1',
      source: 'restore point P',
      writes: [{ o: 0, l: 512, d: 7, k: 'mbr' }, w(12288)],
    },
    { seq: 7, ...w(16384), f: 'base', s: 'io:3' },
    { seq: 8, m: 'checkpoint', id: 'cp3', t: '' },
    { seq: 9, ...w(20480), f: 'base', s: 'io:4' },
  ];
  return lines;
}

describe('lab content model: reset lines of an in-place restore', () => {
  it('models of checkpoints taken before the reset stay what they were', () => {
    expect(replayWrites(disk(), log(), 'base', 2)).toEqual([w(0)]);
    // The off-branch write (b1 → nothing) stays out, as it did before the restore.
    expect(replayWrites(disk(), log(), 'base', 5)).toEqual([w(0), w(4096)]);
  });

  it('from the reset on, the disk holds exactly the restored writes, later writes on top', () => {
    const restored = [{ o: 0, l: 512, d: 7, k: 'mbr' }, w(12288)];
    expect(replayWrites(disk(), log(), 'base', 6)).toEqual(restored);
    expect(replayWrites(disk(), log(), 'base', 8)).toEqual([...restored, w(16384)]);
    expect(replayWrites(disk(), log(), 'base')).toEqual([...restored, w(16384), w(20480)]);
  });

  it('a later reset replaces an earlier one; checkpoints after a reset keep their own chains', () => {
    const withChild = disk({
      files: {
        base: { path: 'x/VM.vhdx', parent: null, checkpointId: null, created: '' },
        c1: { path: 'x/VM_C1.avhdx', parent: 'base', checkpointId: 'cp4', created: '' },
      },
      active: 'c1',
    });
    const lines: LogLine[] = [
      ...log(),
      { seq: 10, m: 'checkpoint', id: 'cp4', t: '' },
      { seq: 11, ...w(24576), f: 'c1', s: 'io:5' },
      { seq: 12, m: 'reset', id: 'r2', t: '', from: 'cp2', source: 'P2', writes: [w(32768)] },
      { seq: 13, ...w(36864), f: 'base', s: 'io:6' },
    ];
    // The frozen base (checkpoint cp4) does not see the write to c1; the running chain does.
    expect(replayWrites(withChild, lines, 'base', 11)).toEqual([
      { o: 0, l: 512, d: 7, k: 'mbr' },
      w(12288),
      w(16384),
      w(20480),
    ]);
    expect(replayWrites(withChild, lines, 'c1', 11).at(-1)).toEqual(w(24576));
    expect(replayWrites(withChild, lines, 'c1')).toEqual([w(32768), w(36864)]);
  });

  it('"written since a checkpoint" refuses to answer across a reset (everything may have changed)', () => {
    expect(writtenSince(log(), 'cp3')).toEqual([{ offset: 20480, length: 4096 }]);
    expect(() => writtenSince(log(), 'cp2')).toThrow(/restored in place/);
  });
});
