// Parsers and builders of the VHDX structures: GUIDs, headers, region tables, metadata, parent locator, BAT math.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import {
  batGeometry,
  batRegionLength,
  bitmapIndex,
  blockOfIndex,
  encodeEntry,
  entryOffset,
  entryReserved,
  entryState,
  isBitmapIndex,
  payloadIndex,
  setEntry,
} from '../../../electron/services/vhdx/bat';
import { crc32cWithZeroedField } from '../../../electron/services/vhdx/crc32c';
import {
  bracedGuid,
  guidFromBytes,
  guidToBytes,
  normalizeGuid,
} from '../../../electron/services/vhdx/guid';
import {
  parseHeader,
  selectCurrentHeader,
  serializeHeader,
  type VhdxHeader,
} from '../../../electron/services/vhdx/header';
import {
  MiB,
  REGION_GUID_BAT,
  REGION_GUID_METADATA,
  META_PARENT_LOCATOR,
} from '../../../electron/services/vhdx/layout';
import {
  buildMetadataRegion,
  buildParentLocator,
  decodeMetadata,
  parentInfoFromLocator,
  parseMetadataTable,
  parseParentLocator,
  systemItemRanges,
} from '../../../electron/services/vhdx/metadata';
import { parseRegionTable, serializeRegionTable } from '../../../electron/services/vhdx/region';

const header: VhdxHeader = {
  sequenceNumber: 14n,
  fileWriteGuid: 'ccbd40d9-cf89-45da-8e46-a805ce97e20d',
  dataWriteGuid: 'b298d413-f67e-412a-9a72-c7c7fc9b6cb5',
  logGuid: '00000000-0000-0000-0000-000000000000',
  logVersion: 0,
  version: 1,
  logLength: MiB,
  logOffset: MiB,
};

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HvbcError);
    expect((e as HvbcError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('GUIDs', () => {
  it('use the mixed-endian on-disk layout (BAT region GUID bytes from MS-VHDX)', () => {
    expect(guidToBytes(REGION_GUID_BAT).toString('hex')).toBe('6677c22d23f600429d64115e9bfd4a08');
    expect(guidToBytes(REGION_GUID_METADATA).toString('hex')).toBe(
      '06a27c8b90479a4bb8fe575f050f886e',
    );
    expect(guidFromBytes(Buffer.from('2d5fd3a80bb34d45abf7d3d84834ab0c', 'hex'))).toBe(
      META_PARENT_LOCATOR,
    );
  });

  it('round-trip any GUID and normalise braces and case', () => {
    fc.assert(
      fc.property(fc.uuid(), (u) => {
        expect(guidFromBytes(guidToBytes(u))).toBe(u.toLowerCase());
        expect(normalizeGuid(bracedGuid(u.toUpperCase()))).toBe(u.toLowerCase());
      }),
    );
  });
});

describe('headers', () => {
  it('serialise and parse back with a valid CRC', () => {
    const raw = serializeHeader(header);
    expect(raw.length).toBe(4096);
    expect(raw.toString('latin1', 0, 4)).toBe('head');
    expect(raw.readUInt32LE(4)).toBe(crc32cWithZeroedField(raw, 4));
    const p = parseHeader(raw);
    expect(p.ok).toBe(true);
    if (p.ok) expect(p.header).toEqual(header);
  });

  it('reject a bad signature or checksum', () => {
    const raw = serializeHeader(header);
    const bad = Buffer.from(raw);
    bad[100] = 1;
    expect(parseHeader(bad)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('checksum'),
    });
    const sig = Buffer.from(raw);
    sig.write('HEAD', 0, 'latin1');
    expect(parseHeader(sig)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('signature'),
    });
  });

  it('pick the valid header with the larger sequence number', () => {
    const a = serializeHeader({ ...header, sequenceNumber: 6n });
    const b = serializeHeader({
      ...header,
      sequenceNumber: 7n,
      dataWriteGuid: '11111111-2222-3333-4444-555555555555',
    });
    expect(selectCurrentHeader(a, b).current).toBe(1);
    expect(selectCurrentHeader(b, a).current).toBe(0);
    const broken = Buffer.from(b);
    broken[200] = broken[200]! ^ 0xff;
    expect(selectCurrentHeader(a, broken).header.sequenceNumber).toBe(6n);
  });

  it('accept identical headers with equal sequence numbers (Disk2VHD) but not different ones', () => {
    const a = serializeHeader({ ...header, sequenceNumber: 1n });
    expect(selectCurrentHeader(a, Buffer.from(a)).current).toBe(0);
    const b = serializeHeader({
      ...header,
      sequenceNumber: 1n,
      fileWriteGuid: '11111111-2222-3333-4444-555555555555',
    });
    expectCode(() => selectCurrentHeader(a, b), 'VHDX_CORRUPT');
  });

  it('fail with VHDX_CORRUPT when neither header is valid or the current one has bad fields', () => {
    expectCode(() => selectCurrentHeader(Buffer.alloc(4096), Buffer.alloc(4096)), 'VHDX_CORRUPT');
    const v2 = serializeHeader({ ...header, version: 2 });
    expectCode(() => selectCurrentHeader(v2, Buffer.alloc(4096)), 'VHDX_CORRUPT');
    const misaligned = serializeHeader({ ...header, logOffset: MiB + 4096 });
    expectCode(() => selectCurrentHeader(misaligned, Buffer.alloc(4096)), 'VHDX_CORRUPT');
  });
});

