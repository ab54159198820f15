// `hvbc vhdx …` through vhdxCommand: every subcommand, --json, --help, sizes, bad input and exit codes.
import { copyFile, open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSize, vhdxCommand } from '../../../electron/cli/commands/vhdx';
import { openVhdx } from '../../../electron/services/vhdx/index';
import { MiB, prng, tempDir } from './helpers';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('cli'));
});
afterAll(async () => {
  await cleanup?.();
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await vhdxCommand(argv, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('parseSize', () => {
  it('accepts K/M/G/T suffixes (binary) and plain bytes', () => {
    expect(parseSize('10G')).toBe(10 * 1024 ** 3);
    expect(parseSize('512m')).toBe(512 * MiB);
    expect(parseSize('1.5T')).toBe(1.5 * 1024 ** 4);
    expect(parseSize('64KiB')).toBe(65536);
    expect(parseSize('4096')).toBe(4096);
    for (const bad of ['', 'ten', '10Q', '-1G', '0', '1.3'])
      expect(() => parseSize(bad), bad).toThrow(/size|whole/);
  });
});

describe('vhdxCommand', () => {
  const disk = (): string => path.join(dir, 'a.vhdx');

  it('--help and no arguments', async () => {
    const h = await cli('--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/Usage: hvbc vhdx <command>/);
    for (const c of ['info', 'map', 'chain', 'check', 'merge', 'flatten', 'create', 'diff'])
      expect(h.out).toContain(c);
    const none = await cli();
    expect(none.code).toBe(2);
    const sub = await cli('check', '--help');
    expect(sub.code).toBe(0);
    expect(sub.out).toMatch(/--repair/);
  });

  it('create (dynamic and fixed), info, map, check', async () => {
    const c = await cli('create', disk(), '--size', '64M', '--block-size', '1M');
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/Created .*a\.vhdx: dynamic, 64\.0 MiB virtual, 1\.00 MiB blocks/);
    const f = await openVhdx(disk(), { writable: true });
    await f.write(2 * MiB, prng(1, MiB));
    await f.close();
    const fx = await cli(
      'create',
      path.join(dir, 'fixed.vhdx'),
      '--size',
      '8M',
      '--fixed',
      '--json',
    );
    expect(fx.code).toBe(0);
    expect(JSON.parse(fx.out)).toMatchObject({ kind: 'fixed', virtualSize: 8 * MiB });

    const i = await cli('info', disk());
    expect(i.code).toBe(0);
    expect(i.out).toMatch(/Type:\s+dynamic/);
    expect(i.out).toMatch(/Virtual size:\s+64\.0 MiB \(67108864 bytes\)/);
    const ij = JSON.parse((await cli('info', disk(), '--json')).out) as {
      kind: string;
      blocks: Record<string, number>;
    };
    expect(ij.kind).toBe('dynamic');
    expect(ij.blocks['fully-present']).toBe(1);

    const m = JSON.parse((await cli('map', disk(), '--json')).out) as { extents: unknown[] };
    expect(m.extents).toEqual([
      { offset: 0, length: 2 * MiB, kind: 'zero' },
      { offset: 2 * MiB, length: MiB, kind: 'data' },
      { offset: 3 * MiB, length: 61 * MiB, kind: 'zero' },
    ]);
    expect((await cli('map', disk())).out).toMatch(/data 1\.00 MiB, zero 63\.0 MiB/);

    const ck = await cli('check', disk());
    expect(ck.code).toBe(0);
    expect(ck.out).toMatch(/OK/);
    expect(JSON.parse((await cli('check', disk(), '--json')).out)).toMatchObject({
      ok: true,
      issues: [],
    });
  });

  it('create --parent, chain, map --chain, diff, merge, flatten', async () => {
    const base = path.join(dir, 'base.vhdx');
    const child = path.join(dir, 'child.avhdx');
    expect((await cli('create', base, '--size', '16M', '--block-size', '1M')).code).toBe(0);
    const cc = await cli('create', child, '--parent', base, '--json');
    expect(cc.code, cc.err).toBe(0);
    expect(JSON.parse(cc.out)).toMatchObject({
      kind: 'differencing',
      virtualSize: 16 * MiB,
      parent: { relativePath: '.\\base.vhdx' },
    });
    const f = await openVhdx(child, { writable: true });
    await f.write(MiB, Buffer.alloc(4096, 9));
    await f.close();

    const ch = await cli('chain', child);
    expect(ch.code).toBe(0);
    expect(ch.out.split('\n')).toHaveLength(2);
    expect(ch.out).toContain('└─ ');
    const chj = JSON.parse((await cli('chain', child, '--json')).out) as {
      files: Array<{ path: string }>;
    };
    expect(chj.files.map((x) => x.path)).toEqual([child, base]);
    const mc = JSON.parse((await cli('map', child, '--chain', '--json')).out) as {
      extents: Array<{ kind: string }>;
    };
    expect(mc.extents.every((e) => e.kind !== 'parent')).toBe(true);
    expect((await cli('map', child)).out).toMatch(/parent/);

    const same = await cli('diff', base, base);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/identical/);
    const d = await cli('diff', base, child, '--json');
    expect(d.code).toBe(1);
    expect(JSON.parse(d.out)).toMatchObject({
      identical: false,
      differingBytes: 4096,
      ranges: [{ offset: MiB, length: 4096 }],
    });

    const flat = path.join(dir, 'flat.vhdx');
    const fl = await cli('flatten', child, flat, '--fixed');
    expect(fl.code, fl.err).toBe(0);
    expect(fl.out).toMatch(/fixed/);
    expect((await cli('diff', flat, child)).code).toBe(0);

    const mg = await cli('merge', child, '--json');
    expect(mg.code, mg.err).toBe(0);
    expect(JSON.parse(mg.out)).toMatchObject({ parentPath: base, bytesMerged: 4096 });
    expect((await cli('diff', flat, base)).code).toBe(0);
  });

  it('check --repair exits 0 after repairing, 1 while errors remain', async () => {
    const p = path.join(dir, 'broken.vhdx');
    await copyFile(disk(), p);
    const fh = await open(p, 'r+');
    await fh.write(Buffer.from([1, 2, 3, 4]), 0, 4, 128 * 1024 + 300);
    await fh.close();
    const bad = await cli('check', p);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/HEADER_INVALID/);
    const fixed = await cli('check', p, '--repair');
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/REPAIRED/);
  });

  it('bad input: clear messages and non-zero exit codes', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['frobnicate'], 2, /unknown command "frobnicate"/],
      [['info'], 2, /missing argument/],
      [['info', 'a', 'b'], 2, /unexpected argument "b"/],
      [['check', disk(), '--bogus'], 2, /Unknown option '--bogus'/],
      [['info', disk(), '--repair'], 2, /--repair does not apply/],
      [['create', path.join(dir, 'x.vhdx')], 2, /--size is required/],
      [['create', path.join(dir, 'x.vhdx'), '--size', '10Q'], 2, /"10Q" is not a size/],
      [
        ['create', path.join(dir, 'x.vhdx'), '--size', '1G', '--sector-size', '1024'],
        2,
        /512 or 4096/,
      ],
      [
        ['create', path.join(dir, 'x.vhdx'), '--size', '1G', '--block-size', '3M'],
        1,
        /\[VALIDATION\].*power of two/,
      ],
      [['create', disk(), '--size', '1G'], 1, /\[VALIDATION\].*already exists/],
      [['info', path.join(dir, 'missing.vhdx')], 1, /\[NOT_FOUND\].*missing\.vhdx does not exist/],
      [['merge', disk()], 1, /\[VALIDATION\].*not a differencing disk/],
    ];
    for (const [argv, code, re] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err, argv.join(' ')).toMatch(re);
    }
    const j = await cli('info', path.join(dir, 'missing.vhdx'), '--json');
    expect(JSON.parse(j.out)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
