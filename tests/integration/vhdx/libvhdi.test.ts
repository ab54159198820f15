// libvhdi (pyvhdi, vhdiinfo) as the oracle for differencing chains written here, 3+ deep, 512 and 4096-byte sectors.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import {
  createDifferencing,
  createVhdx,
  openChain,
  openVhdx,
  type VhdxFile,
} from '../../../electron/services/vhdx/index';
import {
  chainSha,
  MiB,
  prng,
  pyvhdiSha,
  requirePyvhdi,
  requireTool,
  sha256,
  tempDir,
} from './helpers';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  requirePyvhdi();
  requireTool('vhdiinfo');
  ({ dir, cleanup } = await tempDir('libvhdi'));
});
afterAll(async () => {
  await cleanup?.();
});

async function put(f: VhdxFile, model: Buffer, offset: number, data: Buffer): Promise<void> {
  await f.write(offset, data);
  data.copy(model, offset);
}

interface ChainSpec {
  name: string;
  size: number;
  lss: 512 | 4096;
  base: 'fixed' | 'dynamic';
  baseBlock: number;
  childBlocks: number[];
}

const specs: ChainSpec[] = [
  {
    name: '4-deep, 512-byte sectors, dynamic base 1 MiB blocks, children 2/1/4 MiB',
    size: 64 * MiB,
    lss: 512,
    base: 'dynamic',
    baseBlock: MiB,
    childBlocks: [2 * MiB, MiB, 4 * MiB],
  },
  {
    name: '4-deep, 4096-byte sectors, fixed base 2 MiB blocks, children 1/2/1 MiB',
    size: 48 * MiB,
    lss: 4096,
    base: 'fixed',
    baseBlock: 2 * MiB,
    childBlocks: [MiB, 2 * MiB, MiB],
  },
  {
    name: '5-deep, 512-byte sectors, dynamic base 32 MiB blocks, Hyper-V default 2 MiB children',
    size: 96 * MiB + 512,
    lss: 512,
    base: 'dynamic',
    baseBlock: 32 * MiB,
    childBlocks: [2 * MiB, 2 * MiB, 2 * MiB, 2 * MiB],
  },
];

describe('differencing chains written here read identically through libvhdi', () => {
  for (const spec of specs) {
    it(spec.name, async () => {
      const sub = path.join(dir, spec.name.replace(/[^a-z0-9]+/gi, '_'));
      spawnSync('mkdir', ['-p', sub]);
      const model = Buffer.alloc(spec.size);
      const s = spec.lss;
      const files: string[] = [];
      const base = path.join(sub, 'base.vhdx');
      const b = await createVhdx(base, {
        virtualSize: spec.size,
        type: spec.base,
        blockSize: spec.baseBlock,
        logicalSectorSize: spec.lss,
      });
      await put(b, model, 0, prng(1, 5 * MiB));
      await put(b, model, 30 * MiB, Buffer.alloc(3 * MiB, 0x11));
      await b.close();
      files.push(base);
      for (let i = 0; i < spec.childBlocks.length; i++) {
        const p = path.join(sub, `child${i + 1}.avhdx`);
        const c = await createDifferencing(p, files[files.length - 1] as string, {
          blockSize: spec.childBlocks[i] as number,
        });
        // unaligned, sub-block, cross-block and whole-block writes, overlapping the levels below
        await put(c, model, s * (3 + i), prng(10 + i, s * (2 + i)));
        await put(c, model, 2 * MiB - s * 4, prng(20 + i, s * 9));
        await put(c, model, (31 + i) * MiB + s, prng(30 + i, 700 * s));
        await put(c, model, (8 + 4 * i) * MiB, prng(40 + i, 4 * MiB));
        await put(c, model, spec.size - s, prng(50 + i, s));
        await put(c, model, 40 * MiB + i * s * 16, Buffer.alloc(s * 8)); // zeros over the parent's data
        await c.close();
        files.push(p);
        // every intermediate chain agrees as well
        const leafFirst = [...files].reverse();
        const want = sha256(model);
        expect(pyvhdiSha(leafFirst), `libvhdi, chain of ${files.length}`).toBe(want);
        const ch = await openChain(p);
        expect(ch.files.length).toBe(files.length);
        expect(await chainSha(ch), `ours, chain of ${files.length}`).toBe(want);
        await ch.close();
      }
      await writeFile(path.join(sub, 'expected.raw'), model);
    });
  }

  it('vhdiinfo sees our differencing file: type, identifier = DataWriteGuid, parent identifier = linkage, parent file name', async () => {
    const base = path.join(dir, 'info-base.vhdx');
    const child = path.join(dir, 'info-child.avhdx');
    await (await createVhdx(base, { virtualSize: 16 * MiB, type: 'dynamic' })).close();
    const c = await createDifferencing(child, base);
    const info = c.info;
    await c.close();
    const r = spawnSync('vhdiinfo', [child], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Disk type\s*:\s*Differential/);
    expect(r.stdout).toMatch(new RegExp(`Identifier\\s*:\\s*${info.dataWriteGuid}`));
    expect(r.stdout).toMatch(new RegExp(`Parent identifier\\s*:\\s*${info.parent?.linkage}`));
    expect(r.stdout).toContain('info-base.vhdx');
    expect(info.parent?.relativePath).toBe('.\\info-base.vhdx');
    expect(info.parent?.absoluteWin32Path?.endsWith('\\info-base.vhdx')).toBe(true);
  });

  it('after the parent is written to, libvhdi and we both refuse the stale child (linkage check)', async () => {
    const base = path.join(dir, 'stale-base.vhdx');
    const child = path.join(dir, 'stale-child.avhdx');
    await (
      await createVhdx(base, { virtualSize: 16 * MiB, type: 'dynamic', blockSize: MiB })
    ).close();
    await (await createDifferencing(child, base)).close();
    const w = await openVhdx(base, { writable: true });
    await w.write(0, Buffer.alloc(4096, 1));
    await w.close();
    expect(() => pyvhdiSha([child, base])).toThrow(/mismatch in identifier/);
    const e = await openChain(child).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(HvbcError);
    expect((e as HvbcError).code).toBe('CHAIN_BROKEN');
    expect((e as HvbcError).message).toContain(base);
    expect((e as HvbcError).message).toContain(child);
  });
});