describe('region tables', () => {
  const entries = [
    { guid: REGION_GUID_BAT, fileOffset: 3 * MiB, length: MiB, required: true },
    { guid: REGION_GUID_METADATA, fileOffset: 2 * MiB, length: MiB, required: true },
  ];

  it('round-trip and expose BAT and metadata regions regardless of order', () => {
    const p = parseRegionTable(serializeRegionTable(entries));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.table.bat.fileOffset).toBe(3 * MiB);
    expect(p.table.metadata.fileOffset).toBe(2 * MiB);
    const q = parseRegionTable(serializeRegionTable([...entries].reverse()));
    expect(q.ok && q.table.bat.fileOffset).toBe(3 * MiB);
  });

  it('reject overlap, misalignment, missing regions, duplicates and bad CRCs', () => {
    const reason = (e: typeof entries): string => {
      const p = parseRegionTable(serializeRegionTable(e));
      return p.ok ? 'ok' : p.reason;
    };
    expect(reason([entries[0]!, { ...entries[1]!, fileOffset: 3 * MiB }])).toMatch(/overlap/);
    expect(reason([entries[0]!, { ...entries[1]!, fileOffset: 2 * MiB + 4096 }])).toMatch(
      /multiple of 1 MiB/,
    );
    expect(reason([entries[0]!, { ...entries[1]!, fileOffset: 0 }])).toMatch(/header section/);
    expect(reason([entries[0]!])).toMatch(/metadata region is missing/);
    expect(reason([entries[0]!, entries[0]!, entries[1]!])).toMatch(/twice/);
    const raw = serializeRegionTable(entries);
    raw[20] = raw[20]! ^ 1;
    expect(parseRegionTable(raw)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('checksum'),
    });
  });
});

