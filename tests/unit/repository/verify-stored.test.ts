// planVerifyBatches: how check --read-data cuts stored chunks into batches for the worker threads.
import { describe, expect, it } from 'vitest';
import { planVerifyBatches } from '../../../electron/services/repository/verify-stored';

const chunk = (rawLength: number, id: string) => ({ id, rawLength });

describe('planVerifyBatches', () => {
  it('keeps input order, fills each batch up to its capacity and places chunks end to end', () => {
    const chunks = [chunk(4, 'a'), chunk(4, 'b'), chunk(3, 'c'), chunk(8, 'd'), chunk(1, 'e')];
    const b = planVerifyBatches(chunks, 10);
    expect(b.map((x) => x.first)).toEqual([0, 2, 3]);
    expect(b.map((x) => x.items.map((i) => [i.id, i.at]))).toEqual([
      [
        ['a', 0],
        ['b', 4],
      ],
      [['c', 0]],
      [
        ['d', 0],
        ['e', 8],
      ],
    ]);
    for (const x of b) expect(x.items.reduce((s, i) => s + i.rawLength, 0)).toBeLessThanOrEqual(10);
  });

  it('gives a chunk larger than the capacity a batch of its own, and nothing for no chunks', () => {
    const b = planVerifyBatches([chunk(2, 'a'), chunk(30, 'big'), chunk(2, 'c')], 10);
    expect(b.map((x) => x.items.map((i) => i.id))).toEqual([['a'], ['big'], ['c']]);
    expect(planVerifyBatches([], 10)).toEqual([]);
  });
});
