// Error codes shared by every layer, and the error-as-data envelope that crosses process boundaries.

export const ErrorCodes = [
  'VALIDATION',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'CONFLICT',
  'UNSUPPORTED',
  'INTERNAL',
  'CANCELED',
  'TIMEOUT',
  'HOST_UNREACHABLE',
  'LAB_INVALID',
  'LAB_LOCKED',
  'CHECKPOINT_FAILED',
  'MERGE_PENDING',
  'CSV_BUSY',
  'OUT_OF_SPACE',
  'FILE_LOCKED',
  'VHDX_CORRUPT',
  'VHDX_UNSUPPORTED',
  'CHAIN_BROKEN',
  'PARENT_MISSING',
  'CHAIN_CYCLE',
  'LOG_REPLAY_REQUIRED',
  'REPO_CORRUPT',
  'REPO_LOCKED',
  'REPO_NOT_FOUND',
  'WRONG_PASSPHRASE',
  'PREFLIGHT_BLOCKED',
  'POWERSHELL_FAILED',
  'PARSE_FAILED',
  'DRILL_FAILED',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** The serialisable form of an error: what handlers return and transports carry. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** An Error that carries a code from the shared list; thrown inside services, turned into ErrorData at the edge. */
export class HvbcError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'HvbcError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isHvbcError(e: unknown): e is HvbcError {
  return e instanceof HvbcError;
}

/** Turn anything thrown into ErrorData; unknown errors become INTERNAL with their message. */
export function toErrorData(e: unknown): ErrorData {
  if (e instanceof HvbcError) return e.toData();
  if (e && typeof e === 'object' && 'name' in e && (e as Error).name === 'AbortError') {
    return { code: 'CANCELED', message: 'The operation was canceled.' };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message };
}

/** The result envelope every contract handler returns. */
export type Result<T> = { ok: true; result: T } | { ok: false; error: ErrorData };
