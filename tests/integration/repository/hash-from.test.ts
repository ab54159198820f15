// hashFrom (workers read chunks from the disk's files themselves, requests grouped per worker): many chunks at
// once, mixing data, zeros, sealed and unsealed, and unreadable files, each get their own right answer, with
// workers and inline.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  createChunkProcessor,
  type FromResult,
} from '../../../electron/services/repository/chunk-pool';
import { decodeBlob, ensureZstd } from '../../../electron/services/repository/blob';
import { chunkId } from '../../../electron/services/repository/crypto';
import type { Piece } from '../../../electron/services/vhdx';
import { HvbcError } from '../../../shared/errors';
import { KiB, prng, tempDir } from './helpers';

// 1 MiB chunks: a 2-worker pool then has 12 slots, fewer than the chunks asked for at once.
const CHUNK = 1024 * KiB;

interface Case {
  pieces: Piece[];
  seal: boolean;
  /** The chunk's bytes, or null when its file cannot be read. */
  expected: Buffer | null;
}

function cases(file: string, data: Buffer, missing: string): Case[] {
  const out: Case[] = [];
  for (let i = 0; i < 23; i++) {
    const at = i * CHUNK;
    const seal = i % 3 !== 0;
    if (i % 7 === 3) {
      out.push({ pieces: [{ zero: true, length: CHUNK }], seal, expected: Buffer.alloc(CHUNK) });
    } else if (i % 11 === 5) {
      out.push({
        pieces: [{ file: missing, fileOffset: 0, length: CHUNK }],
        seal,
        expected: null,
      });
    } else {
      // Half data, half zeros: the worker assembles a chunk from several pieces.
      const half = CHUNK / 2;
      out.push({
        pieces: [
          { file, fileOffset: at, length: half },
          { zero: true, length: half },
        ],
        seal,
        expected: Buffer.concat([data.subarray(at, at + half), Buffer.alloc(half)]),
      });
    }
  }
  return out;
}

describe('chunk pool: hashFrom', () => {
  for (const threads of [2, 0]) {
    it(`answers each of many concurrent chunks on its own, with ${threads || 'no'} worker threads`, async () => {
      await ensureZstd(); // decodeBlob below runs on this thread
      const { dir, cleanup } = tempDir('hashfrom');
      const data = prng(7)(Buffer.alloc(24 * CHUNK));
      // Some compressible chunks, so sealed blobs use zstd as well as raw.
      data.fill('hyper-v ', 4 * CHUNK, 8 * CHUNK);
      const file = path.join(dir, 'disk.bin');
      writeFileSync(file, data);
      const all = cases(file, data, path.join(dir, 'gone.bin'));
      const pool = await createChunkProcessor({
        idKey: null,
        dataKey: null,
        level: 1,
        maxChunk: CHUNK,
        threads,
      });
      try {
        // Ask for every chunk before awaiting any (more than the pool has slots: later requests wait for the
        // slots that earlier results free), so the workers get them in groups.
        const settled: Array<Promise<FromResult | HvbcError>> = [];
        for (const c of all) {
          // A read error may come from the call itself (inline) or from its result (workers).
          const result = pool.hashFrom(c.pieces, CHUNK, c.seal).then((h) => h.result);
          settled.push(
            result.then(
              (r) => {
                if (!r.zero && r.sealed) {
                  const raw = decodeBlob(r.sealed.blob, r.id, r.sealed.codec, CHUNK, null);
                  r.sealed.done();
                  expect(raw?.equals(c.expected ?? Buffer.alloc(0))).toBe(true);
                }
                if (!r.zero && r.ticket) pool.drop(r.ticket);
                return r;
              },
              (e: HvbcError) => e,
            ),
          );
        }
        const results = await Promise.all(settled);
        results.forEach((r, i) => {
          const c = all[i]!;
          if (c.expected === null) {
            expect(r).toBeInstanceOf(HvbcError);
            expect((r as HvbcError).message).toContain('gone.bin');
          } else if (c.expected.every((b) => b === 0)) {
            expect(r).toEqual({ zero: true });
          } else {
            const got = r as Exclude<FromResult, { zero: true }>;
            expect(got.zero).toBe(false);
            expect(got.id).toBe(chunkId(c.expected, null));
            expect(got.sealed !== null).toBe(c.seal);
          }
        });
      } finally {
        await pool.close();
        cleanup();
      }
    });
  }
});
