// Unbuffered pack and restore writes: the bytes on disk are exactly what was appended or written, with or without
// O_DIRECT, for aligned and unaligned pieces and tails.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  AppendWriter,
  DirectWriter,
  alignedBuffer,
  directFlag,
} from '../../../electron/services/direct-io';
import { createVhdx, openChain } from '../../../electron/services/vhdx';
import { tempDir } from '../../helpers/tmp';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
afterEach(() => {
  delete process.env.HVBC_DIRECT_IO;
});

/** Can this filesystem open a file with O_DIRECT at all? (Then DirectWriter must use it.) */
async function directWorksHere(): Promise<boolean> {
  const flag = (constants as Record<string, number>).O_DIRECT;
  if (!flag) return false;
  const f = path.join(tmp.dir, 'probe');
  await fs.writeFile(f, '');
  try {
    await (await fs.open(f, constants.O_WRONLY | flag)).close();
    return true;
  } catch {
    return false;
  }
}

describe('direct I/O writers', () => {
  it('alignedBuffer gives buffers that O_DIRECT accepts (a plain Buffer is refused) on Linux', async () => {
    if (process.platform !== 'linux') {
      expect(directFlag()).toBe((constants as Record<string, number>).O_DIRECT ?? 0);
      return;
    }
    // The test machine's temporary folder is a disk filesystem (ext4), which takes O_DIRECT.
    expect(await directWorksHere()).toBe(true);
    const f = path.join(tmp.dir, 'aligned');
    await fs.writeFile(f, '');
    const fh = await fs.open(f, constants.O_WRONLY | directFlag());
    try {
      await fh.write(alignedBuffer(8192), 0, 4096, 0);
      const plain = Buffer.allocUnsafeSlow(8192 + 1).subarray(1); // an odd address is never aligned
      await expect(fh.write(plain, 0, 4096, 4096)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      await fh.close();
    }
  });

  for (const mode of ['direct', 'buffered'] as const) {
    it(`AppendWriter (${mode}) writes exactly the appended bytes, any sizes, and trims the padded tail`, async () => {
      if (mode === 'buffered') process.env.HVBC_DIRECT_IO = '0';
      const f = path.join(tmp.dir, `pack-${mode}`);
      const fh = await fs.open(f, 'wx');
      const w = await AppendWriter.open(fh, f);
      const parts = [1, 4096, 5 << 20, 12_345, 3 << 20, 7].map((n) => randomBytes(n));
      for (const p of parts) await w.append(p);
      await w.finish();
      await fh.close();
      const back = await fs.readFile(f);
      expect(back.equals(Buffer.concat(parts))).toBe(true);
    });
  }

  it('DirectWriter uses O_DIRECT where the filesystem allows, and writes unaligned pieces buffered', async () => {
    const f = path.join(tmp.dir, 'disk');
    await fs.writeFile(f, Buffer.alloc(3 << 20, 1));
    const fh = await fs.open(f, 'r+');
    const w = await DirectWriter.open(f, fh);
    expect(w.isDirect).toBe(await directWorksHere());
    const a = randomBytes(1 << 20);
    const b = randomBytes(1000);
    await w.write(a, 1 << 20); // aligned: direct
    await w.write(b, 100); // unaligned: buffered
    await w.close();
    await fh.sync();
    await fh.close();
    const back = await fs.readFile(f);
    expect(back.subarray(1 << 20, 2 << 20).equals(a)).toBe(true);
    expect(back.subarray(100, 1100).equals(b)).toBe(true);
    expect(back[0]).toBe(1);
    expect(back[(2 << 20) + 5]).toBe(1);
  });

  it('a dynamic VHDX with directIo takes several writes at once (issued together) and reads back exactly', async () => {
    const f = path.join(tmp.dir, 'restore.vhdx');
    const MiB = 1 << 20;
    const v = await createVhdx(f, { type: 'dynamic', virtualSize: 64 * MiB, directIo: true });
    const parts = [0, 3, 9, 33, 40, 63].map((mib) => ({ at: mib * MiB, data: randomBytes(MiB) }));
    // Not awaited one by one: the image issues each under its lock and they complete in any order.
    await Promise.all(parts.map((p) => v.write(p.at, alignedCopy(p.data))));
    await v.write(5 * MiB, randomBytes(4096)); // a small, buffered-size write between them
    await v.close();
    const c = await openChain(f);
    try {
      for (const p of parts) expect((await c.read(p.at, MiB)).equals(p.data)).toBe(true);
      expect((await c.read(20 * MiB, MiB)).every((b) => b === 0)).toBe(true);
    } finally {
      await c.close();
    }
  });
});

/** The data in page-aligned memory, as the restore's batch buffers are. */
function alignedCopy(data: Buffer): Buffer {
  const b = alignedBuffer(data.length);
  data.copy(b);
  return b;
}
