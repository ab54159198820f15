// Pure: five-field cron expressions (minute hour day-of-month month day-of-week), next slot and slots in a span.
import { HvbcError } from '../../../shared/errors';

export interface CronSpec {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Both day fields restricted: a day matches when either matches (classic cron rule). */
  dayOr: boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

function parseField(text: string, f: (typeof FIELDS)[number], expr: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m)
      throw new HvbcError(
        'VALIDATION',
        `Cron "${expr}": the ${f.name} field "${part}" is not a number, range (a-b), list (a,b), * or step (*/n).`,
      );
    const step = m[4] ? Number(m[4]) : 1;
    const lo = m[1] === '*' ? f.min : Number(m[2]);
    const hi = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] ? f.max : lo;
    if (step < 1 || lo < f.min || hi > f.max || lo > hi) {
      throw new HvbcError(
        'VALIDATION',
        `Cron "${expr}": the ${f.name} field "${part}" must stay within ${f.min}-${f.max}.`,
      );
    }
    for (let v = lo; v <= hi; v += step) out.add(f.name === 'day of week' && v === 7 ? 0 : v);
  }
  return out;
}

export function parseCron(expr: string): CronSpec {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new HvbcError(
      'VALIDATION',
      `Cron "${expr}" needs five fields: minute hour day-of-month month day-of-week (for example "0 22 * * 1-5").`,
    );
  }
  const [mi, h, d, mo, w] = parts.map((p, i) =>
    parseField(p, FIELDS[i] as (typeof FIELDS)[number], expr),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return {
    minutes: mi,
    hours: h,
    days: d,
    months: mo,
    weekdays: w,
    dayOr: parts[2] !== '*' && parts[4] !== '*',
  };
}

function matches(s: CronSpec, t: Date): boolean {
  if (
    !s.minutes.has(t.getMinutes()) ||
    !s.hours.has(t.getHours()) ||
    !s.months.has(t.getMonth() + 1)
  )
    return false;
  const dom = s.days.has(t.getDate());
  const dow = s.weekdays.has(t.getDay());
  return s.dayOr ? dom || dow : dom && dow;
}

/** The first slot strictly after `after` (local time, minute resolution); null if none within ~5 years. */
export function nextSlot(spec: CronSpec, after: Date): Date | null {
  const t = new Date(after.getTime());
  t.setSeconds(0, 0);
  t.setMinutes(t.getMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!monthOk(spec, t)) {
      t.setMonth(t.getMonth() + 1, 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!dayOk(spec, t)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!spec.hours.has(t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0, 0);
      continue;
    }
    if (matches(spec, t)) return t;
    t.setMinutes(t.getMinutes() + 1);
  }
  return null;
}

function monthOk(spec: CronSpec, t: Date): boolean {
  return spec.months.has(t.getMonth() + 1);
}
function dayOk(spec: CronSpec, t: Date): boolean {
  const dom = spec.days.has(t.getDate());
  const dow = spec.weekdays.has(t.getDay());
  return spec.dayOr ? dom || dow : dom && dow;
}

/** Slots in (from, to], oldest first, at most `max`. */
export function slotsBetween(spec: CronSpec, from: Date, to: Date, max = 1000): Date[] {
  const out: Date[] = [];
  let t = nextSlot(spec, from);
  while (t && t.getTime() <= to.getTime() && out.length < max) {
    out.push(t);
    t = nextSlot(spec, t);
  }
  return out;
}
