// Merge (child into parent, then delete) and flatten, including simulated crashes at every step of the merge commit.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { armCrash, disarmCrash, isSimulatedCrash } from '../../../electron/services/vhdx/faults';
import { mergeJournalPath } from '../../../electron/services/vhdx/merge';
import {
  checkVhdx,
  createDifferencing,
  createVhdx,
  flattenChain,
  mergeIntoParent,
  openChain,
  openVhdx,
  type VhdxFile,
} from '../../../electron/services/vhdx/index';
import { MiB, prng, pyvhdiSha, requirePyvhdi, requireTool, sha256, tempDir } from './helpers';

let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  requireTool('qemu-img');
  requirePyvhdi();
  ({ dir, cleanup } = await tempDir('merge'));
});
afterAll(async () => {
  await cleanup?.();
});

async function put(f: VhdxFile, model: Buffer, offset: number, data: Buffer): Promise<void> {
  await f.write(offset, data);
  data.copy(model, offset);
}

interface Built {
  sub: string;
  base: string;
  c1: string;
  c2: string;
  m0: Buffer; // base content
  m1: Buffer; // chain c1 -> base
  m2: Buffer; // chain c2 -> c1 -> base
}

const SIZE = 24 * MiB;

const templates = new Map<string, Built>();

/** A fresh copy of the template chain (copying is much cheaper than writing it again with all its fsyncs). */
async function build(baseType: 'dynamic' | 'fixed' = 'dynamic'): Promise<Built> {
  let t = templates.get(baseType);
  if (!t) {
    t = await make(baseType);
    templates.set(baseType, t);
  }
  const sub = path.join(dir, `t${n++}`);
  await mkdir(sub);
  for (const f of ['base.vhdx', 'c1.avhdx', 'c2.avhdx'])
    await copyFile(path.join(t.sub, f), path.join(sub, f));
  return {
    ...t,
    sub,
    base: path.join(sub, 'base.vhdx'),
    c1: path.join(sub, 'c1.avhdx'),
    c2: path.join(sub, 'c2.avhdx'),
  };
}

/** base (dynamic or fixed, 1 MiB blocks) <- c1 (2 MiB blocks) <- c2 (1 MiB blocks), each with overlapping writes. */
async function make(baseType: 'dynamic' | 'fixed'): Promise<Built> {
  const sub = path.join(dir, `template-${baseType}`);
  await mkdir(sub);
  const base = path.join(sub, 'base.vhdx');
  const c1 = path.join(sub, 'c1.avhdx');
  const c2 = path.join(sub, 'c2.avhdx');
  const m = Buffer.alloc(SIZE);
  const b = await createVhdx(base, { virtualSize: SIZE, type: baseType, blockSize: MiB });
  await put(b, m, 0, prng(1, 6 * MiB));
  await put(b, m, 12 * MiB, Buffer.alloc(2 * MiB, 0x33));
  await b.close();
  const m0 = Buffer.from(m);
  const f1 = await createDifferencing(c1, base, { blockSize: 2 * MiB });
  await put(f1, m, 512, prng(2, 1536));
  await put(f1, m, 5 * MiB - 4096, prng(3, 3 * MiB));
  await put(f1, m, 13 * MiB, Buffer.alloc(4096)); // zeros over base data
  await put(f1, m, 20 * MiB, prng(4, 2 * MiB)); // whole block
  await f1.close();
  const m1 = Buffer.from(m);
  const f2 = await createDifferencing(c2, c1, { blockSize: MiB });
  await put(f2, m, 1024, prng(5, 8192));
  await put(f2, m, 6 * MiB + 512, prng(6, 70 * 512));
  await put(f2, m, 20 * MiB + 100 * 512, prng(7, 512));
  await put(f2, m, 16 * MiB, prng(8, MiB)); // a block new to the chain
  await f2.close();
  return { sub, base, c1, c2, m0, m1, m2: Buffer.from(m) };
}

async function chainContent(leaf: string): Promise<Buffer> {
  const c = await openChain(leaf, { replayLog: 'in-memory' });
  try {
    return await c.read(0, c.virtualSize);
  } finally {
    await c.close();
  }
}

