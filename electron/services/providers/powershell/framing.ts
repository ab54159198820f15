// Pure: the marker protocol between a PowerShell process and the session. Only whole lines that carry the
// invocation's random nonce count; everything else on stdout (warnings, host output, noise) is ignored.
import { z } from 'zod';
import { ErrorCodes, HvbcError, type ErrorCode } from '../../../../shared/errors';

export const MARK = {
  ready: '@@HVBC-READY:',
  begin: '@@HVBC-BEGIN:',
  end: '@@HVBC-END:',
  progress: '@@HVBC-PROGRESS:',
  done: '@@HVBC-DONE:',
} as const;

export type ProgressLine = z.infer<typeof ProgressLine>;
export const ProgressLine = z.object({
  phase: z.string().default(''),
  /** 0..100 from Msvm_ConcreteJob.PercentComplete, or null when unknown. */
  percent: z.number().min(0).max(100).nullable().default(null),
  message: z.string().default(''),
  /** Msvm_ConcreteJob.InstanceID, so a canceled task can stop the job on the host. */
  jobId: z.string().nullable().default(null),
  jobState: z.number().int().nullable().default(null),
});

/** Split a chunk stream into lines (CRLF or LF); keeps the unfinished tail. */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split('\n');
    this.tail = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t === '' ? [] : [t.endsWith('\r') ? t.slice(0, -1) : t];
  }
}

export type LineEvent =
  | { type: 'ready'; info: string }
  | { type: 'progress'; progress: ProgressLine }
  | { type: 'done' }
  | { type: 'line'; line: string };

/** Classify one stdout line for the invocation with `nonce`. */
export function classifyLine(line: string, nonce: string): LineEvent {
  if (line.startsWith(`${MARK.ready}${nonce}:`))
    return { type: 'ready', info: line.slice(MARK.ready.length + nonce.length + 1) };
  if (line === `${MARK.done}${nonce}`) return { type: 'done' };
  if (line.startsWith(`${MARK.progress}${nonce}:`)) {
    const raw = line.slice(MARK.progress.length + nonce.length + 1);
    try {
      const p = ProgressLine.safeParse(JSON.parse(raw));
      if (p.success) return { type: 'progress', progress: p.data };
    } catch {
      /* a malformed progress line is noise, never fatal */
    }
    return { type: 'line', line };
  }
  return { type: 'line', line };
}

export interface Extracted {
  /** The parsed JSON between the markers. */
  value: unknown;
  /** Lines outside the envelope (warnings, noise), for the debug log. */
  noise: string[];
}

/**
 * Find exactly one `BEGIN … END` pair for `nonce` among the command's output lines and parse what lies between.
 * No envelope, an unterminated one, two envelopes, or non-JSON inside → PARSE_FAILED with a clear message.
 */
export function extractEnvelope(
  lines: readonly string[],
  nonce: string,
  script: string,
): Extracted {
  const begin = `${MARK.begin}${nonce}`;
  const end = `${MARK.end}${nonce}`;
  const begins: number[] = [];
  const ends: number[] = [];
  lines.forEach((l, i) => {
    if (l === begin) begins.push(i);
    else if (l === end) ends.push(i);
  });
  const fail = (why: string): never => {
    throw new HvbcError('PARSE_FAILED', `${script}: ${why}`, { script });
  };
  if (begins.length === 0) fail('the script wrote no result envelope (no start marker on stdout).');
  if (begins.length > 1 || ends.length > 1)
    fail(
      `the script wrote ${Math.max(begins.length, ends.length)} result envelopes; exactly one is expected.`,
    );
  const b = begins[0] as number;
  const e = ends[0];
  if (e === undefined || e < b)
    fail('the result envelope is not terminated (no end marker after the start marker).');
  const body = lines
    .slice(b + 1, e)
    .filter((l) => !l.startsWith(`${MARK.progress}${nonce}:`))
    .join('\n')
    .trim();
  if (body === '') fail('the result envelope is empty.');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    fail(
      `the result envelope is not valid JSON (${(err as Error).message}); text starts with ${JSON.stringify(body.slice(0, 60))}.`,
    );
  }
  const noise = [...lines.slice(0, b), ...lines.slice((e as number) + 1)].filter(
    (l) => l.trim() !== '',
  );
  return { value, noise };
}

const Envelope = z.union([
  z.object({
    ok: z.literal(true),
    data: z.unknown(),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      code: z.string(),
      message: z.string(),
      kind: z.string().nullable().optional(),
      details: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
]);

/** Codes a script may report; anything else becomes POWERSHELL_FAILED with the original code in details. */
const SCRIPT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_FOUND',
  'UNAUTHORIZED',
  'CONFLICT',
  'UNSUPPORTED',
  'TIMEOUT',
  'HOST_UNREACHABLE',
  'CHECKPOINT_FAILED',
  'MERGE_PENDING',
  'CSV_BUSY',
  'OUT_OF_SPACE',
  'FILE_LOCKED',
  'VALIDATION',
  'POWERSHELL_FAILED',
]);

/** Validate the envelope; return `data` or throw the script's error as an HvbcError. */
export function unwrapEnvelope(value: unknown, script: string): unknown {
  const r = Envelope.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HvbcError(
      'PARSE_FAILED',
      `${script}: the result envelope has the wrong shape (${issue ? `${issue.path.join('.') || 'root'}: ${issue.message}` : 'unknown'}).`,
      { script },
    );
  }
  const env = r.data;
  if (env.ok) return env.data;
  const known =
    (ErrorCodes as readonly string[]).includes(env.error.code) &&
    SCRIPT_CODES.has(env.error.code as ErrorCode);
  const code: ErrorCode = known ? (env.error.code as ErrorCode) : 'POWERSHELL_FAILED';
  throw new HvbcError(code, `${script}: ${env.error.message}`, {
    script,
    ...(env.error.kind ? { kind: env.error.kind } : {}),
    ...(known ? {} : { scriptCode: env.error.code }),
    ...(env.error.details ?? {}),
  });
}
