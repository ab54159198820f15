// THE one place where PowerShell's JSON quirks are normalised (hyperv-api.md §3), as zod building blocks:
// dates (/Date(ms)/ from 5.1, ISO from 7, DMTF from WMI, the 5.1 {value,DisplayHint,DateTime} wrapper), numeric
// enums, single items that are not arrays, null for empty, and depth truncation ("System.Object[]", "@{a=1}"
// where an object was expected) → an issue naming the field, turned into PARSE_FAILED by parseOrThrow().
import { z } from 'zod';
import { HvbcError } from '../../../../shared/errors';

type Ctx = z.core.$RefinementCtx;

/** What ConvertTo-Json leaves when -Depth is exceeded: the object's ToString(). */
export function looksTruncated(v: unknown): v is string {
  return (
    typeof v === 'string' &&
    (/^@\{[\s\S]*\}$/.test(v) ||
      /^(System|Microsoft|Deserialized)\.[A-Za-z0-9_.`+]+(\[\])?$/.test(v))
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function issue(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER as never;
}

function truncated(ctx: Ctx, v: string, expected: string): never {
  return issue(
    ctx,
    `expected ${expected} but got ${describe(v)}: the JSON was truncated (ConvertTo-Json -Depth too low)`,
  );
}

/** Array, tolerating PowerShell's unrolling: null/absent → [], a single object → [object]. */
export function arr<T extends z.ZodType>(item: T) {
  return z.preprocess((v: unknown, ctx: Ctx) => {
    if (v === null || v === undefined) return [];
    if (Array.isArray(v)) return v;
    if (looksTruncated(v)) return truncated(ctx, v, 'an array');
    return [v];
  }, z.array(item));
}

/** Object, rejecting the string a depth-truncated object becomes. */
export function obj<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess((v: unknown, ctx: Ctx) => {
    if (looksTruncated(v)) return truncated(ctx, v, 'an object');
    return v;
  }, z.object(shape));
}

/** Like obj() but null/absent stay null. */
export function objOrNull<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess((v: unknown, ctx: Ctx) => {
    if (v === undefined || v === '') return null;
    if (looksTruncated(v)) return truncated(ctx, v, 'an object');
    return v;
  }, z.object(shape).nullable());
}

const MS_DATE = /^\\?\/Date\((-?\d+)([+-]\d{4})?\)\\?\/$/;
const DMTF = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Any date form PowerShell or WMI emits → ISO-8601 UTC, or undefined if it is not a date. */
export function toIsoDate(v: unknown): string | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v) && 'value' in v)
    return toIsoDate((v as { value: unknown }).value);
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString();
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  let m = MS_DATE.exec(s);
  if (m) return new Date(Number(m[1])).toISOString();
  m = DMTF.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se, us, sign, off] = m;
    const utc =
      Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!, Math.floor(+us! / 1000)) -
      (sign === '-' ? -1 : 1) * +off! * 60_000;
    return new Date(utc).toISOString();
  }
  if (ISO.test(s)) {
    // JS accepts at most millisecond precision reliably: cut .NET's 7-digit fractions.
    const t = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'));
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  return undefined;
}

export const date = z.preprocess((v: unknown, ctx: Ctx) => {
  const d = toIsoDate(v);
  return d ?? issue(ctx, `expected a date (ISO-8601, /Date(ms)/ or DMTF) but got ${describe(v)}`);
}, z.string());

export const dateOrNull = z.preprocess((v: unknown, ctx: Ctx) => {
  if (v === null || v === undefined || v === '') return null;
  const d = toIsoDate(v);
  return d ?? issue(ctx, `expected a date or null but got ${describe(v)}`);
}, z.string().nullable());

/** A non-negative integer that fits a JS number exactly; accepts numeric strings (uint64 emitted as text). */
export const safeInt = z.preprocess((v: unknown, ctx: Ctx) => {
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) {
    const b = BigInt(v.trim());
    if (b > BigInt(Number.MAX_SAFE_INTEGER))
      return issue(ctx, `value ${v} exceeds 2^53 and cannot be represented exactly`);
    return Number(b);
  }
  if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < 0))
    return issue(ctx, `expected a non-negative integer below 2^53 but got ${v}`);
  if (looksTruncated(v)) return truncated(ctx, v, 'a number');
  return v;
}, z.number().int().nonnegative());

export const safeIntOrNull = z.preprocess(
  (v: unknown) => (v === '' || v === undefined ? null : v),
  safeInt.nullable(),
);

/** Booleans as PowerShell may print them: true/false, "True"/"False", 0/1. */
export const bool = z.preprocess((v: unknown) => {
  if (typeof v === 'string') {
    if (/^(true|1)$/i.test(v)) return true;
    if (/^(false|0|)$/i.test(v)) return false;
  }
  if (v === 1) return true;
  if (v === 0 || v === null || v === undefined) return false;
  return v;
}, z.boolean());

/** A string; numbers are accepted and stringified (PowerShell sometimes emits ids as numbers). */
export const str = z.preprocess((v: unknown, ctx: Ctx) => {
  if (typeof v === 'number') return String(v);
  if (v !== null && typeof v === 'object')
    return issue(ctx, `expected a string but got ${describe(v)}`);
  return v;
}, z.string());

/** Empty string, null and absent all become null. */
export const strOrNull = z.preprocess(
  (v: unknown) => (v === '' || v === undefined ? null : typeof v === 'number' ? String(v) : v),
  z.string().nullable(),
);

const GUID_RE =
  /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;
/** A GUID, lower-cased, without braces. */
export const guid = z.preprocess((v: unknown, ctx: Ctx) => {
  const m = typeof v === 'string' ? GUID_RE.exec(v.trim()) : null;
  return m ? (m[1] as string).toLowerCase() : issue(ctx, `expected a GUID but got ${describe(v)}`);
}, z.string());
export const guidOrNull = z.preprocess(
  (v: unknown) =>
    v === '' || v === undefined || v === '00000000-0000-0000-0000-000000000000' ? null : v,
  guid.nullable(),
);

function canon(s: string): string {
  return s.toLowerCase().replace(/[\s_-]/g, '');
}

/**
 * An enum that may arrive as its name (any case, with or without spaces) or as its number.
 * `names` maps canonical names to the output; `numbers` maps numeric values (where documented) to names.
 */
export function enumOf<T extends string>(
  label: string,
  names: Record<string, T>,
  numbers: Record<number, string> = {},
  fallback?: T,
) {
  const table = new Map(Object.entries(names).map(([k, v]) => [canon(k), v]));
  return z.preprocess((v: unknown, ctx: Ctx) => {
    let key: string | undefined;
    if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v.trim()))) {
      const n = Number(v);
      key = numbers[n];
      if (key === undefined) return issue(ctx, `unknown ${label} number ${n}`);
    } else if (typeof v === 'string') key = v;
    else if ((v === null || v === undefined) && fallback !== undefined) return fallback;
    else return issue(ctx, `expected a ${label} but got ${describe(v)}`);
    if (key.trim() === '' && fallback !== undefined) return fallback;
    const out = table.get(canon(key));
    return (
      out ??
      issue(
        ctx,
        `unknown ${label} "${key}" (expected one of ${[...new Set(Object.keys(names))].join(', ')})`,
      )
    );
  }, z.string()) as unknown as z.ZodType<T>;
}

/** Bitmask → names joined with ", " (CSV redirected-I/O reasons, clusapi.h via hyperv-api.md §4.2). */
export function flagsOf(label: string, bits: Record<number, string>, none: readonly string[]) {
  const noneSet = new Set(none.map(canon));
  return z.preprocess((v: unknown, ctx: Ctx) => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v.trim()))) {
      const n = BigInt(v);
      const names = Object.entries(bits)
        .filter(([b]) => (n & BigInt(b)) !== 0n)
        .map(([, name]) => name);
      return names.join(', ');
    }
    if (typeof v !== 'string') return issue(ctx, `expected a ${label} but got ${describe(v)}`);
    return v
      .split(/\s*,\s*/)
      .filter((p) => p !== '' && !noneSet.has(canon(p)))
      .join(', ');
  }, z.string());
}

/** Validate `value`; the first issues become one PARSE_FAILED error naming the script and the field. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 3).map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new HvbcError(
    'PARSE_FAILED',
    `${what}: unexpected output: ${issues.join('; ')}${r.error.issues.length > 3 ? ` (+${r.error.issues.length - 3} more)` : ''}`,
    {
      issues: r.error.issues
        .slice(0, 10)
        .map((i) => ({ path: formatPath(i.path), message: i.message })),
    },
  );
}

export function formatPath(path: readonly PropertyKey[]): string {
  let s = 'data';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return s;
}