describe('mergeIntoParent', () => {
  it('merges a child into a differencing parent: the parent then reads as the child did, the child is gone', async () => {
    const t = await build();
    const baseSha = sha256(await chainContent(t.base));
    const r = await mergeIntoParent(t.c2);
    expect(r.parentPath).toBe(t.c1);
    expect(r.bytesMerged).toBeGreaterThan(MiB);
    expect(existsSync(t.c2)).toBe(false);
    expect(existsSync(mergeJournalPath(t.c2))).toBe(false);
    expect((await chainContent(t.c1)).equals(t.m2)).toBe(true);
    expect(pyvhdiSha([t.c1, t.base])).toBe(sha256(t.m2));
    expect(sha256(await chainContent(t.base))).toBe(baseSha);
    expect((await checkVhdx(t.c1)).ok).toBe(true);
  });

  for (const baseType of ['dynamic', 'fixed'] as const) {
    it(`merges a child into a ${baseType} base: qemu-img check passes and compare matches`, async () => {
      const t = await build(baseType);
      await mergeIntoParent(t.c2);
      const r = await mergeIntoParent(t.c1);
      expect(r.parentPath).toBe(t.base);
      const f = await openVhdx(t.base);
      expect(f.info.kind).toBe(baseType);
      await f.close();
      expect((await chainContent(t.base)).equals(t.m2)).toBe(true);
      await writeFile(`${t.base}.raw`, t.m2);
      const chk = spawnSync('qemu-img', ['check', t.base], { encoding: 'utf8' });
      expect(chk.status, chk.stdout + chk.stderr).toBe(0);
      expect(
        spawnSync('qemu-img', ['compare', '-f', 'vhdx', '-F', 'raw', t.base, `${t.base}.raw`])
          .status,
      ).toBe(0);
      expect(readdirSync(t.sub).sort()).toEqual(['base.vhdx', 'base.vhdx.raw']);
    });
  }

  it('gives the parent a new DataWriteGuid, so other children of that parent report CHAIN_BROKEN', async () => {
    const t = await build();
    const sibling = path.join(t.sub, 'sibling.avhdx');
    await (await createDifferencing(sibling, t.c1)).close();
    await mergeIntoParent(t.c2);
    const e = await openChain(sibling).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as HvbcError).code).toBe('CHAIN_BROKEN');
    expect((e as HvbcError).message).toContain(t.c1);
  });

  it('refuses a disk without a parent', async () => {
    const t = await build();
    const e = await mergeIntoParent(t.base).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as HvbcError).code).toBe('VALIDATION');
    expect((e as HvbcError).message).toContain(t.base);
  });

  // Where a crash can happen, and which parent content it must leave: old (before the commit's log
  // entry is durable) or new (after it).
  const points: Array<[string, number, 'old' | 'new']> = [
    ['merge:after-journal', 0, 'old'],
    ['header:after-first-copy', 0, 'old'], // beginAtomic's FileWriteGuid update
    ['merge:before-commit', 0, 'old'],
    ['commit:after-bat-copy', 0, 'old'],
    ['header:after-first-copy', 1, 'old'], // the commit's DataWriteGuid update, half written
    ['commit:after-header', 0, 'old'],
    ['flush:after-log-write', 0, 'new'],
    ['flush:after-apply', 0, 'new'],
    ['commit:after-apply', 0, 'new'],
    ['header:after-first-copy', 2, 'new'], // clearing LogGuid, half written
    ['merge:before-delete', 0, 'new'],
  ];
  for (const [point, skip, expected] of points) {
    it(`crash at ${point}${skip ? ` (#${skip + 1})` : ''}: the parent reads ${expected} content or the chain reports a clear error; rerunning the merge finishes it`, async () => {
      const t = await build();
      armCrash(point, skip);
      try {
        await mergeIntoParent(t.c2);
        throw new Error('expected a simulated crash');
      } catch (e) {
        if (!isSimulatedCrash(e)) throw e;
      } finally {
        disarmCrash();
      }
      // the parent (with its own parent) opens and holds exactly the old or the new content
      const parentView = await chainContent(t.c1);
      expect(
        parentView.equals(expected === 'old' ? t.m1 : t.m2),
        `parent content should be ${expected}`,
      ).toBe(true);
      // the child either still reads as before, or the failure is a typed error that says what to do
      await openChain(t.c2, { replayLog: 'in-memory' }).then(
        async (c) => {
          expect((await c.read(0, SIZE)).equals(t.m2)).toBe(true);
          await c.close();
        },
        (e: unknown) => {
          expect(e).toBeInstanceOf(HvbcError);
          expect((e as HvbcError).code).toBe('CHAIN_BROKEN');
          expect((e as HvbcError).message).toContain('hvbc vhdx merge');
        },
      );
      expect((await chainContent(t.base)).equals(t.m0)).toBe(true);
      // rerun
      const r = await mergeIntoParent(t.c2);
      expect(r.parentPath).toBe(t.c1);
      expect(existsSync(t.c2)).toBe(false);
      expect(existsSync(mergeJournalPath(t.c2))).toBe(false);
      expect((await chainContent(t.c1)).equals(t.m2)).toBe(true);
      expect(pyvhdiSha([t.c1, t.base])).toBe(sha256(t.m2));
      const rep = await checkVhdx(t.c1);
      expect(rep.issues.filter((i) => i.severity === 'error')).toEqual([]);
    });
  }
});

describe('flattenChain', () => {
  for (const type of ['dynamic', 'fixed'] as const) {
    it(`writes the merged chain to a new ${type} file that qemu checks and compares equal`, async () => {
      const t = await build();
      const out = path.join(t.sub, `flat-${type}.vhdx`);
      const info = await flattenChain(t.c2, out, { type });
      expect(info).toMatchObject({ path: out, kind: type, virtualSize: SIZE });
      expect((await chainContent(out)).equals(t.m2)).toBe(true);
      await writeFile(`${out}.raw`, t.m2);
      expect(spawnSync('qemu-img', ['check', out]).status).toBe(0);
      expect(
        spawnSync('qemu-img', ['compare', '-f', 'vhdx', '-F', 'raw', out, `${out}.raw`]).status,
      ).toBe(0);
      // the chain itself is untouched
      expect((await chainContent(t.c2)).equals(t.m2)).toBe(true);
      if (type === 'dynamic') expect(info.allocatedBytes).toBeLessThan(SIZE);
    });
  }

  it('refuses to overwrite an existing file', async () => {
    const t = await build();
    const e = await flattenChain(t.c2, t.base).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as HvbcError).code).toBe('VALIDATION');
    expect((e as HvbcError).message).toContain('already exists');
  });

  it('a crash before the final rename leaves no output file (only a .partial- file)', async () => {
    const t = await build();
    const out = path.join(t.sub, 'flat-crash.vhdx');
    armCrash('flatten:before-rename');
    try {
      await flattenChain(t.c2, out);
      throw new Error('expected a simulated crash');
    } catch (e) {
      if (!isSimulatedCrash(e)) throw e;
    } finally {
      disarmCrash();
    }
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(t.sub).some((f) => f.startsWith('.flat-crash.vhdx.partial-'))).toBe(true);
  });
});
