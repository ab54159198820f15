import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyWrite,
  mbrSector,
  PAGE,
  planWrites,
  seedWrites,
  unionRanges,
  writeData,
} from '../../../electron/services/providers/lab/content';

const MiB = 1024 * 1024;

describe('lab content generator', () => {
  it('the MBR has a signature, one NTFS partition from LBA 2048 to the end, and 0x55AA', () => {
    const b = mbrSector(64 * MiB, 0xdeadbeef, 'X/x.vhdx');
    expect(b.length).toBe(512);
    expect(b.readUInt32LE(440)).toBe(0xdeadbeef);
    expect(b[446 + 4]).toBe(0x07);
    expect(b.readUInt32LE(446 + 8)).toBe(2048);
    expect(b.readUInt32LE(446 + 12)).toBe((64 * MiB) / 512 - 2048);
    expect([b[510], b[511]]).toEqual([0x55, 0xaa]);
  });

  it('generated pages are tagged with the disk label and offset and differ between offsets and seeds', () => {
    const w = { o: 3 * MiB, l: 2 * PAGE, d: 42 };
    const a = writeData(w, 'SQL01/SQL01-data.vhdx', 128 * MiB);
    expect(a.toString('latin1', 0, 40)).toContain('HVBC SQL01/SQL01-data.vhdx @0000300000');
    expect(a.toString('latin1', PAGE, PAGE + 40)).toContain('@0000301000');
    expect(a.subarray(64, PAGE).equals(a.subarray(PAGE + 64, 2 * PAGE))).toBe(false);
    expect(writeData({ ...w, d: 43 }, 'SQL01/SQL01-data.vhdx', 128 * MiB).equals(a)).toBe(false);
    expect(writeData(w, 'SQL01/SQL01-data.vhdx', 128 * MiB).equals(a)).toBe(true);
  });

  it('the seed layout writes about the asked fraction and leaves most of the disk untouched', () => {
    const ws = seedWrites(96 * MiB, 7, 0.1);
    const written = unionRanges(ws.map((w) => ({ offset: w.o, length: w.l }))).reduce(
      (s, r) => s + r.length,
      0,
    );
    expect(written).toBeGreaterThan(0.05 * 96 * MiB);
    expect(written).toBeLessThan(0.15 * 96 * MiB);
    expect(ws[0]).toMatchObject({ o: 0, l: 512, k: 'mbr' });
    expect(ws.every((w) => w.o + w.l <= 96 * MiB)).toBe(true);
    expect(seedWrites(96 * MiB, 7, 0.1)).toEqual(ws);
  });

  it('guest I/O plans are deterministic, 4–64 KiB, page aligned, inside the disk; hot spots concentrate writes', () => {
    const disks = [
      { id: 'a', virtualSize: 64 * MiB },
      { id: 'b', virtualSize: 128 * MiB },
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom('scattered' as const, 'hotspot' as const),
        (seed, pattern) => {
          const p = planWrites({ bytes: 2 * MiB, pattern, seed, disks });
          expect(planWrites({ bytes: 2 * MiB, pattern, seed, disks })).toEqual(p);
          expect(p.reduce((s, w) => s + w.l, 0)).toBeGreaterThanOrEqual(2 * MiB);
          for (const w of p) {
            expect(w.l % PAGE).toBe(0);
            expect(w.o % PAGE).toBe(0);
            expect(w.l).toBeGreaterThanOrEqual(4096);
            expect(w.l).toBeLessThanOrEqual(65536);
            const size = disks.find((d) => d.id === w.diskId)?.virtualSize ?? 0;
            expect(w.o).toBeGreaterThan(0);
            expect(w.o + w.l).toBeLessThanOrEqual(size);
          }
        },
      ),
      { numRuns: 30 },
    );
    const spread = (pattern: 'scattered' | 'hotspot') =>
      new Set(
        planWrites({ bytes: 8 * MiB, pattern, seed: 5, disks }).map(
          (w) => `${w.diskId}:${Math.floor(w.o / MiB)}`,
        ),
      ).size;
    expect(spread('hotspot')).toBeLessThan(spread('scattered') / 2);
    expect(planWrites({ bytes: 2 * MiB, pattern: 'scattered', seed: 1, disks })).not.toEqual(
      planWrites({ bytes: 2 * MiB, pattern: 'scattered', seed: 2, disks }),
    );
  });

  it('unionRanges equals a byte map of the inputs (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            offset: fc.integer({ min: 0, max: 500 }),
            length: fc.integer({ min: 0, max: 60 }),
          }),
          { maxLength: 40 },
        ),
        (rs) => {
          const map = new Uint8Array(600);
          for (const r of rs) map.fill(1, r.offset, r.offset + r.length);
          const u = unionRanges(rs);
          const back = new Uint8Array(600);
          for (const r of u) back.fill(1, r.offset, r.offset + r.length);
          expect(back).toEqual(map);
          for (let i = 1; i < u.length; i++)
            expect((u[i]?.offset ?? 0) > (u[i - 1]?.offset ?? 0) + (u[i - 1]?.length ?? 0)).toBe(
              true,
            );
        },
      ),
    );
  });

  it('applyWrite of any window equals the same slice of the whole write (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 90000 }),
        fc.integer({ min: 1, max: 70000 }),
        (page, pages, start, len) => {
          const w = { o: page * PAGE, l: pages * PAGE, d: page * 7 + pages };
          const whole = Buffer.alloc(4 * MiB);
          writeData(w, 'v/d', 4 * MiB).copy(whole, w.o);
          const win = Buffer.alloc(len);
          applyWrite(win, start, w, 'v/d', 4 * MiB);
          expect(win.equals(whole.subarray(start, start + len))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
