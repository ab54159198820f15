// Builds the only command texts ever written to a PowerShell process. Security rule: no user text reaches the
// PowerShell parser; every value travels as UTF-8 JSON inside ONE base64 literal that the script decodes itself.
import { randomBytes } from 'node:crypto';
import { HvbcError } from '../../../../shared/errors';
import { isScriptName, SCRIPT_NAMES, type ScriptName } from './registry';

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random marker id (32 alphanumerics): output can only be framed by someone who knows it. */
export function newNonce(): string {
  const bytes = randomBytes(32);
  let s = '';
  for (const b of bytes) s += NONCE_ALPHABET[b % NONCE_ALPHABET.length];
  return s;
}

export const NONCE_RE = /^[A-Za-z0-9]{16,64}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `& $HvbcInvoke '<allow-listed name>' '<base64>'`: the one shape of a script invocation. */
export const INVOCATION_SHAPE = new RegExp(
  `^& \\$HvbcInvoke '(?:${SCRIPT_NAMES.join('|')})' '(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?'$`,
);
/** The session bootstrap: a fixed loader, a nonce, the base64 of our own script texts. */
export const BOOTSTRAP_SHAPE =
  /^\. \(\[ScriptBlock\]::Create\(\[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('[A-Za-z0-9+/=]+'\)\)\)\) '[A-Za-z0-9]{16,64}' '[A-Za-z0-9+/=]+'$/;

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The JSON the script receives: `{ nonce, params }`, base64-encoded. Throws VALIDATION for non-JSON values. */
export function encodeRequest(nonce: string, params: unknown): string {
  if (!NONCE_RE.test(nonce)) throw new HvbcError('INTERNAL', 'Invalid invocation nonce.');
  let json: string;
  try {
    json = JSON.stringify({ nonce, params: params ?? {} }, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('non-finite number');
      return v;
    });
  } catch (e) {
    throw new HvbcError(
      'VALIDATION',
      `Script parameters are not plain JSON: ${(e as Error).message}`,
    );
  }
  return b64(json);
}

export function decodeRequest(base64: string): { nonce: string; params: unknown } {
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as {
    nonce: string;
    params: unknown;
  };
}

/**
 * The command text for one script invocation. The script name comes from the fixed allow-list; every
 * parameter (VM names, paths, host names, secrets) is inside the single base64 literal.
 */
export function buildInvocationCommand(name: ScriptName, params: unknown, nonce: string): string {
  if (!isScriptName(name)) throw new HvbcError('VALIDATION', 'Unknown PowerShell script.');
  const cmd = `& $HvbcInvoke '${name}' '${encodeRequest(nonce, params)}'`;
  assertSafeCommand(cmd);
  return cmd;
}

/** The one-line bootstrap that defines $HvbcInvoke and the script blocks in a fresh process. */
export function buildBootstrapCommand(
  bootstrapText: string,
  scripts: Record<string, string>,
  nonce: string,
): string {
  for (const n of Object.keys(scripts))
    if (!isScriptName(n)) throw new HvbcError('INTERNAL', `Script "${n}" is not allow-listed.`);
  if (!NONCE_RE.test(nonce)) throw new HvbcError('INTERNAL', 'Invalid bootstrap nonce.');
  const cmd =
    `. ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64(bootstrapText)}')))) ` +
    `'${nonce}' '${b64(JSON.stringify(scripts))}'`;
  assertSafeCommand(cmd);
  return cmd;
}

/** Last line of defence before stdin: a command must match one of the two fixed shapes exactly. */
export function assertSafeCommand(cmd: string): void {
  const ok = INVOCATION_SHAPE.test(cmd) || BOOTSTRAP_SHAPE.test(cmd);
  if (!ok)
    throw new HvbcError(
      'INTERNAL',
      'Refusing to send a PowerShell command that does not have an allowed shape.',
    );
}

export function isBase64(s: string): boolean {
  return BASE64_RE.test(s);
}
