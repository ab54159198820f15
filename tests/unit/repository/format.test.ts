import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  decodeChunkMap,
  decodeIndex,
  decodeManifest,
  encodeChunkMap,
  encodeIndex,
  encodeManifest,
  idsToTable,
  isPointId,
  newPointId,
  tableToIds,
  validateChunkSize,
  type PointManifest,
} from '../../../electron/services/repository/format';
import {
  ensureZstd,
  openFile,
  sealFile,
  zstdFrameContentSize,
} from '../../../electron/services/repository/blob';
import { compress, init } from '@bokuweb/zstd-wasm';

const hex = (): string => randomBytes(32).toString('hex');

function manifest(): PointManifest {
  return {
    format: 'hvbc-point',
    version: 1,
    id: '20250102T030405Z-0a1b2c3d',
    vmId: 'vm-1',
    vmName: 'SQL01',
    kind: 'incremental',
    createdAt: '2025-01-02T03:04:05.000Z',
    committedAt: '2025-01-02T03:09:00.000Z',
    meta: {
      vmConfig: { name: 'SQL01', memoryMB: 4096, nested: { list: [1, 2, 3] } },
      checkpointId: 'cp-1',
      rctIds: { 'disk0.vhdx': 'rctX:1' },
      consistency: 'application',
      events: [{ t: '2025-01-02T03:04:06Z', msg: 'VSS ok' }],
      source: 'lab',
      tags: ['weekly'],
    },
    disks: {
      'disk0.vhdx': {
        virtualSize: 3 * 1024 * 1024 + 17,
        chunkSize: 1024 * 1024,
        chunkCount: 4,
        maps: [hex()],
        digest: hex(),
        basePointId: '20250101T030405Z-00000000',
        meta: { path: 'C:\\VMs\\disk0.vhdx' },
        stats: {
          chunksNew: 1,
          chunksReused: 0,
          chunksFromBase: 2,
          chunksZero: 1,
          bytesRead: 1048576,
          bytesStored: 5000,
          dataBytes: 2 * 1048576 + 17,
        },
      },
    },
  };
}

describe('manifest encode/decode', () => {
  it('round-trips every field, including arbitrary metadata', () => {
    const m = manifest();
    expect(decodeManifest(encodeManifest(m))).toEqual(m);
  });

  it('rejects malformed manifests as REPO_CORRUPT', () => {
    expect(() => decodeManifest(Buffer.from('{not json'))).toThrow(
      expect.objectContaining({ code: 'REPO_CORRUPT' }),
    );
    const bad = { ...manifest(), kind: 'differential' };
    expect(() => decodeManifest(Buffer.from(JSON.stringify(bad)))).toThrow(
      expect.objectContaining({ code: 'REPO_CORRUPT' }),
    );
    const badMap = manifest();
    (badMap.disks['disk0.vhdx'] as { maps: string[] }).maps = ['xyz'];
    expect(() => encodeManifest(badMap)).toThrow();
  });

  it('point ids sort by time', () => {
    const a = newPointId(new Date('2025-01-02T03:04:05Z'), '00000000');
    const b = newPointId(new Date('2025-01-02T03:04:06Z'), 'ffffffff');
    expect(a).toBe('20250102T030405Z-00000000');
    expect(isPointId(a)).toBe(true);
    expect(isPointId('../etc')).toBe(false);
    expect(a < b).toBe(true);
  });
});

describe('chunk maps (compact per-disk chunk tables)', () => {
  it('round-trips ids and zero markers at 32 bytes per chunk', () => {
    const ids: Array<string | 'zero'> = [hex(), 'zero', 'zero', hex(), hex()];
    const table = idsToTable(ids);
    expect(table.length).toBe(5 * 32);
    const enc = encodeChunkMap(table);
    expect(enc.length).toBe(12 + 5 * 32);
    expect(tableToIds(decodeChunkMap(enc))).toEqual(ids);
    expect(() => decodeChunkMap(enc.subarray(0, enc.length - 1))).toThrow(
      expect.objectContaining({ code: 'REPO_CORRUPT' }),
    );
    expect(() => idsToTable(['nothex'])).toThrow();
  });
});

describe('index files', () => {
  it('round-trips entries across several packs', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pack: fc.constantFrom('00'.repeat(16), 'ab'.repeat(16), 'ff'.repeat(16)),
            offset: fc.nat(2 ** 32 - 1),
            length: fc.nat(2 ** 32 - 1),
            rawLength: fc.nat(4 * 1024 * 1024),
            codec: fc.constantFrom(0, 1),
          }),
          { maxLength: 20 },
        ),
        (rows) => {
          const entries = rows.map((r) => ({ ...r, id: hex() }));
          expect(decodeIndex(encodeIndex(entries))).toEqual(entries);
        },
      ),
    );
    expect(() => decodeIndex(Buffer.from('HVBCIX01garbage'))).toThrow(
      expect.objectContaining({ code: 'REPO_CORRUPT' }),
    );
  });
});

describe('sealed files', () => {
  it('compress, checksum or encrypt, and detect damage', async () => {
    await ensureZstd();
    const body = Buffer.from(JSON.stringify({ hello: 'world'.repeat(100) }));
    for (const key of [null, randomBytes(32)]) {
      const sealed = sealFile('point', body, key);
      expect(sealed.length).toBeLessThan(body.length);
      expect(openFile('point', 'points/x', sealed, key)).toEqual(body);
      const flipped = Buffer.from(sealed);
      flipped[20] = (flipped[20] ?? 0) ^ 1;
      expect(() => openFile('point', 'points/x', flipped, key)).toThrow(
        expect.objectContaining({ code: 'REPO_CORRUPT' }),
      );
      if (key)
        expect(() => openFile('index', 'points/x', sealed, key)).toThrow(/authentication failed/);
    }
  });

  it('reads the content size from zstd frame headers', async () => {
    await init();
    for (const n of [0, 1, 255, 256, 300, 65535, 65536 + 256, 1 << 20, 3 * (1 << 20) + 5]) {
      expect(zstdFrameContentSize(compress(Buffer.alloc(n, 7), 1))).toBe(n);
    }
    expect(zstdFrameContentSize(Buffer.from('not zstd'))).toBe(-1);
  });
});

describe('chunk size', () => {
  it('allows powers of two from 256 KiB to 4 MiB', () => {
    for (const ok of [256, 512, 1024, 2048, 4096])
      expect(() => validateChunkSize(ok * 1024)).not.toThrow();
    for (const bad of [128 * 1024, 8 * 1024 * 1024, 1000 * 1024, 0])
      expect(() => validateChunkSize(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
