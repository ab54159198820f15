// What the CLI prints when a repository task ends: the summary sentence, the problems (at most 50), the ids.
import { describe, expect, it } from 'vitest';
import { repoTaskLines } from '../../../electron/cli/repo-task-text';

describe('repo task lines', () => {
  it('a damaged check lists its first 50 problems, says how many more, and names the affected points', () => {
    const errors = Array.from({ length: 53 }, (_, i) => `chunk ${i} is corrupt`);
    const lines = repoTaskLines(
      'check',
      {
        ok: false,
        missingChunks: [],
        corruptChunks: errors,
        affectedPoints: ['p1', 'p2'],
        errors,
        chunksChecked: 900,
      },
      true,
    );
    expect(lines[0]).toBe(
      'The repository is damaged. 900 chunks checked; 0 missing, 53 corrupt, affecting 2 restore points.',
    );
    expect(lines.filter((l) => /^ {2}chunk \d+ is corrupt$/.test(l))).toHaveLength(50);
    expect(lines).toContain('  … and 3 more (--json lists them all)');
    expect(lines.at(-1)).toBe('Affected restore points: p1, p2');
  });

  it('gc sizes in binary units; an applied retention lists what it removed and kept', () => {
    expect(
      repoTaskLines(
        'gc',
        {
          packsDeleted: 2,
          packsRewritten: 1,
          bytesFreed: 3 * 1048576,
          deferredChunks: 0,
          youngChunks: 0,
        },
        false,
      ),
    ).toEqual(['Garbage collection done. Freed 3.00 MiB; 2 packs deleted, 1 rewritten.']);
    expect(repoTaskLines('forget', { dryRun: false, removed: ['a'], kept: ['b'] }, false)).toEqual([
      'Retention applied: 1 restore point was removed, 1 kept.',
      '  removed a',
      '  kept b',
    ]);
  });
});
