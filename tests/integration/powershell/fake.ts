// Helpers to run sessions and providers against tests/fixtures/powershell/fake-pwsh.mjs.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScriptLibrary } from '../../../electron/services/providers/powershell/script-library';
import {
  PsSession,
  type SessionLogEntry,
  type SessionOptions,
} from '../../../electron/services/providers/powershell/session';

export const FIX = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/powershell',
);
export const FAKE = path.join(FIX, 'fake-pwsh.mjs');

/** On POSIX the fake runs directly (it is executable, with a shebang); on Windows through node. */
export function fakeExecutable(): { executable: string; executableArgs: string[] } {
  return process.platform === 'win32'
    ? { executable: process.execPath, executableArgs: [FAKE] }
    : { executable: FAKE, executableArgs: [] };
}

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'hvbc-ps-'));
}

export interface FakeEnv {
  edition?: '5.1' | '7';
  modes?: Record<string, string>;
  boot?: 'hang' | 'crash';
  logFile?: string;
}

export function fakeEnv(e: FakeEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HVBC_FAKE_FIXTURES: path.join(FIX, e.edition ?? '5.1'),
    ...(e.modes ? { HVBC_FAKE_MODES: JSON.stringify(e.modes) } : {}),
    ...(e.boot ? { HVBC_FAKE_BOOT: e.boot } : {}),
    ...(e.logFile ? { HVBC_FAKE_LOG: e.logFile } : {}),
  };
}

export async function fakeSession(
  o: Partial<SessionOptions> & { fake?: FakeEnv } = {},
): Promise<{ session: PsSession; logs: SessionLogEntry[] }> {
  const { executable, executableArgs } = fakeExecutable();
  const logs: SessionLogEntry[] = [];
  const { fake, ...rest } = o;
  const session = new PsSession({
    label: 'HV01/inventory',
    executable,
    args: [...executableArgs, '-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '-'],
    library: await loadScriptLibrary(),
    startTimeoutMs: 10_000,
    timeouts: { connect: 10_000, inventory: 10_000, command: 10_000, data: 10_000 },
    env: fakeEnv(fake),
    log: (e) => logs.push(e),
    ...rest,
  });
  return { session, logs };
}

export function readLog(
  file: string,
): { pid: number; kind: string; script?: string; keys?: string[]; mode?: string; line?: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { pid: number; kind: string });
}
