// checkVhdx: what it finds (headers, region tables, log, BAT overlaps and ranges, bitmaps), what it repairs safely, and the report text.
import { spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { crc32cWithZeroedField } from '../../../electron/services/vhdx/crc32c';
import { armCrash, disarmCrash, isSimulatedCrash } from '../../../electron/services/vhdx/faults';
import { VhdxImage } from '../../../electron/services/vhdx/file';
import {
  checkVhdx,
  createDifferencing,
  createVhdx,
  formatCheckReport,
  openChain,
  openVhdx,
} from '../../../electron/services/vhdx/index';
import { MiB, prng, requireTool, sha256, tempDir } from './helpers';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  requireTool('qemu-img');
  ({ dir, cleanup } = await tempDir('check'));
});
afterAll(async () => {
  await cleanup?.();
});

async function sample(): Promise<{ p: string; content: string }> {
  const p = path.join(dir, `s${n++}.vhdx`);
  const f = await createVhdx(p, { virtualSize: 16 * MiB, type: 'dynamic', blockSize: MiB });
  await f.write(0, prng(1, 3 * MiB));
  await f.write(9 * MiB, prng(2, 4096));
  await f.close();
  const c = await openChain(p);
  const content = sha256(await c.read(0, 16 * MiB));
  await c.close();
  return { p, content };
}

async function poke(p: string, pos: number, bytes: Buffer): Promise<void> {
  const fh = await open(p, 'r+');
  await fh.write(bytes, 0, bytes.length, pos);
  await fh.close();
}

async function contentOf(p: string): Promise<string> {
  const c = await openChain(p);
  try {
    return sha256(await c.read(0, c.virtualSize));
  } finally {
    await c.close();
  }
}

const codes = (r: { issues: Array<{ code: string }> }): string[] => r.issues.map((i) => i.code);

