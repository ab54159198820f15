// The disk content digest: a fixed formula over the chunk table, equal whether built from data or from ids.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dataDigest, isZero, tableDigest } from '../../../electron/services/repository/digest';

const sha = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

describe('disk content digest', () => {
  it('is SHA-256 over domain, sizes and the chunk table (zero chunks as 32 zero bytes)', () => {
    const cs = 4096;
    const data = Buffer.concat([randomBytes(cs), Buffer.alloc(cs), randomBytes(100)]);
    const table = Buffer.concat([
      sha(data.subarray(0, cs)),
      Buffer.alloc(32),
      sha(data.subarray(2 * cs)),
    ]);
    const head = Buffer.alloc(16);
    head.writeBigUInt64BE(BigInt(cs), 0);
    head.writeBigUInt64BE(BigInt(data.length), 8);
    const want = createHash('sha256')
      .update(Buffer.from('hvbc-disk-digest-v1\0'))
      .update(head)
      .update(table)
      .digest('hex');
    expect(tableDigest(table, cs, data.length)).toBe(want);
    expect(dataDigest(data, cs)).toBe(want);
  });

  it('changes with any byte, the chunk size, the virtual size or the id key', () => {
    const cs = 4096;
    const data = randomBytes(3 * cs);
    const d = dataDigest(data, cs);
    const flipped = Buffer.from(data);
    flipped[5000] = (flipped[5000] ?? 0) ^ 1;
    expect(dataDigest(flipped, cs)).not.toBe(d);
    expect(dataDigest(data, 2 * cs)).not.toBe(d);
    expect(dataDigest(Buffer.concat([data, Buffer.alloc(cs)]), cs)).not.toBe(d);
    expect(dataDigest(data, cs, randomBytes(32))).not.toBe(d);
  });

  it('isZero sees a single set bit anywhere, across its 1 MiB comparison pieces', () => {
    const b = Buffer.alloc((1 << 20) * 2 + 17);
    expect(isZero(b)).toBe(true);
    for (const at of [0, 1 << 20, b.length - 1]) {
      b[at] = 1;
      expect(isZero(b)).toBe(false);
      b[at] = 0;
    }
    expect(isZero(new Uint8Array(0))).toBe(true);
  });
});
