// planBatch: which chunks of a disk go where in one batch buffer (zero chunks skipped, neighbours in one run).
import { describe, expect, it } from 'vitest';
import { planBatch } from '../../../electron/services/repository/batch-reader';

const CS = 4;
/** A chunk table from a pattern: '0' a zero chunk, anything else a data chunk. */
function table(pattern: string): Buffer {
  const t = Buffer.alloc(pattern.length * 32);
  [...pattern].forEach((c, i) => {
    if (c !== '0') t[i * 32 + 31] = 1;
  });
  return t;
}

describe('planBatch', () => {
  it('skips zero chunks and lays consecutive data chunks out as one run', () => {
    const p = planBatch(table('xx0xxx00x'), 0, CS, 9 * CS, 100);
    expect(p.first).toBe(0);
    expect(p.next).toBe(9);
    expect(p.at).toEqual([0, 4, -1, 8, 12, 16, -1, -1, 20]);
    expect(p.runs).toEqual([
      { diskOffset: 0, at: 0, length: 8 },
      { diskOffset: 12, at: 8, length: 12 },
      { diskOffset: 32, at: 20, length: 4 },
    ]);
  });

  it('stops when the buffer is full and the next batch starts there; zeros cost no space', () => {
    const t = table('xx0000xxx');
    const a = planBatch(t, 0, CS, 9 * CS, 12);
    expect(a.next).toBe(7);
    expect(a.runs).toEqual([
      { diskOffset: 0, at: 0, length: 8 },
      { diskOffset: 24, at: 8, length: 4 },
    ]);
    const b = planBatch(t, a.next, CS, 9 * CS, 12);
    expect(b).toEqual({
      first: 7,
      next: 9,
      at: [0, 4],
      runs: [{ diskOffset: 28, at: 0, length: 8 }],
    });
  });

  it('a short last chunk keeps its length; a run of zeros alone is a batch with no runs', () => {
    const p = planBatch(table('x0x'), 1, CS, 2 * CS + 2, 100);
    expect(p.at).toEqual([-1, 0]);
    expect(p.runs).toEqual([{ diskOffset: 8, at: 0, length: 2 }]);
    const z = planBatch(table('000'), 0, CS, 3 * CS, 100);
    expect(z).toEqual({ first: 0, next: 3, at: [-1, -1, -1], runs: [] });
  });

  it('always places at least one chunk, and caps the chunks one batch covers', () => {
    expect(planBatch(table('xx'), 0, CS, 2 * CS, 1).next).toBe(1);
    const capped = planBatch(table('0000000000'), 0, CS, 10 * CS, 100, 4);
    expect(capped.next).toBe(4);
  });
});
