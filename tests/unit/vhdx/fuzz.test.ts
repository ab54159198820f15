// Fuzz: thousands of mutated headers, region tables, metadata, BAT entries, bitmaps and log entries must give typed errors, never a crash or hang.
import { open, mkdtemp, readFile, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { crc32cWithZeroedField } from '../../../electron/services/vhdx/crc32c';
import { armCrash, disarmCrash, isSimulatedCrash } from '../../../electron/services/vhdx/faults';
import { VhdxImage } from '../../../electron/services/vhdx/file';
import {
  checkVhdx,
  createDifferencing,
  createVhdx,
  openChain,
  openVhdx,
} from '../../../electron/services/vhdx/index';

const MiB = 1024 * 1024;
const ALLOWED = new Set([
  'VHDX_CORRUPT',
  'VHDX_UNSUPPORTED',
  'LOG_REPLAY_REQUIRED',
  'PARENT_MISSING',
  'CHAIN_BROKEN',
  'CHAIN_CYCLE',
]);

interface Target {
  file: string;
  bytes: Buffer;
  structs: Record<string, { start: number; length: number; crcAt?: number }>;
}

let dir: string;
const targets: Record<string, Target> = {};

async function describeFile(file: string, extra: Target['structs'] = {}): Promise<Target> {
  const img = await VhdxImage.open(file, { replayLog: 'in-memory' });
  const bat = img.regions.bat;
  const md = img.regions.metadata;
  const batBytes = img.g.totalEntries * 8;
  await img.close();
  return {
    file,
    bytes: await readFile(file),
    structs: {
      fileid: { start: 0, length: 520 },
      hdr1: { start: 64 * 1024, length: 4096, crcAt: 4 },
      hdr2: { start: 128 * 1024, length: 4096, crcAt: 4 },
      rt1: { start: 192 * 1024, length: 64 * 1024, crcAt: 4 },
      rt2: { start: 256 * 1024, length: 64 * 1024, crcAt: 4 },
      metaTable: { start: md.fileOffset, length: 256 },
      metaItems: { start: md.fileOffset + 65536, length: 1200 },
      bat: { start: bat.fileOffset, length: Math.max(8, batBytes) },
      ...extra,
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hvbc-vhdx-fuzz-'));
  const pattern = (n: number, seed: number): Buffer =>
    Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
  const base = path.join(dir, 'base.vhdx');
  const f = await createVhdx(base, { virtualSize: 8 * MiB, type: 'dynamic', blockSize: MiB });
  await f.write(0, pattern(MiB + 4096, 1));
  await f.write(5 * MiB, pattern(4096, 2));
  await f.close();
  const child = path.join(dir, 'child.avhdx');
  const c = await createDifferencing(child, base, { blockSize: MiB });
  await c.write(512, pattern(1024, 3));
  await c.write(3 * MiB, pattern(MiB, 4));
  await c.close();
  const ci = await VhdxImage.open(child);
  const sbIdx = ci.g.chunkRatio; // the first sector-bitmap entry
  const sb = ci.batEntry(sbIdx).offset;
  await ci.close();
  // a dynamic file with a pending log: crash right after the log entry is durable
  const dirty = path.join(dir, 'dirty.vhdx');
  const d = await createVhdx(dirty, { virtualSize: 8 * MiB, type: 'dynamic', blockSize: MiB });
  await d.write(2 * MiB, pattern(8192, 5));
  armCrash('flush:after-log-write');
  try {
    await d.flush();
  } catch (e) {
    if (!isSimulatedCrash(e)) throw e;
  } finally {
    disarmCrash();
    await (d as VhdxImage).abandon();
  }
  targets.base = await describeFile(base);
  targets.child = await describeFile(child, { sb: { start: sb, length: 512 } });
  targets.dirty = await describeFile(dirty, { log: { start: MiB, length: 8192, crcAt: 4 } });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const u32s = fc.oneof(
  fc.constantFrom(
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    0xff,
    512,
    4096,
    0x8000,
    0x10000,
    MiB,
    2 * MiB,
    0x7fffffff,
    0x80000000,
    0xfff00000,
    0xffffffff,
  ),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const edit = fc.record({
  // mostly the meaningful first bytes of a structure (fields, first entries), sometimes anywhere
  at: fc.oneof({ weight: 3, arbitrary: fc.nat(127) }, { weight: 1, arbitrary: fc.nat() }),
  kind: fc.constantFrom('byte' as const, 'u32' as const, 'u64' as const, 'fill' as const),
  lo: u32s,
  hi: fc.oneof(
    fc.constantFrom(0, 0, 0, 1, 0x100, 0xffffffff),
    fc.integer({ min: 0, max: 0xffffffff }),
  ),
  len: fc.integer({ min: 1, max: 64 }),
});
const mutation = fc.record({
  file: fc.constantFrom('base', 'child', 'dirty'),
  struct: fc.constantFrom(
    'hdr1',
    'hdr2',
    'rt1',
    'rt2',
    'metaTable',
    'metaItems',
    'metaItems',
    'bat',
    'bat',
    'bat',
    'sb',
    'log',
    'fileid',
  ),
  edits: fc.array(edit, { minLength: 1, maxLength: 4 }),
  fixCrc: fc.boolean(),
});

async function exercise(file: string, isChild: boolean): Promise<void> {
  const f = await openVhdx(file, { replayLog: 'in-memory' });
  try {
    const info = f.info;
    expect(info.virtualSize).toBeGreaterThan(0);
    f.blockSummary();
    const ex = await f.extents();
    expect(ex.reduce((s, e) => s + e.length, 0)).toBe(info.virtualSize);
    const n = Math.min(info.virtualSize, 64 * 1024);
    await f.read(0, n);
    await f.read(info.virtualSize - n, n);
    await f.read(
      Math.floor(info.virtualSize / 2 / 512) * 512,
      Math.min(n, info.virtualSize - Math.floor(info.virtualSize / 2 / 512) * 512),
    );
  } finally {
    await f.close();
  }
  if (isChild) {
    const c = await openChain(file, { replayLog: 'in-memory' });
    try {
      await c.read(0, 4096);
      await c.extents();
    } finally {
      await c.close();
    }
  }
}

describe('fuzzing the parsers through whole files', () => {
  it('3000 mutations: every failure is a typed HvbcError, checkVhdx always reports', async () => {
    const t0 = performance.now();
    let runs = 0;
    let opened = 0;
    const codes = new Map<string, number>();
    const handles = new Map<string, FileHandle>();
    for (const t of Object.values(targets)) handles.set(t.file, await open(t.file, 'r+'));
    try {
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const t = targets[m.file] as Target;
          const s = t.structs[m.struct] ?? t.structs.bat!;
          const buf = Buffer.from(t.bytes.subarray(s.start, s.start + s.length));
          for (const e of m.edits) {
            if (e.kind === 'byte') buf[e.at % buf.length] = e.lo & 0xff;
            else if (e.kind === 'fill')
              buf.fill(
                e.lo & 0xff,
                e.at % buf.length,
                Math.min(buf.length, (e.at % buf.length) + e.len),
              );
            else if (e.kind === 'u32' && buf.length >= 4)
              buf.writeUInt32LE(e.lo >>> 0, Math.floor((e.at % (buf.length - 3)) / 4) * 4);
            else if (buf.length >= 8) {
              const o = Math.floor((e.at % (buf.length - 7)) / 8) * 8;
              buf.writeUInt32LE(e.lo >>> 0, o);
              buf.writeUInt32LE(e.hi >>> 0, o + 4);
            }
          }
          if (m.fixCrc && s.crcAt !== undefined) {
            // recompute the checksum so the mutation reaches the semantic checks
            const whole =
              m.struct === 'log'
                ? buf.subarray(0, Math.min(buf.length, buf.readUInt32LE(8) || buf.length))
                : buf;
            if (whole.length >= 8 && whole.length % 4096 === 0)
              whole.writeUInt32LE(crc32cWithZeroedField(whole, s.crcAt), s.crcAt);
          }
          const fh = handles.get(t.file) as FileHandle;
          await fh.write(buf, 0, buf.length, s.start);
          runs++;
          try {
            try {
              await exercise(t.file, m.file === 'child');
              opened++;
            } catch (e) {
              if (!(e instanceof HvbcError) || !ALLOWED.has(e.code)) throw e;
              codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
              expect(e.message.length).toBeGreaterThan(20);
            }
            if (runs % 12 === 0) {
              const r = await checkVhdx(t.file);
              expect(typeof r.ok).toBe('boolean');
            }
          } finally {
            await fh.write(t.bytes, s.start, s.length, s.start);
          }
        }),
        { numRuns: 3000 },
      );
    } finally {
      for (const h of handles.values()) await h.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(runs).toBe(3000);
    // both outcomes must occur, or the fuzzer is not reaching the parsers
    expect(opened).toBeGreaterThan(100);
    expect(codes.get('VHDX_CORRUPT') ?? 0).toBeGreaterThan(100);
    expect(seconds).toBeLessThan(25);
  }, 60_000);

  it('truncated files fail with VHDX_CORRUPT naming the file', async () => {
    const t = targets.base as Target;
    const p = path.join(dir, 'trunc.vhdx');
    for (const size of [
      0,
      7,
      4096,
      65536 + 100,
      200 * 1024,
      MiB - 1,
      MiB,
      3 * MiB + 5,
      t.bytes.length - MiB,
    ]) {
      const fh = await open(p, 'w');
      await fh.write(t.bytes, 0, size, 0);
      await fh.close();
      const err = await openVhdx(p).then(
        async (f) => {
          await f.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err, `size ${size}`).toBeInstanceOf(HvbcError);
      expect((err as HvbcError).code).toBe('VHDX_CORRUPT');
      expect((err as HvbcError).message).toContain(p);
      const r = await checkVhdx(p);
      expect(r.ok).toBe(false);
    }
  });
});