describe('metadata', () => {
  const base = {
    blockSize: 2 * MiB,
    leaveBlocksAllocated: false,
    hasParent: false,
    virtualSize: 10 * MiB,
    virtualDiskId: '788015f0-5e93-4bd2-a5de-b0cd8459db11',
    logicalSectorSize: 512,
    physicalSectorSize: 4096,
  };

  function parse(region: Buffer): ReturnType<typeof decodeMetadata> {
    const entries = parseMetadataTable(region.subarray(0, 65536), region.length);
    const items = new Map<string, Buffer>();
    for (const r of systemItemRanges(entries))
      items.set(r.itemId, region.subarray(r.offset, r.offset + r.length));
    return decodeMetadata(items);
  }

  it('builds Hyper-V layout items that decode back', () => {
    const region = buildMetadataRegion(base, MiB);
    const entries = parseMetadataTable(region.subarray(0, 65536), MiB);
    expect(entries.map((e) => e.offset)).toEqual([65536, 65544, 65552, 65556, 65560]);
    expect(parse(region)).toEqual(base);
  });

  it('rejects bad block sizes, sector sizes, virtual sizes and unknown required items', () => {
    expectCode(
      () => parse(buildMetadataRegion({ ...base, blockSize: 3 * MiB }, MiB)),
      'VHDX_CORRUPT',
    );
    expectCode(
      () => parse(buildMetadataRegion({ ...base, blockSize: 512 * 1024 }, MiB)),
      'VHDX_CORRUPT',
    );
    expectCode(
      () => parse(buildMetadataRegion({ ...base, logicalSectorSize: 1024 }, MiB)),
      'VHDX_CORRUPT',
    );
    expectCode(
      () => parse(buildMetadataRegion({ ...base, virtualSize: 10 * MiB + 100 }, MiB)),
      'VHDX_CORRUPT',
    );
    const region = buildMetadataRegion(base, MiB);
    guidToBytes('12345678-1234-1234-1234-123456789abc').copy(region, 32); // first item becomes unknown, still required
    expectCode(() => parseMetadataTable(region.subarray(0, 65536), MiB), 'VHDX_UNSUPPORTED');
    const noSig = buildMetadataRegion(base, MiB);
    noSig.write('METADATA', 0, 'latin1');
    expectCode(() => parseMetadataTable(noSig.subarray(0, 65536), MiB), 'VHDX_CORRUPT');
  });

  it('requires the parent locator when HasParent is set', () => {
    expectCode(() => parse(buildMetadataRegion({ ...base, hasParent: true }, MiB)), 'VHDX_CORRUPT');
    const locator = buildParentLocator([
      ['parent_linkage', '{FF34003B-11ED-4CF8-A166-B2BE05E20B80}'],
      ['relative_path', '.\\parent.vhdx'],
    ]);
    const md = parse(buildMetadataRegion({ ...base, hasParent: true, locator }, MiB));
    expect(md.parent).toEqual({
      linkage: 'ff34003b-11ed-4cf8-a166-b2be05e20b80',
      relativePath: '.\\parent.vhdx',
    });
  });
});

describe('parent locator', () => {
  it('matches the libvhdi entry vector layout (first key at 20 + 5*12 = 80)', () => {
    const loc = buildParentLocator([
      ['parent_linkage', '{ff34003b-11ed-4cf8-a166-b2be05e20b80}'],
      ['absolute_win32_path', 'C:\\a.avhdx'],
      ['relative_path', '.\\a.avhdx'],
      ['volume_path', '\\\\?\\Volume{0eba351e-5634-46d6-a8cf-4ddc2d6ac0b9}\\a.avhdx'],
      ['parent_linkage2', '{00000000-0000-0000-0000-000000000000}'],
    ]);
    expect(loc.readUInt32LE(20)).toBe(80);
    expect(loc.readUInt16LE(28)).toBe('parent_linkage'.length * 2);
    const info = parentInfoFromLocator(parseParentLocator(loc));
    expect(info.linkage2).toBe('00000000-0000-0000-0000-000000000000');
    expect(info.absoluteWin32Path).toBe('C:\\a.avhdx');
  });

  it('round-trips arbitrary UTF-16 keys and values (property)', () => {
    const key = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
    const value = fc.string({ maxLength: 200, unit: 'grapheme' });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, value), { maxLength: 12, selector: ([k]) => k }),
        (pairs) => {
          const loc = parseParentLocator(buildParentLocator(pairs));
          expect(loc.entries).toEqual(pairs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects entries outside the item, odd lengths, duplicates, a missing linkage and foreign types', () => {
    const loc = buildParentLocator([
      ['parent_linkage', '{ff34003b-11ed-4cf8-a166-b2be05e20b80}'],
      ['relative_path', 'x'],
    ]);
    const out = Buffer.from(loc);
    out.writeUInt32LE(10_000, 20 + 12 + 4);
    expectCode(() => parseParentLocator(out), 'VHDX_CORRUPT');
    const odd = Buffer.from(loc);
    odd.writeUInt16LE(3, 20 + 8);
    expectCode(() => parseParentLocator(odd), 'VHDX_CORRUPT');
    expectCode(
      () =>
        parseParentLocator(
          buildParentLocator([
            ['a', '1'],
            ['a', '2'],
          ]),
        ),
      'VHDX_CORRUPT',
    );
    expectCode(
      () => parentInfoFromLocator(parseParentLocator(buildParentLocator([['relative_path', 'x']]))),
      'VHDX_CORRUPT',
    );
    expectCode(
      () =>
        parentInfoFromLocator(
          parseParentLocator(
            buildParentLocator([['parent_linkage', '{ff34003b-11ed-4cf8-a166-b2be05e20b80}']]),
          ),
        ),
      'VHDX_CORRUPT',
    );
    const foreign = parseParentLocator(
      buildParentLocator(
        [
          ['parent_linkage', '{ff34003b-11ed-4cf8-a166-b2be05e20b80}'],
          ['relative_path', 'x'],
        ],
        '12345678-1234-1234-1234-123456789abc',
      ),
    );
    expectCode(() => parentInfoFromLocator(foreign), 'VHDX_UNSUPPORTED');
  });
});

