import { describe, expect, it } from 'vitest';
import { nextSlot, parseCron, slotsBetween } from '../../../electron/services/scheduler/cron';

const at = (s: string) => new Date(s);

describe('cron', () => {
  it('finds the next weekday 22:00 slot', () => {
    const spec = parseCron('0 22 * * 1-5');
    expect(nextSlot(spec, at('2026-11-20T21:59:00'))?.toString()).toBe(
      at('2026-11-20T22:00:00').toString(),
    ); // Friday
    expect(nextSlot(spec, at('2026-11-20T22:00:00'))?.toString()).toBe(
      at('2026-11-23T22:00:00').toString(),
    ); // Monday
  });

  it('handles steps, lists and day-of-month/day-of-week or-rule', () => {
    expect(
      slotsBetween(
        parseCron('*/15 * * * *'),
        at('2026-01-01T00:00:00'),
        at('2026-01-01T01:00:00'),
      ).map((d) => d.getMinutes()),
    ).toEqual([15, 30, 45, 0]);
    const s = parseCron('0 0 1 * 0'); // the 1st, or any Sunday
    const days = slotsBetween(s, at('2026-03-01T00:00:00'), at('2026-03-31T23:59:00')).map((d) =>
      d.getDate(),
    );
    expect(days).toEqual([8, 15, 22, 29]); // Mar 1 2026 is a Sunday but the span starts after it
    expect(parseCron('0 0 * * 7').weekdays.has(0)).toBe(true);
  });

  it('rejects malformed expressions with a readable error', () => {
    expect(() => parseCron('0 22 * *')).toThrow(/five fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/minute field "61" must stay within 0-59/);
    expect(() => parseCron('a * * * *')).toThrow(/minute field "a"/);
  });
});
