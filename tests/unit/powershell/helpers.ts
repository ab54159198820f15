// Test helpers: load the recorded PowerShell fixtures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/powershell',
);
export const EDITIONS = ['5.1', '7'] as const;

export function fixture(rel: string): { _source: string; _notes?: string; envelope: unknown } {
  return JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8')) as {
    _source: string;
    _notes?: string;
    envelope: unknown;
  };
}

/** The data of an ok envelope. */
export function data(rel: string): unknown {
  const env = fixture(rel).envelope as { ok: boolean; data: unknown };
  if (!env.ok) throw new Error(`${rel} is not an ok envelope`);
  return env.data;
}

export function rawText(rel: string, nonce: string): string[] {
  return readFileSync(path.join(FIXTURES, rel), 'utf8')
    .replace(/\{\{NONCE\}\}/g, nonce)
    .replace(/\r/g, '')
    .split('\n');
}
