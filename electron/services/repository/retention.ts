// Retention: which restore points to keep (keep-last N and GFS: daily, weekly, monthly, yearly), as a pure
// function. Callers prune with Repository.deletePoint only after a new point is written and verified.
//
// Rules (like restic's forget): points are taken newest first; "daily 7" keeps the newest point of each of the
// 7 most recent UTC days that have a point (weekly: ISO weeks, monthly, yearly likewise), so stopping backups
// for a while never makes retention delete everything. A point is kept if any rule keeps it. The newest point
// is always kept, and so are points dated after `now` (clock skew) or with an unreadable time. With no rule at
// all, everything is kept.

export interface RetentionPolicy {
  keepLast?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

export interface RetentionResult {
  keep: string[];
  remove: string[];
  /** Why each kept point is kept, e.g. ["last 1", "daily 2025-03-02", "weekly 2025-W09"]. */
  reasons: Record<string, string[]>;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO 8601 week of a UTC date, as "YYYY-Www" (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day); // Thursday of this week decides the year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

const BUCKETS: Array<{ rule: keyof RetentionPolicy; name: string; key: (d: Date) => string }> = [
  {
    rule: 'daily',
    name: 'daily',
    key: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
  },
  { rule: 'weekly', name: 'weekly', key: isoWeekKey },
  {
    rule: 'monthly',
    name: 'monthly',
    key: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`,
  },
  { rule: 'yearly', name: 'yearly', key: (d) => String(d.getUTCFullYear()) },
];

export function selectRetention(
  points: Array<{ id: string; time: string }>,
  policy: RetentionPolicy,
  now: Date = new Date(),
): RetentionResult {
  const reasons: Record<string, string[]> = {};
  const why = (id: string, r: string): void => {
    (reasons[id] ??= []).push(r);
  };
  const count = (n: number | undefined): number =>
    n === undefined || !Number.isFinite(n) ? 0 : Math.max(0, Math.floor(n));
  const sorted = points
    .map((p) => ({ ...p, t: Date.parse(p.time) }))
    .sort(
      (a, b) =>
        (Number.isNaN(b.t) ? 0 : b.t) - (Number.isNaN(a.t) ? 0 : a.t) ||
        (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    );
  const hasRule =
    count(policy.keepLast) + BUCKETS.reduce((s, b) => s + count(policy[b.rule]), 0) > 0;

  if (!hasRule) {
    for (const p of sorted) why(p.id, 'no retention rule');
  } else {
    const dated = sorted.filter((p) => {
      if (Number.isNaN(p.t)) why(p.id, 'unreadable time');
      else if (p.t > now.getTime()) why(p.id, 'dated after now');
      else return true;
      return false;
    });
    const newest = dated[0];
    if (newest) why(newest.id, 'newest');
    dated.slice(0, count(policy.keepLast)).forEach((p, i) => why(p.id, `last ${i + 1}`));
    for (const b of BUCKETS) {
      const n = count(policy[b.rule]);
      let last: string | null = null;
      let kept = 0;
      for (const p of dated) {
        if (kept >= n) break;
        const k = b.key(new Date(p.t));
        if (k === last) continue;
        last = k;
        kept++;
        why(p.id, `${b.name} ${k}`);
      }
    }
  }
  const keep: string[] = [];
  const remove: string[] = [];
  for (const p of sorted) (reasons[p.id] ? keep : remove).push(p.id);
  return { keep, remove, reasons };
}
