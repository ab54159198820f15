import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  GENESIS,
  seal,
  verifyChain,
} from '../../../electron/services/drills/hash-chain';

type Rec = {
  id: string;
  status: string;
  vms: Array<{ name: string; secs: number }>;
  prevHash: string;
  hash: string;
};

function chain(n: number): Rec[] {
  const out: Rec[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      seal<Rec>(out[i - 1]?.hash ?? GENESIS, {
        id: `d${i}`,
        status: 'passed',
        vms: [{ name: 'SQL01', secs: 10 + i }],
      }),
    );
  return out;
}

describe('drill hash chain', () => {
  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(
      canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }),
    );
  });

  it('verifies an intact chain', () => {
    expect(verifyChain(chain(5))).toEqual({ ok: true, records: 5 });
  });

  it('detects an edited record', () => {
    const c = chain(4);
    (c[2] as Rec).vms[0] = { name: 'SQL01', secs: 1 };
    expect(verifyChain(c)).toMatchObject({
      ok: false,
      brokenAt: 'd2',
      reason: expect.stringContaining('changed'),
    });
  });

  it('detects a removed or reordered record', () => {
    const c = chain(4);
    expect(verifyChain([c[0], c[2], c[3]] as Rec[])).toMatchObject({
      ok: false,
      brokenAt: 'd2',
      reason: expect.stringContaining('removed'),
    });
    expect(verifyChain([c[1], c[0]] as Rec[])).toMatchObject({ ok: false, brokenAt: 'd1' });
  });

  it('detects a status flipped from failed to passed even with the hash recomputed alone', () => {
    const c = chain(3);
    const forged = { ...(c[1] as Rec), status: 'failed' };
    const resealed = seal<Rec>(forged.prevHash, {
      id: forged.id,
      status: forged.status,
      vms: forged.vms,
    });
    expect(verifyChain([c[0], resealed, c[2]] as Rec[]).ok).toBe(false); // the next record no longer follows
  });
});
