// qemu-img / qemu-io as the oracle for fixed and dynamic VHDX: our files pass qemu check/compare, qemu's files read identically, and our log replays in qemu.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { armCrash, disarmCrash, isSimulatedCrash } from '../../../electron/services/vhdx/faults';
import type { VhdxImage } from '../../../electron/services/vhdx/file';
import {
  checkVhdx,
  createVhdx,
  openChain,
  openVhdx,
  type VhdxFile,
} from '../../../electron/services/vhdx/index';
import { chainSha, fileSha, MiB, prng, qemuImg, qemuRawSha, requireTool, tempDir } from './helpers';

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  requireTool('qemu-img');
  requireTool('qemu-io');
  ({ dir, cleanup } = await tempDir('qemu'));
});
afterAll(async () => {
  await cleanup?.();
});

/** `qemu-img compare` exit code: 0 identical, 1 different. */
function qemuCompare(vhdx: string, raw: string): number {
  return (
    spawnSync('qemu-img', ['compare', '-f', 'vhdx', '-F', 'raw', vhdx, raw], { encoding: 'utf8' })
      .status ?? -1
  );
}

function qemuCheck(vhdx: string): { status: number; out: string } {
  const r = spawnSync('qemu-img', ['check', vhdx], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

async function write(f: VhdxFile, model: Buffer, offset: number, data: Buffer): Promise<void> {
  await f.write(offset, data);
  data.copy(model, offset);
}

interface Config {
  name: string;
  type: 'fixed' | 'dynamic';
  size: number;
  blockSize?: number;
  lss: 512 | 4096;
}

const configs: Config[] = [
  {
    name: 'dynamic 64 MiB, 1 MiB blocks, 512-byte sectors',
    type: 'dynamic',
    size: 64 * MiB,
    blockSize: MiB,
    lss: 512,
  },
  // qemu 7.2 refuses VHDX files with 4096-byte logical sectors ("Operation not supported"); those are checked with libvhdi.
  {
    name: 'dynamic 64 MiB, 2 MiB blocks, 4096-byte physical sectors',
    type: 'dynamic',
    size: 64 * MiB,
    blockSize: 2 * MiB,
    lss: 512,
  },
  {
    name: 'dynamic 100 MiB + 3 sectors (partial last block), 2 MiB blocks',
    type: 'dynamic',
    size: 100 * MiB + 1536,
    blockSize: 2 * MiB,
    lss: 512,
  },
  { name: 'dynamic 200 MiB, default 32 MiB blocks', type: 'dynamic', size: 200 * MiB, lss: 512 },
  {
    name: 'fixed 48 MiB, 2 MiB blocks',
    type: 'fixed',
    size: 48 * MiB,
    blockSize: 2 * MiB,
    lss: 512,
  },
  {
    name: 'fixed 40 MiB + 4 KiB, 8 MiB blocks',
    type: 'fixed',
    size: 40 * MiB + 4096,
    blockSize: 8 * MiB,
    lss: 512,
  },
];

describe('images written here pass qemu-img check and compare equal to the raw content', () => {
  for (const c of configs) {
    it(c.name, async () => {
      const p = path.join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '_')}.vhdx`);
      const raw = `${p}.raw`;
      const model = Buffer.alloc(c.size);
      let f = await createVhdx(p, {
        virtualSize: c.size,
        type: c.type,
        logicalSectorSize: c.lss,
        ...(c.blockSize ? { blockSize: c.blockSize } : {}),
      });
      const s = c.lss;
      await write(f, model, 0, prng(1, 8 * s));
      await write(f, model, Math.floor(c.size / 3 / s) * s, prng(2, 3 * MiB + 5 * s));
      await write(f, model, c.size - s, prng(3, s));
      await write(f, model, 7 * MiB, Buffer.alloc(2 * MiB, 0x42));
      await f.close();
      f = await openVhdx(p, { writable: true });
      await write(f, model, 7 * MiB + s, prng(4, 16 * s));
      await write(f, model, Math.floor(c.size / 2 / s) * s, Buffer.alloc(MiB)); // explicit zeros
      await write(f, model, 20 * MiB - 4 * s, prng(5, 8 * s)); // crosses a 1/2/4 MiB block boundary
      await f.flush();
      await write(f, model, 30 * MiB, prng(6, 2 * s));
      await f.close();
      await writeFile(raw, model);
      const chk = qemuCheck(p);
      expect(chk.status, chk.out).toBe(0);
      expect(qemuCompare(p, raw)).toBe(0);
      expect((await checkVhdx(p)).ok).toBe(true);
      const info = JSON.parse(qemuImg('info', '--output=json', p)) as { 'virtual-size': number };
      expect(info['virtual-size']).toBe(c.size);
      // the oracle can fail: one changed byte is noticed
      const fh = await open(raw, 'r+');
      await fh.write(Buffer.from([model[c.size - 1]! ^ 0xff]), 0, 1, c.size - 1);
      await fh.close();
      expect(qemuCompare(p, raw)).toBe(1);
    });
  }
});

describe('images made by qemu read here with the same SHA-256 as qemu-img convert -O raw', () => {
  let src: string;
  let srcSha: string;

  beforeAll(async () => {
    // 96 MiB raw: random 5 MiB at 3 MiB, a 1 MiB pattern at 40 MiB, random 512 bytes at the very end
    const model = Buffer.alloc(96 * MiB);
    prng(11, 5 * MiB).copy(model, 3 * MiB);
    Buffer.alloc(MiB, 0xc3).copy(model, 40 * MiB);
    prng(12, 512).copy(model, 96 * MiB - 512);
    src = path.join(dir, 'src.raw');
    await writeFile(src, model);
    srcSha = await fileSha(src);
  });

  const variants: Array<[string, string[]]> = [
    ['convert, dynamic (qemu default block size)', []],
    ['convert, dynamic, 1 MiB blocks', ['-o', 'block_size=1M']],
    [
      'convert, subformat=fixed (every block ZERO, data appended at the end)',
      ['-o', 'subformat=fixed'],
    ],
    [
      'convert, subformat=fixed,block_state_zero=off (a real fixed disk)',
      ['-o', 'subformat=fixed,block_state_zero=off'],
    ],
    [
      'convert, dynamic, block_state_zero=off, 32 MiB blocks',
      ['-o', 'block_state_zero=off,block_size=32M'],
    ],
  ];
  for (const [name, opts] of variants) {
    it(name, async () => {
      const p = path.join(dir, `q-${name.replace(/[^a-z0-9]+/gi, '_')}.vhdx`);
      qemuImg('convert', '-f', 'raw', '-O', 'vhdx', ...opts, src, p);
      const c = await openChain(p);
      try {
        expect(await chainSha(c)).toBe(srcSha);
      } finally {
        await c.close();
      }
      expect(await qemuRawSha(p, dir)).toBe(srcSha);
      expect((await checkVhdx(p)).issues.filter((i) => i.severity === 'error')).toEqual([]);
    });
  }

  it('qemu-img create + qemu-io writes (patterns, zero writes, rewrites)', async () => {
    const p = path.join(dir, 'qio.vhdx');
    qemuImg('create', '-f', 'vhdx', '-o', 'block_size=2M', p, '256M');
    execFileSync(
      'qemu-io',
      [
        '-f',
        'vhdx',
        '-c',
        'write -P 0xab 0 4M',
        '-c',
        'write -P 0xcd 100M 1M',
        '-c',
        'write -z 1M 1M',
        '-c',
        'write -P 0x11 255M 512',
        '-c',
        'write -P 0x22 3M 4096',
        p,
      ],
      { stdio: 'ignore' },
    );
    const f = await openVhdx(p);
    try {
      expect(f.info.virtualSize).toBe(256 * MiB);
      expect((await f.read(0, 16)).every((b) => b === 0xab)).toBe(true);
      expect((await f.read(MiB, 16)).every((b) => b === 0)).toBe(true);
      expect((await f.read(3 * MiB, 4096)).every((b) => b === 0x22)).toBe(true);
      expect((await f.read(255 * MiB, 512)).every((b) => b === 0x11)).toBe(true);
    } finally {
      await f.close();
    }
    const c = await openChain(p);
    expect(await chainSha(c)).toBe(await qemuRawSha(p, dir));
    await c.close();
  });
});

describe("interleaving writers: qemu writes into our file, we write into qemu's", () => {
  it("each sees the other's data and the files stay valid", async () => {
    const p = path.join(dir, 'mixed.vhdx');
    const model = Buffer.alloc(64 * MiB);
    const f = await createVhdx(p, { virtualSize: 64 * MiB, type: 'dynamic', blockSize: MiB });
    await write(f, model, 0, prng(21, 3 * MiB));
    await f.close();
    const dwgBefore = (await openVhdx(p).then(async (x) => {
      const g = x.info.dataWriteGuid;
      await x.close();
      return g;
    })) as string;
    execFileSync('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x77 2M 3M', p], { stdio: 'ignore' });
    Buffer.alloc(3 * MiB, 0x77).copy(model, 2 * MiB);
    const g = await openVhdx(p, { writable: true });
    expect(g.info.dataWriteGuid).not.toBe(dwgBefore); // qemu followed the DataWriteGuid rule
    expect((await g.read(0, 64 * MiB)).equals(model)).toBe(true);
    await write(g, model, 10 * MiB, prng(22, MiB));
    await g.close();
    await writeFile(`${p}.raw`, model);
    expect(qemuCompare(p, `${p}.raw`)).toBe(0);
    expect(qemuCheck(p).status).toBe(0);
  });
});

describe('crash consistency against qemu: our log entries replay in qemu', () => {
  async function crashed(
    point: string,
    name: string,
    newData: boolean,
  ): Promise<{ p: string; before: Buffer; after: Buffer }> {
    const p = path.join(dir, name);
    const before = Buffer.alloc(32 * MiB);
    const f = await createVhdx(p, { virtualSize: 32 * MiB, type: 'dynamic', blockSize: MiB });
    await write(f, before, 0, prng(31, 2 * MiB));
    await f.flush();
    const after = Buffer.from(before);
    // new blocks only: in-place writes to existing blocks are not atomic (like any disk)
    await write(f, after, 8 * MiB, prng(32, 3 * MiB));
    if (newData) await write(f, after, 20 * MiB + 4096, prng(33, 8192));
    armCrash(point);
    try {
      await f.flush();
      throw new Error('expected a simulated crash');
    } catch (e) {
      if (!isSimulatedCrash(e)) throw e;
    } finally {
      disarmCrash();
      await (f as VhdxImage).abandon();
    }
    await writeFile(`${p}.before.raw`, before);
    await writeFile(`${p}.after.raw`, after);
    return { p, before, after };
  }

  it('crash after the log entry is durable: pending log; qemu and we replay it to the new content', async () => {
    const { p, after } = await crashed('flush:after-log-write', 'crash-log.vhdx', true);
    const e = await openVhdx(p).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as HvbcError).code).toBe('LOG_REPLAY_REQUIRED');
    const viaQemu = `${p}.qemu.vhdx`;
    await copyFile(p, viaQemu);
    const r = spawnSync('qemu-img', ['check', '-r', 'all', viaQemu], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(qemuCompare(viaQemu, `${p}.after.raw`)).toBe(0);
    const mem = await openChain(p, { replayLog: 'in-memory' });
    expect((await mem.read(0, 32 * MiB)).equals(after)).toBe(true);
    await mem.close();
    const w = await openVhdx(p, { writable: true });
    await w.close();
    expect(qemuCompare(p, `${p}.after.raw`)).toBe(0);
    expect(qemuCheck(p).status).toBe(0);
  });

  it('crash after the log entry was applied but before LogGuid was cleared: replay is idempotent', async () => {
    const { p } = await crashed('flush:after-apply', 'crash-applied.vhdx', true);
    const viaQemu = `${p}.qemu.vhdx`;
    await copyFile(p, viaQemu);
    qemuImg('check', '-r', 'all', viaQemu);
    expect(qemuCompare(viaQemu, `${p}.after.raw`)).toBe(0);
    await (await openVhdx(p, { writable: true })).close();
    expect(qemuCompare(p, `${p}.after.raw`)).toBe(0);
  });

  it('crash before the log entry: the file still has its previous content, for qemu and for us', async () => {
    const { p, before } = await crashed('flush:after-data-sync', 'crash-data.vhdx', true);
    // The log still holds the earlier, already applied flush, so LogGuid is set: we see that it is
    // applied and read without replay; qemu asks for one, which changes nothing.
    const c = await openChain(p);
    expect((await c.read(0, 32 * MiB)).equals(before)).toBe(true);
    await c.close();
    const r = await checkVhdx(p);
    expect(r.issues.map((i) => i.code)).toEqual(['LOG_NOT_CLEARED']);
    const viaQemu = `${p}.qemu.vhdx`;
    await copyFile(p, viaQemu);
    qemuImg('check', '-r', 'all', viaQemu);
    expect(qemuCompare(viaQemu, `${p}.before.raw`)).toBe(0);
    const repaired = await checkVhdx(p, { repair: true });
    expect(repaired.ok).toBe(true);
    expect(repaired.issues).toEqual([
      expect.objectContaining({ code: 'LOG_NOT_CLEARED', repaired: true }),
    ]);
    expect(qemuCheck(p).status).toBe(0);
    expect(qemuCompare(p, `${p}.before.raw`)).toBe(0);
  });

  it('crash between the two header copies: the file opens (one copy is current) in qemu and here', async () => {
    const p = path.join(dir, 'crash-header.vhdx');
    const f = await createVhdx(p, { virtualSize: 16 * MiB, type: 'dynamic', blockSize: MiB });
    armCrash('header:after-first-copy');
    try {
      await f.write(0, prng(41, 4096));
    } catch (e) {
      if (!isSimulatedCrash(e)) throw e;
    } finally {
      disarmCrash();
      await (f as VhdxImage).abandon();
    }
    expect(qemuCheck(p).status).toBe(0);
    const g = await openVhdx(p);
    expect(g.info.headerSequence).toBe(3);
    expect((await g.read(0, 4096)).every((b) => b === 0)).toBe(true);
    await g.close();
  });
});
