// Pure: the warning a backup leaves when the repository's storage could not take another run like it.
import type { StorageSpace } from '../repository/backend';
import { fmtBytes } from '../planner/select';

/** A warning when less is free than this run stored (the next run of the same size would fail), else null. */
export function repoSpaceWarning(space: StorageSpace | null, storedThisRun: number): string | null {
  if (!space || storedThisRun <= 0 || space.freeBytes >= storedThisRun) return null;
  return `LOW SPACE: the repository's volume has ${fmtBytes(space.freeBytes)} free of ${fmtBytes(space.sizeBytes)}, less than this run stored (${fmtBytes(storedThisRun)}): the next backup may not fit. Forget old restore points and run gc, or add space.`;
}
