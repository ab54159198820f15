// The sentences summing up check, gc and retention results (shared by the console and the CLI).
import { describe, expect, it } from 'vitest';
import {
  checkDetail,
  checkHeadline,
  forgetDetail,
  forgetHeadline,
  gcSummary,
} from '../../../shared/repo-result-text';

const check = { missingChunks: [], corruptChunks: [], affectedPoints: [], errors: [] };

describe('repository result sentences', () => {
  it('check: consistent, verified or damaged, with counts', () => {
    const ok = { ...check, ok: true, chunksChecked: 1234 };
    expect(`${checkHeadline(ok, false)} ${checkDetail(ok)}`).toBe(
      'Structure is consistent. 1,234 chunks checked.',
    );
    expect(checkHeadline(ok, true)).toBe('Verified: every chunk re-hashed and intact.');
    const bad = {
      ...check,
      ok: false,
      chunksChecked: 1,
      missingChunks: ['a'],
      corruptChunks: ['b', 'c'],
      affectedPoints: ['p'],
    };
    expect(`${checkHeadline(bad, true)} ${checkDetail(bad)}`).toBe(
      'The repository is damaged. 1 chunk checked; 1 missing, 2 corrupt, affecting 1 restore point.',
    );
  });

  it('gc: what was freed, and what was left for a later run and why', () => {
    expect(
      gcSummary({
        packsDeleted: 1,
        packsRewritten: 0,
        bytesFreed: 10,
        deferredChunks: 0,
        youngChunks: 0,
      }),
    ).toBe('Freed 10 B; 1 pack deleted, 0 rewritten.');
    expect(
      gcSummary({
        packsDeleted: 0,
        packsRewritten: 2,
        bytesFreed: 0,
        deferredChunks: 3,
        youngChunks: 1,
      }),
    ).toBe(
      'Freed 0 B; 0 packs deleted, 2 rewritten. 3 chunks kept for now because backups were running; a later run removes them. 1 unused chunk written less than 10 minutes ago is left for a later run (a backup may still be using them).',
    );
  });

  it('retention: a preview says "would be", a run says what was removed', () => {
    const dry = { dryRun: true, removed: ['a', 'b'], kept: ['c'] };
    expect(`${forgetHeadline(dry)} ${forgetDetail(dry)}`).toBe(
      'Retention preview (nothing removed): 2 restore points would be removed, 1 kept.',
    );
    const done = { dryRun: false, removed: ['a'], kept: [] };
    expect(`${forgetHeadline(done)} ${forgetDetail(done)}`).toBe(
      'Retention applied: 1 restore point was removed, 0 kept.',
    );
  });
});
