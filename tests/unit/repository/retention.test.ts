import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isoWeekKey, selectRetention } from '../../../electron/services/repository/retention';

const now = new Date('2025-06-30T23:00:00Z');
/** One point a day at 22:00 UTC for `days` days ending at `now`, plus an extra morning point every day. */
function daily(days: number): Array<{ id: string; time: string }> {
  const out: Array<{ id: string; time: string }> = [];
  for (let d = 0; d < days; d++) {
    const day = new Date(now.getTime() - d * 86_400_000);
    const date = day.toISOString().slice(0, 10);
    out.push(
      { id: `${date}-pm`, time: `${date}T22:00:00Z` },
      { id: `${date}-am`, time: `${date}T06:00:00Z` },
    );
  }
  return out;
}

describe('selectRetention', () => {
  it('keep-last N keeps the N newest, whatever the input order', () => {
    const pts = daily(3).reverse();
    const r = selectRetention(pts, { keepLast: 2 }, now);
    expect(r.keep).toEqual(['2025-06-30-pm', '2025-06-30-am']);
    expect(r.remove).toHaveLength(4);
    expect(r.reasons['2025-06-30-pm']).toEqual(['newest', 'last 1']);
    expect(r.reasons['2025-06-30-am']).toEqual(['last 2']);
  });

  it('daily keeps the newest point of each of the last N days that have points', () => {
    const r = selectRetention(daily(10), { daily: 3 }, now);
    expect(r.keep).toEqual(['2025-06-30-pm', '2025-06-29-pm', '2025-06-28-pm']);
    expect(r.reasons['2025-06-29-pm']).toEqual(['daily 2025-06-29']);
  });

  it('GFS: daily, weekly (ISO weeks), monthly and yearly combine', () => {
    const pts = daily(400);
    const r = selectRetention(pts, { daily: 7, weekly: 4, monthly: 6, yearly: 2 }, now);
    // 7 days + 2 more Sundays (W27 and W26 are already kept as days) + 5 earlier month ends + the last of 2024.
    expect(r.keep).toContain('2025-06-24-pm'); // 7th day
    expect(r.keep).not.toContain('2025-06-23-pm');
    expect(r.reasons['2025-06-29-pm']).toEqual(['daily 2025-06-29', 'weekly 2025-W26']);
    expect(r.reasons['2025-06-22-pm']).toEqual(['weekly 2025-W25']);
    expect(r.reasons['2025-06-15-pm']).toEqual(['weekly 2025-W24']);
    expect(r.keep).not.toContain('2025-06-08-pm');
    expect(r.reasons['2025-05-31-pm']).toEqual(['monthly 2025-05']);
    expect(r.reasons['2025-01-31-pm']).toEqual(['monthly 2025-01']);
    expect(r.reasons['2024-12-31-pm']).toEqual(['yearly 2024']);
    expect(r.reasons['2025-06-30-pm']).toEqual([
      'newest',
      'daily 2025-06-30',
      'weekly 2025-W27',
      'monthly 2025-06',
      'yearly 2025',
    ]);
    expect(r.keep).toHaveLength(7 + 2 + 5 + 1);
    expect(r.keep.length + r.remove.length).toBe(pts.length);
  });

  it('never removes the newest point, future-dated or unreadable points; no rule keeps all', () => {
    const pts = [
      { id: 'old', time: '2020-01-01T00:00:00Z' },
      { id: 'new', time: '2025-06-01T00:00:00Z' },
      { id: 'future', time: '2026-01-01T00:00:00Z' },
      { id: 'bad', time: 'yesterday' },
    ];
    const r = selectRetention(pts, { keepLast: 0, daily: 0 }, now);
    expect(r.remove).toEqual([]);
    expect(r.reasons.old).toEqual(['no retention rule']);
    const r2 = selectRetention(pts, { monthly: 0, keepLast: 1 }, now);
    expect(new Set(r2.keep)).toEqual(new Set(['new', 'future', 'bad']));
    expect(r2.reasons.future).toEqual(['dated after now']);
    expect(r2.reasons.bad).toEqual(['unreadable time']);
    expect(r2.remove).toEqual(['old']);
  });

  it('iso weeks follow ISO 8601 at year boundaries', () => {
    expect(isoWeekKey(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(isoWeekKey(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeekKey(new Date('2025-06-30T00:00:00Z'))).toBe('2025-W27');
  });

  it('partitions the points and keeps at most the rule budget plus the newest (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 3 * 365 * 24 }), { maxLength: 60 }),
        fc.record({
          keepLast: fc.nat(5),
          daily: fc.nat(5),
          weekly: fc.nat(5),
          monthly: fc.nat(5),
          yearly: fc.nat(3),
        }),
        (hours, policy) => {
          const pts = hours.map((h) => ({
            id: `p${h}`,
            time: new Date(now.getTime() - h * 3_600_000).toISOString(),
          }));
          const r = selectRetention(pts, policy, now);
          expect(new Set([...r.keep, ...r.remove])).toEqual(new Set(pts.map((p) => p.id)));
          expect(r.keep.filter((k) => r.remove.includes(k))).toEqual([]);
          const budget =
            policy.keepLast + policy.daily + policy.weekly + policy.monthly + policy.yearly;
          if (budget > 0) expect(r.keep.length).toBeLessThanOrEqual(budget + 1);
          if (pts.length) expect(r.keep).toContain(`p${Math.min(...hours)}`);
          for (const id of r.keep) expect(r.reasons[id]?.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});
