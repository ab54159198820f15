import { describe, expect, it } from 'vitest';
import { batchesOf, dataChunks, runsOf } from '../../../electron/services/engine/read-disk';

describe('chunk batching for the read loop', () => {
  it('groups consecutive chunk indices into runs of at most max', () => {
    expect(runsOf([0, 1, 2, 5, 6, 9], 2)).toEqual([
      { first: 0, count: 2 },
      { first: 2, count: 1 },
      { first: 5, count: 2 },
      { first: 9, count: 1 },
    ]);
  });

  it('packs scattered runs into batches of at most max chunks, in order', () => {
    const runs = runsOf([0, 1, 2, 10, 20, 21, 22, 23, 24, 30, 40], 8);
    const batches = batchesOf(runs, 4);
    expect(batches.map((b) => b.map((r) => [r.first, r.count]))).toEqual([
      [
        [0, 3],
        [10, 1],
      ],
      [[20, 5]],
      [
        [30, 1],
        [40, 1],
      ],
    ]);
    expect(batches.flat()).toEqual(runs);
  });

  it('finds the chunks that hold data from an extent map', () => {
    const extents = [
      { offset: 0, length: 1024, kind: 'data' },
      { offset: 1024, length: 4096 * 3, kind: 'zero' },
      { offset: 4096 * 3 + 1024, length: 10, kind: 'data' },
    ];
    expect(dataChunks(extents, 4096, 4096 * 8)).toEqual([0, 3]);
  });
});
