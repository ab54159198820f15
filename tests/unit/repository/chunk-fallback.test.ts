// createChunkProcessor: when the worker threads fail to start, the inline processor does the same work and keeps why.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createChunkProcessor,
  fallbackWarning,
  type WorkerStarter,
} from '../../../electron/services/repository/chunk-pool';
import { chunkId } from '../../../electron/services/repository/crypto';
import { decodeBlob } from '../../../electron/services/repository/blob';

const opts = { idKey: null, dataKey: null, level: 1, maxChunk: 1 << 18 };

describe('chunk processor fallback', () => {
  it('runs inline when the workers fail to start, and the warning names the reason', async () => {
    let asked = 0;
    const failing: WorkerStarter = (_o, n) => {
      asked = n;
      return Promise.reject(new Error('Cannot find module zstd-wasm'));
    };
    const p = await createChunkProcessor({ ...opts, threads: 3 }, failing);
    try {
      expect(asked).toBe(3);
      expect(p.threads).toBe(0);
      expect(p.zstd).toBe('inline');
      expect(p.fallback).toBe('Cannot find module zstd-wasm');
      expect(fallbackWarning(p)).toMatch(
        /^SLOW PATH: the chunk worker threads could not start \(Cannot find module zstd-wasm\)/,
      );
      // The work itself is the same: ids and stored blobs decode back to the input.
      const data = Buffer.concat([randomBytes(1000), Buffer.alloc(60_000, 7)]);
      const t = await p.hash(data);
      expect(t.id).toBe(chunkId(data, null));
      const sealed = await p.seal(t);
      expect(decodeBlob(sealed.blob, t.id, sealed.codec, data.length, null)).toEqual(data);
    } finally {
      await p.close();
    }
  });

  it('warns of nothing when no workers were asked for, or when they started', async () => {
    const neverCalled: WorkerStarter = () => Promise.reject(new Error('must not start'));
    const inline = await createChunkProcessor({ ...opts, threads: 0 }, neverCalled);
    const pool = await createChunkProcessor({ ...opts, threads: 1 });
    try {
      expect(inline.fallback).toBeNull();
      expect(fallbackWarning(inline)).toBeNull();
      expect(pool.threads).toBe(1);
      expect(pool.fallback).toBeNull();
      expect(fallbackWarning(pool)).toBeNull();
    } finally {
      await Promise.all([inline.close(), pool.close()]);
    }
  });
});
