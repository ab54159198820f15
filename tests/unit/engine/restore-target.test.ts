import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FAT_MAGIC,
  restoreTargetProblem,
  targetVolume,
} from '../../../electron/services/engine/restore-target';
import { tempDir } from '../../helpers/tmp';

const GiB = 2 ** 30;
const EXT4 = 0xef53;

describe('restoreTargetProblem', () => {
  const disks = [
    { file: '/r/Virtual Hard Disks/os.vhdx', bytes: 3 * GiB },
    { file: '/r/Virtual Hard Disks/data.vhdx', bytes: 5 * GiB },
  ];

  it('accepts a volume with room for every disk', () => {
    expect(restoreTargetProblem('/r', disks, { freeBytes: 8 * GiB, fsType: EXT4 })).toBeNull();
  });

  it('refuses when the disks hold more data than is free, naming both figures', () => {
    expect(
      restoreTargetProblem('/r', disks, { freeBytes: 8 * GiB - 1, fsType: EXT4 }),
    ).not.toBeNull();
    const p = restoreTargetProblem('/r', disks, { freeBytes: 7.5 * GiB, fsType: EXT4 });
    expect(p).toMatch(/needs at least 8\.00 GiB in \/r .*only 7\.50 GiB is free there/);
    expect(p).toMatch(/nothing was written/);
  });

  it('refuses FAT for a disk file over 4 GiB even with room, and names that disk', () => {
    const p = restoreTargetProblem('/r', disks, { freeBytes: 100 * GiB, fsType: FAT_MAGIC });
    expect(p).toMatch(/FAT file system/);
    expect(p).toMatch(/data\.vhdx needs at least 5\.00 GiB/);
  });

  it('allows FAT when every disk file stays under 4 GiB', () => {
    const small = [{ file: '/r/a.vhdx', bytes: 4 * GiB - 1 }];
    expect(
      restoreTargetProblem('/r', small, { freeBytes: 100 * GiB, fsType: FAT_MAGIC }),
    ).toBeNull();
  });
});

describe('targetVolume', () => {
  it('reads the volume of the nearest existing folder when the target does not exist yet', async () => {
    const tmp = tempDir();
    try {
      const here = await targetVolume(tmp.dir);
      const deeper = await targetVolume(path.join(tmp.dir, 'not', 'yet', 'made'));
      expect(here?.freeBytes).toBeGreaterThan(0);
      expect(deeper?.fsType).toBe(here?.fsType);
      // Same volume: free space moves only by what others write meanwhile.
      expect(Math.abs((deeper?.freeBytes ?? 0) - (here?.freeBytes ?? 0))).toBeLessThan(GiB);
    } finally {
      tmp.cleanup();
    }
  });
});
