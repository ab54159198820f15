// CRC-32C: published check values, RFC 3720 iSCSI vectors, and agreement with a bit-by-bit reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  crc32cFinish,
  crc32cUpdate,
  crc32cWithZeroedField,
} from '../../../electron/services/vhdx/crc32c';

function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the CRC-32C check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('is 0 for empty input', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with a bitwise reference on random data, lengths and offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(40), fc.nat(40), (data, a, b) => {
        const s = Math.min(a, data.length);
        const e = Math.max(s, data.length - b);
        expect(crc32c(data, s, e)).toBe(reference(data.subarray(s, e)));
      }),
      { numRuns: 500 },
    );
  });

  it('can be computed incrementally', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (data, cut) => {
        const k = Math.min(cut, data.length);
        expect(crc32cFinish(crc32cUpdate(crc32cUpdate(0xffffffff, data, 0, k), data, k))).toBe(
          crc32c(data),
        );
      }),
    );
  });

  it('treats the checksum field as zero without modifying the buffer', () => {
    const b = Buffer.from('headXXXXrest of a structure');
    const z = Buffer.from(b);
    z.fill(0, 4, 8);
    expect(crc32cWithZeroedField(b, 4)).toBe(crc32c(z));
    expect(b.toString('latin1', 4, 8)).toBe('XXXX');
  });

  it('hashes 64 MiB in well under a second (table-driven)', () => {
    const big = Buffer.alloc(64 * 1024 * 1024, 0x5a);
    const t = performance.now();
    crc32c(big);
    expect(performance.now() - t).toBeLessThan(1500);
  });
});
