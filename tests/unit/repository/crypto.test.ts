import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  chunkId,
  createWrappedKey,
  deriveKeys,
  unwrapKey,
  wrapKey,
} from '../../../electron/services/repository/crypto';
import {
  decodeBlob,
  encodeBlob,
  ensureZstd,
  CODEC_RAW,
  CODEC_ZSTD,
} from '../../../electron/services/repository/blob';
import { createChunkProcessor } from '../../../electron/services/repository/chunk-pool';
import { HvbcError } from '../../../shared/errors';

// Cheap scrypt parameters keep the unit tests fast; the repository default is N=2^15.
const FAST = { N: 1 << 10, r: 8, p: 1 };

describe('master key wrap/unwrap', () => {
  it('unwraps with the right passphrase', () => {
    const { master, key } = createWrappedKey('correct horse', FAST);
    expect(master).toHaveLength(32);
    expect(unwrapKey(key, 'correct horse')).toEqual(master);
    expect(key.wrapped).not.toContain(master.toString('base64'));
  });

  it('a wrong passphrase is WRONG_PASSPHRASE with a clear message', () => {
    const { key } = createWrappedKey('correct horse', FAST);
    let err: unknown;
    try {
      unwrapKey(key, 'correct hors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HvbcError);
    expect((err as HvbcError).code).toBe('WRONG_PASSPHRASE');
    expect((err as HvbcError).message).toMatch(/passphrase is wrong/);
  });

  it('re-wrapping (passphrase change) keeps the master key; tampering is detected', () => {
    const { master, key } = createWrappedKey('old', FAST);
    const again = wrapKey(unwrapKey(key, 'old'), 'new', {
      ...key.kdf,
      salt: randomBytes(16).toString('base64'),
    });
    expect(unwrapKey(again, 'new')).toEqual(master);
    const raw = Buffer.from(key.wrapped, 'base64');
    raw[20] = (raw[20] ?? 0) ^ 1;
    expect(() => unwrapKey({ ...key, wrapped: raw.toString('base64') }, 'old')).toThrow(
      expect.objectContaining({ code: 'WRONG_PASSPHRASE' }),
    );
    expect(() => createWrappedKey('', FAST)).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });

  it('chunk ids are plain SHA-256 unencrypted and keyed HMAC when encrypted', () => {
    const data = Buffer.from('same data');
    const plain = chunkId(data, null);
    expect(plain).toBe(createHash('sha256').update(data).digest('hex'));
    const k1 = deriveKeys(randomBytes(32));
    const k2 = deriveKeys(randomBytes(32));
    expect(chunkId(data, k1.idKey)).not.toBe(plain);
    expect(chunkId(data, k1.idKey)).not.toBe(chunkId(data, k2.idKey));
    expect(k1.idKey?.equals(k1.dataKey ?? Buffer.alloc(0))).toBe(false);
  });
});

describe('chunk blobs', () => {
  it('compress when it helps, store raw otherwise, encrypt bound to the chunk id', async () => {
    await ensureZstd();
    const keys = deriveKeys(randomBytes(32));
    const text = Buffer.from('hyper-v backup '.repeat(70_000)).subarray(0, 1 << 20);
    const rand = randomBytes(1 << 20);
    for (const dataKey of [null, keys.dataKey]) {
      const t = encodeBlob(text, chunkId(text, keys.idKey), dataKey, 1);
      expect(t.codec).toBe(CODEC_ZSTD);
      expect(t.blob.length).toBeLessThan(text.length / 10);
      expect(
        decodeBlob(t.blob, chunkId(text, keys.idKey), t.codec, text.length, dataKey)?.equals(text),
      ).toBe(true);
      const r = encodeBlob(rand, chunkId(rand, keys.idKey), dataKey, 1);
      expect(r.codec).toBe(CODEC_RAW);
      expect(r.blob.length).toBe(rand.length + (dataKey ? 28 : 0));
      expect(
        decodeBlob(r.blob, chunkId(rand, keys.idKey), r.codec, rand.length, dataKey)?.equals(rand),
      ).toBe(true);
      if (dataKey) {
        // Under another id (a swapped blob) or with one flipped bit, decryption fails.
        expect(
          decodeBlob(r.blob, chunkId(text, keys.idKey), r.codec, rand.length, dataKey),
        ).toBeNull();
        const flipped = Buffer.from(r.blob);
        flipped[100] = (flipped[100] ?? 0) ^ 1;
        expect(
          decodeBlob(flipped, chunkId(rand, keys.idKey), r.codec, rand.length, dataKey),
        ).toBeNull();
      }
    }
  });

  const nativeZstdLoads = (): boolean => {
    try {
      createRequire(import.meta.url)('zstd-napi');
      return true;
    } catch {
      return false;
    }
  };
  it.each(['auto', 'wasm'] as const)(
    'worker threads (zstd %s) and the inline path produce the same ids and decodable blobs',
    async (zstd) => {
      const keys = deriveKeys(randomBytes(32));
      const inputs = [
        Buffer.from('abc'.repeat(100_000)),
        randomBytes(300_000),
        Buffer.concat([randomBytes(200_000), Buffer.alloc(200_000, 1)]),
        // Weakly compressible (7 bits of entropy per byte: zstd saves ~10%), the case between "compresses well"
        // and "stored raw" where a compressor's output buffer is easy to hand on with the wrong length.
        Buffer.from(randomBytes(300_000).map((b) => b & 0x7f)),
      ];
      for (const k of [{ idKey: null, dataKey: null }, keys]) {
        const pool = await createChunkProcessor({
          ...k,
          level: 1,
          maxChunk: 1 << 20,
          threads: 2,
          zstd,
        });
        const inline = await createChunkProcessor({
          ...k,
          level: 1,
          maxChunk: 1 << 20,
          threads: 0,
        });
        expect(pool.threads).toBe(2);
        // 'auto' takes the native binding wherever it built; 'wasm' never does.
        expect(pool.zstd).toBe(zstd === 'auto' && nativeZstdLoads() ? 'native' : 'wasm');
        try {
          for (const data of inputs) {
            const [a, b] = [await pool.hash(data), await inline.hash(data)];
            expect(a.id).toBe(b.id);
            expect(a.id).toBe(chunkId(data, k.idKey));
            for (const [p, t] of [
              [pool, a],
              [inline, b],
            ] as const) {
              const s = await p.seal(t);
              expect(decodeBlob(s.blob, t.id, s.codec, data.length, k.dataKey)?.equals(data)).toBe(
                true,
              );
              s.done();
            }
          }
          // verify() re-hashes read-back chunks to the same ids on both paths.
          for (const data of inputs) {
            for (const p of [pool, inline]) {
              const v = p.verify(data);
              expect(await v.id).toBe(chunkId(data, k.idKey));
              expect(v.view.equals(data)).toBe(true);
              v.release();
            }
          }
        } finally {
          await pool.close();
          await inline.close();
        }
      }
    },
  );
});
