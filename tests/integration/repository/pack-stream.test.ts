// Packs stream to storage in pieces (LocalFolderBackend.openWrite) instead of being held whole in memory.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { LocalFolderBackend } from '../../../electron/services/repository/backend';
import { ensureZstd } from '../../../electron/services/repository/blob';
import { PackStore, PACK_MAGIC } from '../../../electron/services/repository/pack-store';
import type { IndexEntry } from '../../../electron/services/repository/format';
import { tempDir } from './helpers';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});
function dir(tag: string): string {
  const t = tempDir(tag);
  cleanups.push(t.cleanup);
  return t.dir;
}
function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else out.push(path.relative(root, path.join(d, e.name)));
    }
  };
  walk(root);
  return out;
}

describe('streamed pack writes', () => {
  it('commit makes exactly the written bytes visible; abort and a taken key leave no trace', async () => {
    const root = dir('objwriter');
    const b = new LocalFolderBackend(root);
    const w = await b.openWrite('packs/ab/one');
    const piece = Buffer.from('hello ');
    await w.write(piece);
    piece.fill(0); // the caller may reuse a piece once written
    await w.write(Buffer.from('world'));
    expect(await b.stat('packs/ab/one')).toBeNull(); // nothing visible before commit
    expect(await w.commit()).toBe(true);
    expect((await b.get('packs/ab/one')).toString()).toBe('hello world');

    const dropped = await b.openWrite('packs/ab/two');
    await dropped.write(Buffer.from('x'));
    await dropped.abort();
    const again = await b.openWrite('packs/ab/one');
    await again.write(Buffer.from('other'));
    expect(await again.commit()).toBe(false);
    expect((await b.get('packs/ab/one')).toString()).toBe('hello world');
    expect(files(root)).toEqual([path.join('packs', 'ab', 'one')]); // no temp files left
  });

  it('a pack written in many pieces holds every blob at its indexed offset, a multiple of 8', async () => {
    await ensureZstd(); // index files are sealed (zstd)
    const root = dir('packstream');
    const b = new LocalFolderBackend(root);
    const indexed: IndexEntry[] = [];
    const target = 10 << 20;
    const store = new PackStore(b, null, target, (1 << 20) + 64, (entries) =>
      indexed.push(...entries),
    );
    const blobs = new Map<string, Buffer>();
    let seed = 1;
    for (let i = 0; i < 40; i++) {
      const len = 1 + ((i * 104729) % (1 << 20));
      const blob = Buffer.alloc(len);
      for (let k = 0; k < len; k += 4096) blob[k] = seed = (seed * 31 + 7) & 255;
      const id = i.toString(16).padStart(64, '0');
      blobs.set(id, Buffer.from(blob));
      const p = store.add(id, blob, 0, len);
      blob.fill(0xee); // copied before add() returned
      await p;
    }
    await store.flush();
    expect(indexed.length).toBe(40);
    expect(store.packsWritten).toBeGreaterThan(1);
    for (const e of indexed) {
      const pack = await b.get(`packs/${e.pack.slice(0, 2)}/${e.pack}`);
      expect(pack.subarray(0, 8).equals(PACK_MAGIC)).toBe(true);
      expect(e.offset % 8).toBe(0); // odd-length blobs are padded, so the next one starts aligned
      expect(pack.subarray(e.offset, e.offset + e.length).equals(blobs.get(e.id) as Buffer)).toBe(
        true,
      );
    }
    expect(files(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
