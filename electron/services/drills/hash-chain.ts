// Pure: the hash chain over drill records, so an edited or removed record (or report) is detectable.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: the same record always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

export const GENESIS = '0'.repeat(64);

export function recordHash(prevHash: string, body: object): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(body))
    .digest('hex');
}

/** Seal a record: set prevHash and hash over everything else. */
export function seal<T extends { prevHash: string; hash: string }>(
  prevHash: string,
  rec: Omit<T, 'prevHash' | 'hash'>,
): T {
  const body = { ...rec, prevHash } as Record<string, unknown>;
  return { ...body, hash: recordHash(prevHash, body) } as T;
}

export function verifyChain(records: Array<{ id: string; prevHash: string; hash: string }>): {
  ok: boolean;
  records: number;
  brokenAt?: string;
  reason?: string;
} {
  let prev = GENESIS;
  for (const r of records) {
    if (r.prevHash !== prev)
      return {
        ok: false,
        records: records.length,
        brokenAt: r.id,
        reason: `record ${r.id} does not follow the record before it (a record was removed or reordered)`,
      };
    const { hash, ...body } = r;
    if (recordHash(prev, body) !== hash)
      return {
        ok: false,
        records: records.length,
        brokenAt: r.id,
        reason: `record ${r.id} was changed after it was written`,
      };
    prev = hash;
  }
  return { ok: true, records: records.length };
}