describe('BAT arithmetic', () => {
  it('computes chunk ratios from the spec examples', () => {
    expect(batGeometry(GiB(1), 32 * MiB, 512, false).chunkRatio).toBe(128);
    expect(batGeometry(GiB(1), 2 * MiB, 512, false).chunkRatio).toBe(2048);
    expect(batGeometry(GiB(1), MiB, 512, false).chunkRatio).toBe(4096);
    expect(batGeometry(GiB(1), MiB, 4096, false).chunkRatio).toBe(32768);
  });

  it('gives the entry counts of the real files (Hyper-V .avhdx: 8 GiB / 2 MiB -> 4098 entries)', () => {
    const g = batGeometry(GiB(8), 2 * MiB, 512, true);
    expect(g.dataBlocks).toBe(4096);
    expect(g.bitmapBlocks).toBe(2);
    expect(g.totalEntries).toBe(4098);
    expect(batGeometry(GiB(8), 2 * MiB, 512, false).totalEntries).toBe(4097);
    expect(batGeometry(10 * MiB, 32 * MiB, 512, false).totalEntries).toBe(1);
    expect(batRegionLength(g)).toBe(MiB);
  });

  it('interleaves one sector-bitmap entry after every chunk-ratio payload entries (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom(512, 4096),
        fc.integer({ min: 1, max: 4_000_000 }),
        fc.boolean(),
        (shift, lss, blocks, diff) => {
          const bs = MiB << shift;
          const g = batGeometry(Math.min(blocks * bs, 64 * 1024 * GiB(1)), bs, lss, diff);
          const blk = Math.min(g.dataBlocks - 1, blocks - 1);
          const idx = payloadIndex(g, blk);
          expect(isBitmapIndex(g, idx)).toBe(false);
          expect(blockOfIndex(g, idx)).toBe(blk);
          const chunk = Math.floor(blk / g.chunkRatio);
          const sb = bitmapIndex(g, chunk);
          expect(isBitmapIndex(g, sb)).toBe(true);
          expect(sb).toBeGreaterThan(idx);
          expect(sb - idx).toBeLessThanOrEqual(g.chunkRatio);
          expect(idx).toBeLessThan(g.totalEntries);
          if (diff) expect(sb).toBeLessThan(g.totalEntries);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('encodes state and 1 MiB offsets in a u64, offsets above 4 GiB included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 2 ** 33 }),
        (state, mb) => {
          const e = encodeEntry(state, mb * MiB);
          expect(entryState(e, 0)).toBe(state);
          expect(entryOffset(e, 0)).toBe(mb * MiB);
          expect(entryReserved(e, 0)).toBe(0);
        },
      ),
    );
    const b = Buffer.alloc(16);
    setEntry(b, 1, 6, 5 * MiB);
    expect(b.readBigUInt64LE(8)).toBe(BigInt(5 * MiB) | 6n);
    expect(() => setEntry(b, 0, 6, 4096)).toThrow(RangeError);
  });
});

function GiB(n: number): number {
  return n * 1024 * MiB;
}
