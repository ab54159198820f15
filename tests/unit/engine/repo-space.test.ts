import { describe, expect, it } from 'vitest';
import { repoSpaceWarning } from '../../../electron/services/engine/repo-space';

const GiB = 2 ** 30;

describe('repoSpaceWarning', () => {
  it('stays quiet while another run of the same size fits', () => {
    expect(repoSpaceWarning({ freeBytes: 10 * GiB, sizeBytes: 100 * GiB }, 10 * GiB)).toBeNull();
  });

  it('warns when less is free than this run stored, with both figures and what to do', () => {
    const w = repoSpaceWarning({ freeBytes: 3 * GiB, sizeBytes: 100 * GiB }, 4 * GiB);
    expect(w).toMatch(/^LOW SPACE: .*3\.00 GiB free of 100 GiB.*\(4\.00 GiB\)/);
    expect(w).toMatch(/Forget old restore points and run gc, or add space\.$/);
  });

  it('says nothing when the storage does not report its space, or nothing was stored', () => {
    expect(repoSpaceWarning(null, 4 * GiB)).toBeNull();
    expect(repoSpaceWarning({ freeBytes: 0, sizeBytes: 100 * GiB }, 0)).toBeNull();
  });
});
