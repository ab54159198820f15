import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chunkRangesFor,
  chunkRunsFor,
  expectedChunkTouchFraction,
  writesForChange,
} from '../../../electron/services/repository/chunking';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('chunkRangesFor', () => {
  it('maps byte ranges to the chunk indices they touch', () => {
    expect(chunkRangesFor([{ offset: 0, length: 1 }], MiB, 10 * MiB)).toEqual([0]);
    expect(chunkRangesFor([{ offset: MiB - 1, length: 2 }], MiB, 10 * MiB)).toEqual([0, 1]);
    expect(chunkRangesFor([{ offset: MiB, length: MiB }], MiB, 10 * MiB)).toEqual([1]);
    expect(chunkRangesFor([{ offset: 5 * MiB, length: 0 }], MiB, 10 * MiB)).toEqual([]);
  });

  it('merges, sorts and de-duplicates overlapping ranges', () => {
    const ranges = [
      { offset: 7 * MiB, length: 10 },
      { offset: 2 * MiB + 5, length: 3 * MiB },
      { offset: 3 * MiB, length: 64 * KiB },
    ];
    expect(chunkRangesFor(ranges, MiB, 10 * MiB)).toEqual([2, 3, 4, 5, 7]);
    expect(chunkRunsFor(ranges, MiB, 10 * MiB)).toEqual([
      { first: 2, count: 4 },
      { first: 7, count: 1 },
    ]);
  });

  it('clips ranges at the end of the disk, including a short tail chunk', () => {
    const size = 3 * MiB + 100;
    expect(chunkRangesFor([{ offset: 3 * MiB + 50, length: 10 * MiB }], MiB, size)).toEqual([3]);
    expect(chunkRangesFor([{ offset: 20 * MiB, length: 1 }], MiB, size)).toEqual([]);
  });

  it('rejects negative or fractional ranges', () => {
    expect(() => chunkRangesFor([{ offset: -1, length: 5 }], MiB, 10 * MiB)).toThrow(
      /not a valid byte range/,
    );
    expect(() => chunkRangesFor([{ offset: 0.5, length: 5 }], MiB, 10 * MiB)).toThrow();
  });

  it('agrees with a byte-by-byte model (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 8, 16),
        fc.integer({ min: 0, max: 200 }),
        fc.array(
          fc.record({
            offset: fc.integer({ min: 0, max: 250 }),
            length: fc.integer({ min: 0, max: 60 }),
          }),
          { maxLength: 8 },
        ),
        (cs, size, ranges) => {
          const touched = new Set<number>();
          for (const r of ranges)
            for (let b = r.offset; b < Math.min(size, r.offset + r.length); b++)
              touched.add(Math.floor(b / cs));
          expect(chunkRangesFor(ranges, cs, size)).toEqual([...touched].sort((a, b) => a - b));
        },
      ),
    );
  });
});

describe('expectedChunkTouchFraction (the chunk-size measurement cited in README.md)', () => {
  const disk = 100 * GiB;
  const writes = writesForChange(disk, 0.01); // 1% of the disk in scattered 64 KiB writes
  const table = Object.fromEntries(
    [256 * KiB, 512 * KiB, MiB, 2 * MiB, 4 * MiB].map((cs) => [
      `${cs / KiB} KiB`,
      expectedChunkTouchFraction({ diskSize: disk, chunkSize: cs, writes }),
    ]),
  );

  it('1% change in 64 KiB writes on a 100 GiB disk: 4 MiB chunks re-read ~half, 256 KiB–1 MiB 4–15%', () => {
    expect(writes).toBe(16384);
    // Printed so the README numbers can be re-derived: npx vitest run tests/unit/repository/chunking.test.ts
    console.log(
      'fraction of chunks touched:',
      Object.fromEntries(Object.entries(table).map(([k, v]) => [k, `${(v * 100).toFixed(1)}%`])),
    );
    expect(table['256 KiB']).toBeCloseTo(0.0392, 3);
    expect(table['512 KiB']).toBeCloseTo(0.0769, 3);
    expect(table['1024 KiB']).toBeCloseTo(0.1479, 3);
    expect(table['2048 KiB']).toBeCloseTo(0.2739, 3);
    expect(table['4096 KiB']).toBeCloseTo(0.4727, 3);
  });

  it('matches a simulation', () => {
    const diskSize = 4 * GiB;
    const cs = MiB;
    const n = writesForChange(diskSize, 0.01);
    const slots = diskSize / (64 * KiB);
    let seed = 42;
    const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    let sum = 0;
    const trials = 40;
    for (let t = 0; t < trials; t++) {
      const touched = new Set<number>();
      for (let i = 0; i < n; i++)
        touched.add(Math.floor((Math.floor(rand() * slots) * 64 * KiB) / cs));
      sum += touched.size / (diskSize / cs);
    }
    expect(sum / trials).toBeCloseTo(
      expectedChunkTouchFraction({ diskSize, chunkSize: cs, writes: n }),
      2,
    );
  });

  it('handles edge cases', () => {
    expect(expectedChunkTouchFraction({ diskSize: GiB, chunkSize: MiB, writes: 0 })).toBe(0);
    expect(expectedChunkTouchFraction({ diskSize: MiB, chunkSize: MiB, writes: 1 })).toBe(1);
    // Chunks smaller than the writes: a write covers several chunks, fraction is per write slot.
    expect(
      expectedChunkTouchFraction({
        diskSize: GiB,
        chunkSize: 16 * KiB,
        writes: 10,
        writeSize: 64 * KiB,
      }),
    ).toBeCloseTo(10 / 16384, 5);
    expect(() => expectedChunkTouchFraction({ diskSize: 0, chunkSize: MiB, writes: 1 })).toThrow();
  });
});
