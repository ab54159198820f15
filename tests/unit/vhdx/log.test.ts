// The metadata log: entries we build parse back, the active sequence is found, torn or foreign entries are ignored.
import { describe, expect, it } from 'vitest';
import {
  buildLogEntry,
  findActiveSequence,
  logEntrySize,
  parseLogEntryAt,
} from '../../../electron/services/vhdx/log';
import { MiB } from '../../../electron/services/vhdx/layout';

const GUID = 'c82755bc-427f-1245-b72c-da70aaabe031';
const OTHER = '11111111-2222-3333-4444-555555555555';

function sector(fill: number): Buffer {
  const b = Buffer.alloc(4096, fill);
  b.writeUInt32LE(0xdeadbeef, 0); // leading bytes
  b.writeUInt32LE(0xcafef00d, 4092); // trailing bytes
  return b;
}

function place(log: Buffer, at: number, entry: Buffer): void {
  for (let i = 0; i < entry.length; i++) log[(at + i) % log.length] = entry[i] as number;
}

describe('log entries', () => {
  it('round-trip data and zero descriptors, including leading and trailing bytes', () => {
    const e = buildLogEntry({
      sequence: 7n,
      logGuid: GUID,
      tail: 0,
      flushedFileOffset: 8 * MiB,
      lastFileOffset: 9 * MiB,
      writes: [
        { fileOffset: 3 * MiB, data: sector(0x11) },
        { fileOffset: 3 * MiB + 4096, data: sector(0x22) },
      ],
      zeros: [{ fileOffset: 5 * MiB, length: 8192 }],
    });
    expect(e.length).toBe(logEntrySize(2, 1));
    expect(e.length).toBe(3 * 4096);
    const log = Buffer.alloc(MiB);
    e.copy(log, 0);
    const p = parseLogEntryAt(log, 0, GUID);
    expect(p).toBeDefined();
    expect(p?.sequence).toBe(7n);
    expect(p?.flushedFileOffset).toBe(8 * MiB);
    expect(p?.lastFileOffset).toBe(9 * MiB);
    expect(p?.ops).toEqual([
      { fileOffset: 5 * MiB, zeroLength: 8192 },
      { fileOffset: 3 * MiB, data: sector(0x11) },
      { fileOffset: 3 * MiB + 4096, data: sector(0x22) },
    ]);
    expect(parseLogEntryAt(log, 0, OTHER)).toBeUndefined();
  });

  it('needs several descriptor sectors beyond 126 descriptors', () => {
    expect(logEntrySize(126)).toBe((1 + 126) * 4096);
    expect(logEntrySize(127)).toBe((2 + 127) * 4096);
    const writes = Array.from({ length: 130 }, (_, i) => ({
      fileOffset: i * 4096,
      data: sector(i & 0xff),
    }));
    const e = buildLogEntry({
      sequence: 1n,
      logGuid: GUID,
      tail: 0,
      flushedFileOffset: 0,
      lastFileOffset: 0,
      writes,
    });
    const log = Buffer.alloc(2 * MiB);
    e.copy(log);
    expect(parseLogEntryAt(log, 0, GUID)?.ops.length).toBe(130);
  });

  it('rejects a torn entry (any changed byte breaks the CRC)', () => {
    const e = buildLogEntry({
      sequence: 3n,
      logGuid: GUID,
      tail: 0,
      flushedFileOffset: 0,
      lastFileOffset: 0,
      writes: [{ fileOffset: 4096, data: sector(1) }],
    });
    for (const at of [8, 70, 4096 + 100, e.length - 1]) {
      const log = Buffer.alloc(MiB);
      e.copy(log);
      log[at] = (log[at] as number) ^ 0x40;
      expect(parseLogEntryAt(log, 0, GUID)).toBeUndefined();
    }
  });
});

describe('active sequence', () => {
  const mk = (seq: bigint, fill: number, tail = 0): Buffer =>
    buildLogEntry({
      sequence: seq,
      logGuid: GUID,
      tail,
      flushedFileOffset: MiB,
      lastFileOffset: 2 * MiB,
      writes: [{ fileOffset: 2 * MiB, data: sector(fill) }],
    });

  it('is empty for an empty log or a log of another LogGuid', () => {
    expect(findActiveSequence(Buffer.alloc(MiB), GUID)).toBeUndefined();
    const log = Buffer.alloc(MiB);
    mk(1n, 1).copy(log);
    expect(findActiveSequence(log, OTHER)).toBeUndefined();
  });

  it('replays consecutive entries in order and ends at the highest sequence', () => {
    const log = Buffer.alloc(MiB);
    const e1 = mk(5n, 1);
    const e2 = mk(6n, 2);
    e1.copy(log, 0);
    e2.copy(log, e1.length);
    const s = findActiveSequence(log, GUID);
    expect(s?.entries.map((e) => e.sequence)).toEqual([5n, 6n]);
    expect(s?.ops.map((o) => o.data?.[100])).toEqual([1, 2]);
    expect(s?.nextOffset).toBe(e1.length + e2.length);
  });

  it('starts at the tail of the last entry', () => {
    const log = Buffer.alloc(MiB);
    const e1 = mk(5n, 1);
    const e2 = mk(6n, 2, e1.length);
    e1.copy(log, 0);
    e2.copy(log, e1.length);
    expect(findActiveSequence(log, GUID)?.entries.map((e) => e.sequence)).toEqual([6n]);
  });

  it('prefers the run with the highest sequence even if it sits earlier in the buffer', () => {
    const log = Buffer.alloc(MiB);
    mk(9n, 9).copy(log, 0);
    mk(3n, 3).copy(log, 512 * 1024);
    mk(4n, 4).copy(log, 512 * 1024 + 8192);
    const s = findActiveSequence(log, GUID);
    expect(s?.lastSequence).toBe(9n);
    expect(s?.ops[0]?.data?.[100]).toBe(9);
  });

  it('follows an entry that wraps around the end of the circular buffer', () => {
    const log = Buffer.alloc(MiB);
    const e = mk(2n, 7);
    place(log, MiB - 4096, e);
    const s = findActiveSequence(log, GUID);
    expect(s?.ops[0]?.data?.equals(sector(7))).toBe(true);
  });

  it('ignores a sequence gap (the later entry is not part of the run)', () => {
    const log = Buffer.alloc(MiB);
    const e1 = mk(5n, 1);
    e1.copy(log, 0);
    mk(8n, 8).copy(log, e1.length);
    const s = findActiveSequence(log, GUID);
    expect(s?.entries.map((e) => e.sequence)).toEqual([8n]);
  });
});