describe('checkVhdx', () => {
  it('reports a clean file as OK with its info', async () => {
    const { p } = await sample();
    const r = await checkVhdx(p);
    expect(r).toMatchObject({ path: p, ok: true, issues: [] });
    expect(r.info?.kind).toBe('dynamic');
    expect(formatCheckReport(r)).toMatch(/OK — 0 error\(s\), 0 warning\(s\)/);
  });

  it('finds a damaged header copy and repairs it from the current one', async () => {
    const { p, content } = await sample();
    await poke(p, 64 * 1024 + 100, Buffer.from([0xde, 0xad]));
    const r = await checkVhdx(p);
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'HEADER_INVALID', severity: 'error', repairable: true }),
    ]);
    expect(formatCheckReport(r)).toMatch(
      /ERROR\s+\[HEADER_INVALID\].*repairable: run again with --repair/,
    );
    const fixed = await checkVhdx(p, { repair: true });
    expect(fixed.ok).toBe(true);
    expect(fixed.issues).toEqual([
      expect.objectContaining({ code: 'HEADER_INVALID', repaired: true }),
    ]);
    expect(formatCheckReport(fixed)).toMatch(/REPAIRED \[HEADER_INVALID\]/);
    expect((await checkVhdx(p)).issues).toEqual([]);
    expect(await contentOf(p)).toBe(content);
  });

  it('finds a bad region table 1 (qemu refuses the file) and rewrites it from table 2', async () => {
    const { p, content } = await sample();
    await poke(p, 192 * 1024 + 40, Buffer.from([1, 2, 3]));
    expect(spawnSync('qemu-img', ['check', p]).status).not.toBe(0);
    expect(await contentOf(p)).toBe(content); // we fall back to the identical copy
    const r = await checkVhdx(p);
    expect(codes(r)).toEqual(['REGION_TABLE_INVALID']);
    expect((await checkVhdx(p, { repair: true })).ok).toBe(true);
    expect(spawnSync('qemu-img', ['check', p]).status).toBe(0);
    expect(await contentOf(p)).toBe(content);
  });

  it('finds a bad region table 2 and rewrites it from table 1', async () => {
    const { p } = await sample();
    await poke(p, 256 * 1024 + 4, Buffer.from([0, 0, 0, 0]));
    expect(codes(await checkVhdx(p))).toEqual(['REGION_TABLE_INVALID']);
    expect((await checkVhdx(p, { repair: true })).ok).toBe(true);
    expect((await checkVhdx(p)).issues).toEqual([]);
  });

  it('finds a pending log and replays it on --repair', async () => {
    const { p } = await sample();
    const f = await openVhdx(p, { writable: true });
    await f.write(12 * MiB, Buffer.alloc(MiB, 0x7e));
    armCrash('flush:after-log-write');
    try {
      await f.close();
    } catch (e) {
      if (!isSimulatedCrash(e)) throw e;
    } finally {
      disarmCrash();
      await (f as VhdxImage).abandon();
    }
    const r = await checkVhdx(p);
    expect(codes(r)).toEqual(['LOG_PENDING']);
    expect(r.info?.logPending).toBe(true);
    const fixed = await checkVhdx(p, { repair: true });
    expect(fixed.ok).toBe(true);
    expect(fixed.info?.logPending).toBe(false);
    const g = await openVhdx(p);
    expect((await g.read(12 * MiB, MiB)).every((b) => b === 0x7e)).toBe(true);
    await g.close();
    expect(spawnSync('qemu-img', ['check', p]).status).toBe(0);
  });

  it('refuses a log that writes outside the area a log may change (here: the headers)', async () => {
    const { p } = await sample();
    const f = await openVhdx(p, { writable: true });
    await f.write(12 * MiB, Buffer.alloc(MiB, 0x7e));
    armCrash('flush:after-log-write');
    try {
      await f.close();
    } catch (e) {
      if (!isSimulatedCrash(e)) throw e;
    } finally {
      disarmCrash();
      await (f as VhdxImage).abandon();
    }
    const img = await VhdxImage.open(p, { replayLog: 'in-memory' });
    const logOffset = img.header.logOffset;
    await img.close();
    const fh = await open(p, 'r+');
    const entry = Buffer.alloc(8192);
    await fh.read(entry, 0, entry.length, logOffset);
    const len = entry.readUInt32LE(8);
    const whole = Buffer.alloc(len);
    await fh.read(whole, 0, len, logOffset);
    whole.writeBigUInt64LE(64n * 1024n, 64 + 16); // first descriptor -> header 1
    whole.writeUInt32LE(crc32cWithZeroedField(whole, 4), 4);
    await fh.write(whole, 0, len, logOffset);
    await fh.close();
    for (const opts of [{ replayLog: 'in-memory' as const }, { writable: true }]) {
      const e = await openVhdx(p, opts).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect((e as HvbcError).code).toBe('VHDX_CORRUPT');
      expect((e as HvbcError).message).toMatch(/outside the file area a log may change/);
    }
  });

  it('finds overlapping blocks, blocks inside the metadata region, and reports them as not repairable', async () => {
    const { p } = await sample();
    const img = await VhdxImage.open(p);
    const batOff = img.regions.bat.fileOffset;
    const b0 = img.batEntry(0);
    const md = img.regions.metadata.fileOffset;
    await img.close();
    const dup = Buffer.alloc(8);
    dup.writeUInt32LE((b0.offset % 2 ** 32) | 6, 0);
    await poke(p, batOff + 8 * 5, dup); // block 5 -> block 0's space
    const inMeta = Buffer.alloc(8);
    inMeta.writeUInt32LE(md | 6, 0);
    await poke(p, batOff + 8 * 6, inMeta); // block 6 -> the metadata region
    const r = await checkVhdx(p, { repair: true });
    expect(r.ok).toBe(false);
    expect(codes(r)).toEqual(expect.arrayContaining(['BAT_OVERLAP', 'BAT_OVERLAPS_REGION']));
    expect(r.issues.every((i) => !i.repairable && !i.repaired)).toBe(true);
    expect(formatCheckReport(r)).toMatch(/cannot be repaired safely/);
  });

  it('finds blocks past the end of the file; opening then fails with VHDX_CORRUPT naming the file and the fix', async () => {
    const { p } = await sample();
    const img = await VhdxImage.open(p);
    const batOff = img.regions.bat.fileOffset;
    await img.close();
    const far = Buffer.alloc(8);
    far.writeUInt32LE(6, 0);
    far.writeUInt32LE(1, 4); // 4 GiB
    await poke(p, batOff + 8 * 3, far);
    expect(codes(await checkVhdx(p))).toContain('BAT_PAST_EOF');
    const e = await openVhdx(p).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as HvbcError).code).toBe('VHDX_CORRUPT');
    expect((e as HvbcError).message).toContain(p);
    expect((e as HvbcError).message).toContain('hvbc vhdx check');
  });

  it('finds reserved states, reserved bits, and a partially present block without a sector bitmap', async () => {
    const base = path.join(dir, 'pp-base.vhdx');
    const child = path.join(dir, 'pp-child.avhdx');
    await (
      await createVhdx(base, { virtualSize: 8 * MiB, type: 'dynamic', blockSize: MiB })
    ).close();
    const c = await createDifferencing(child, base, { blockSize: MiB });
    await c.write(4096, prng(3, 4096));
    await c.close();
    const img = await VhdxImage.open(child);
    const batOff = img.regions.bat.fileOffset;
    const sbIndex = img.g.chunkRatio;
    await img.close();
    await poke(child, batOff + 8 * sbIndex, Buffer.alloc(8)); // drop the sector bitmap
    const st = Buffer.alloc(8);
    st.writeUInt32LE(4 | 0x100, 0); // reserved state 4 and a reserved bit
    await poke(child, batOff + 8 * 2, st);
    const r = await checkVhdx(child);
    expect(codes(r)).toEqual(
      expect.arrayContaining(['SB_MISSING', 'BAT_STATE_INVALID', 'BAT_RESERVED_BITS']),
    );
    expect(r.ok).toBe(false);
  });

  it('warns about a missing parent without failing the structural check', async () => {
    const base = path.join(dir, 'gone-base.vhdx');
    const child = path.join(dir, 'gone-child.avhdx');
    await (await createVhdx(base, { virtualSize: 8 * MiB, type: 'dynamic' })).close();
    await (await createDifferencing(child, base)).close();
    await (await import('node:fs/promises')).rm(base);
    const r = await checkVhdx(child);
    expect(r.ok).toBe(true);
    expect(r.issues).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'PARENT_MISSING' }),
    ]);
  });

  it('says so plainly for a file that is not a VHDX, and NOT_FOUND for a missing one', async () => {
    const p = path.join(dir, 'not.vhdx');
    await (await import('node:fs/promises')).writeFile(p, Buffer.alloc(2 * MiB, 0x41));
    const r = await checkVhdx(p);
    expect(codes(r)).toEqual(['NOT_VHDX']);
    expect(r.ok).toBe(false);
    const e = await checkVhdx(path.join(dir, 'missing.vhdx')).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as HvbcError).code).toBe('NOT_FOUND');
  });
});
