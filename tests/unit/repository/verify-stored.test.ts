// planVerifyBatches: how check --read-data cuts stored chunks into batches for the worker threads.
import { describe, expect, it } from 'vitest';
import { planVerifyBatches } from '../../../electron/services/repository/verify-stored';

const plan = (lengths: number[], capacity: number) => [
  ...planVerifyBatches(
    lengths.map((rawLength) => ({ rawLength })),
    capacity,
  ),
];

describe('planVerifyBatches', () => {
  it('keeps input order and fills each batch up to its capacity', () => {
    const lengths = [4, 4, 3, 8, 1];
    const b = plan(lengths, 10);
    expect(b).toEqual([
      { first: 0, end: 2 },
      { first: 2, end: 3 },
      { first: 3, end: 5 },
    ]);
    // Every chunk is in exactly one batch, and no batch holds more than the capacity.
    expect(b.flatMap((x) => lengths.slice(x.first, x.end))).toEqual(lengths);
    for (const x of b)
      expect(lengths.slice(x.first, x.end).reduce((s, n) => s + n, 0)).toBeLessThanOrEqual(10);
  });

  it('gives a chunk larger than the capacity a batch of its own, and nothing for no chunks', () => {
    expect(plan([2, 30, 2], 10)).toEqual([
      { first: 0, end: 1 },
      { first: 1, end: 2 },
      { first: 2, end: 3 },
    ]);
    expect(plan([], 10)).toEqual([]);
  });
});
