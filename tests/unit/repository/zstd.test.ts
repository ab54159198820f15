// Main-thread zstd: the native binding and the WASM build both round-trip, read each other's frames, and feed
// sealed files and blobs the same way.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeBlob,
  encodeBlob,
  openFile,
  sealFile,
} from '../../../electron/services/repository/blob';
import { chunkId } from '../../../electron/services/repository/crypto';
import {
  ensureZstd,
  zstdCompress,
  zstdDecompress,
} from '../../../electron/services/repository/zstd';

const nativeBuilt = (() => {
  try {
    createRequire(import.meta.url)('zstd-napi');
    return true;
  } catch {
    return false;
  }
})();

const text = Buffer.from('hyper-v checkpoint chain '.repeat(20_000));

describe('main-thread zstd', () => {
  afterAll(() => ensureZstd());

  it('uses the native binding where it is built, and the WASM build on request', async () => {
    expect(await ensureZstd()).toBe(nativeBuilt ? 'native' : 'wasm');
    expect(await ensureZstd('wasm')).toBe('wasm');
  });

  it('frames from either implementation decode with the other', async () => {
    await ensureZstd('wasm');
    const fromWasm = Buffer.from(zstdCompress(text, 3));
    const sealedByWasm = sealFile('index', text, null);
    await ensureZstd();
    const fromDefault = Buffer.from(zstdCompress(text, 3));
    expect(fromWasm.length).toBeLessThan(text.length / 10);
    expect(fromDefault.length).toBeLessThan(text.length / 10);
    expect(Buffer.from(zstdDecompress(fromWasm)).equals(text)).toBe(true);
    expect(openFile('index', 'index/x', sealedByWasm, null).equals(text)).toBe(true);
    const sealedByDefault = sealFile('index', text, null);
    await ensureZstd('wasm');
    expect(Buffer.from(zstdDecompress(fromDefault)).equals(text)).toBe(true);
    expect(openFile('index', 'index/x', sealedByDefault, null).equals(text)).toBe(true);
  });

  it('a damaged frame is refused, not decoded to something else', async () => {
    for (const prefer of ['auto', 'wasm'] as const) {
      await ensureZstd(prefer);
      const id = chunkId(text, null);
      const { blob, codec } = encodeBlob(text, id, null, 1);
      expect(codec).toBe(1);
      expect(decodeBlob(blob, id, codec, text.length, null)?.equals(text)).toBe(true);
      const damaged = Buffer.from(blob);
      damaged.fill(0xff, 20, 60);
      expect(decodeBlob(damaged, id, codec, text.length, null)).toBeNull();
      const rand = randomBytes(300_000);
      const raw = encodeBlob(rand, chunkId(rand, null), null, 1);
      expect(raw.codec).toBe(0);
    }
  });
});
