// Property: random write sequences on a chain (base + 2-3 differencing children, writes to the newest) read back like a
// flat model, through the chain and through the file pieces Chain.locate names.
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDifferencing,
  createVhdx,
  openChain,
  openVhdx,
  type VhdxFile,
} from '../../../electron/services/vhdx/index';

const MiB = 1024 * 1024;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hvbc-vhdx-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Deterministic bytes for a write: xorshift32 from a seed. */
function bytes(seed: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  let x = seed | 1;
  for (let i = 0; i < len; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  return b;
}

interface Op {
  at: number; // fraction of the disk, in 1/10000
  sectors: number;
  kind: 'random' | 'zero' | 'fill';
  seed: number;
  flush: boolean;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  at: fc.integer({ min: 0, max: 9999 }),
  sectors: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 6000 })),
  kind: fc.constantFrom('random', 'random', 'zero', 'fill'),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  flush: fc.boolean(),
});

const scenarioArb = fc.record({
  sizeMiB: fc.integer({ min: 8, max: 32 }),
  lss: fc.constantFrom(512 as const, 4096 as const),
  baseType: fc.constantFrom('dynamic' as const, 'fixed' as const),
  baseBlockMiB: fc.constantFrom(1, 2),
  childBlockMiB: fc.constantFrom(1, 2, 4),
  levels: fc.array(fc.array(opArb, { maxLength: 10 }), { minLength: 3, maxLength: 4 }),
  reopenMidway: fc.boolean(),
});

async function apply(f: VhdxFile, model: Buffer, ops: Op[], lss: number): Promise<void> {
  const sectorsTotal = model.length / lss;
  for (const op of ops) {
    const first = Math.floor((op.at / 10000) * sectorsTotal);
    const n = Math.max(1, Math.min(op.sectors, sectorsTotal - first, Math.floor((3 * MiB) / lss)));
    const len = n * lss;
    const data =
      op.kind === 'zero'
        ? Buffer.alloc(len)
        : op.kind === 'fill'
          ? Buffer.alloc(len, op.seed & 0xff)
          : bytes(op.seed, len);
    await f.write(first * lss, data);
    data.copy(model, first * lss);
    if (op.flush) await f.flush();
  }
}

async function verify(leaf: string, model: Buffer, probe: number): Promise<void> {
  const chain = await openChain(leaf);
  try {
    const all = await chain.read(0, model.length);
    if (!all.equals(model)) {
      let i = 0;
      while (all[i] === model[i]) i++;
      throw new Error(`chain ${leaf} differs from the model at byte ${i}`);
    }
    // unaligned probe, and the extents must describe the content (zero extents read zero)
    const off = probe % (model.length - 1000);
    expect((await chain.read(off, 777)).equals(model.subarray(off, off + 777))).toBe(true);
    let covered = 0;
    for (const e of await chain.extents()) {
      expect(e.offset).toBe(covered);
      covered += e.length;
      if (e.kind === 'zero')
        expect(model.subarray(e.offset, e.offset + e.length).every((b) => b === 0)).toBe(true);
    }
    expect(covered).toBe(model.length);
    // locate: the pieces, read with plain file reads (as the backup's chunk workers do), give the same bytes.
    const start = Math.floor(((probe * 4096) % (model.length / 2)) / 512) * 512;
    const len = Math.min(model.length - start, 3 * MiB + 512);
    const pieces = await chain.locate?.(start, len);
    if (!pieces) throw new Error('a read-only chain should be locatable');
    const got = Buffer.alloc(len);
    let at = 0;
    for (const piece of pieces) {
      if ('file' in piece) {
        const fh = await open(piece.file, 'r');
        await fh.read(got, at, piece.length, piece.fileOffset);
        await fh.close();
      }
      at += piece.length;
    }
    expect(at).toBe(len);
    expect(got.equals(model.subarray(start, start + len))).toBe(true);
  } finally {
    await chain.close();
  }
}

describe('chain vs flat model (property)', () => {
  it('random writes to base + 2-3 children read back byte-identical', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const dir = path.join(root, `run${run++}`);
        await (await import('node:fs/promises')).mkdir(dir);
        const size = s.sizeMiB * MiB;
        const model = Buffer.alloc(size);
        const files: string[] = [];
        try {
          for (let level = 0; level < s.levels.length; level++) {
            const p = path.join(dir, level === 0 ? 'base.vhdx' : `child${level}.avhdx`);
            let f =
              level === 0
                ? await createVhdx(p, {
                    virtualSize: size,
                    type: s.baseType,
                    blockSize: s.baseBlockMiB * MiB,
                    logicalSectorSize: s.lss,
                  })
                : await createDifferencing(p, files[level - 1] as string, {
                    blockSize: s.childBlockMiB * MiB,
                  });
            const ops = s.levels[level] as Op[];
            const half = s.reopenMidway ? Math.floor(ops.length / 2) : ops.length;
            await apply(f, model, ops.slice(0, half), s.lss);
            if (s.reopenMidway) {
              await f.close();
              f = await openVhdx(p, { writable: true });
            }
            await apply(f, model, ops.slice(half), s.lss);
            await f.close();
            files.push(p);
            if (level > 0) await verify(p, model, ops.length * 7919 + level);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});
