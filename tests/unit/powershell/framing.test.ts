// The marker protocol: one envelope per command, noise ignored, everything else PARSE_FAILED.
import { describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import {
  classifyLine,
  extractEnvelope,
  LineSplitter,
  unwrapEnvelope,
} from '../../../electron/services/providers/powershell/framing';
import { rawText } from './helpers';

const NONCE = 'N0nceN0nceN0nceN0nceN0nceN0nce12';
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return `${(e as HvbcError).code}: ${(e as Error).message}`;
  }
  return 'no error';
};

describe('extractEnvelope', () => {
  it('ignores noise outside the markers, including a forged envelope with another nonce', () => {
    const { value, noise } = extractEnvelope(
      rawText('malformed/noise-outside.txt', NONCE),
      NONCE,
      'Remove-HvbcCheckpoint',
    );
    expect(unwrapEnvelope(value, 'Remove-HvbcCheckpoint')).toEqual({
      removed: true,
      checkpointId: 'a1b2c3d4-0001-4000-8000-000000000001',
    });
    expect(noise.some((l) => l.startsWith('WARNING:'))).toBe(true);
  });

  it.each([
    ['two-envelopes.txt', /2 result envelopes/],
    ['garbage-inside.txt', /not valid JSON.*WARNING/],
    ['trailing-garbage.txt', /not valid JSON/],
    ['unterminated.txt', /not terminated/],
    ['no-envelope.txt', /no result envelope/],
  ])('%s → PARSE_FAILED', (file, pattern) => {
    const msg = code(() =>
      extractEnvelope(rawText(`malformed/${file}`, NONCE), NONCE, 'Remove-HvbcCheckpoint'),
    );
    expect(msg).toMatch(/^PARSE_FAILED: Remove-HvbcCheckpoint: /);
    expect(msg).toMatch(pattern);
  });
});

describe('unwrapEnvelope', () => {
  it('turns a script error into its code, unknown codes into POWERSHELL_FAILED', () => {
    expect(
      code(() =>
        unwrapEnvelope(
          {
            ok: false,
            error: {
              code: 'CHECKPOINT_FAILED',
              message: 'Checkpoint operation failed.',
              kind: 'X',
            },
          },
          'New-HvbcCheckpoint',
        ),
      ),
    ).toBe('CHECKPOINT_FAILED: New-HvbcCheckpoint: Checkpoint operation failed.');
    expect(
      code(() => unwrapEnvelope({ ok: false, error: { code: 'WEIRD', message: 'm' } }, 's')),
    ).toMatch(/^POWERSHELL_FAILED/);
    // A script may not claim codes that belong to other layers.
    expect(
      code(() => unwrapEnvelope({ ok: false, error: { code: 'REPO_CORRUPT', message: 'm' } }, 's')),
    ).toMatch(/^POWERSHELL_FAILED/);
    expect(code(() => unwrapEnvelope({ ok: 'true', data: 1 }, 's'))).toMatch(
      /^PARSE_FAILED: s: the result envelope has the wrong shape/,
    );
  });
});

describe('lines', () => {
  it('splits CRLF/LF across chunk boundaries', () => {
    const s = new LineSplitter();
    expect(s.push('a\r')).toEqual([]);
    expect(s.push('\nb\nc')).toEqual(['a', 'b']);
    expect(s.flush()).toEqual(['c']);
  });

  it('classifies progress (valid or not), done and ready lines only for the right nonce', () => {
    expect(classifyLine(`@@HVBC-PROGRESS:${NONCE}:{"phase":"export","percent":40}`, NONCE)).toEqual(
      {
        type: 'progress',
        progress: { phase: 'export', percent: 40, message: '', jobId: null, jobState: null },
      },
    );
    expect(classifyLine(`@@HVBC-PROGRESS:${NONCE}:{"percent":400}`, NONCE).type).toBe('line');
    expect(classifyLine(`@@HVBC-DONE:${NONCE}`, NONCE).type).toBe('done');
    expect(classifyLine(`@@HVBC-DONE:${NONCE}x`, NONCE).type).toBe('line');
    expect(classifyLine(`@@HVBC-DONE:OTHERNONCEOTHERNONCE`, NONCE).type).toBe('line');
    expect(classifyLine(`@@HVBC-READY:${NONCE}:{}`, NONCE)).toEqual({ type: 'ready', info: '{}' });
  });
});
