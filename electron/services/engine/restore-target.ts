// A restore's target folder: pre-flight (empty, and a volume that can hold the disks) before anything is written, and
// the marker that flags a restore that has not finished.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../shared/errors';
import { fmtBytes } from '../planner/select';

/** Kept in the folder while a restore runs: a restore whose process was killed leaves it behind, with its disks. */
export const INCOMPLETE_MARKER = 'RESTORE-INCOMPLETE.txt';

/**
 * The target folder's entries must be none (it may not exist yet). Refuses a file, an unreadable folder and a
 * non-empty one, naming an unfinished restore when its marker is there.
 */
export async function assertEmptyTarget(dir: string): Promise<void> {
  const entries = await fs.readdir(dir).catch((e: NodeJS.ErrnoException): string[] => {
    if (e.code === 'ENOENT') return [];
    throw new HvbcError(
      'VALIDATION',
      `${dir} cannot be used as a restore folder (${e.message}). Choose an empty or new folder; nothing was written.`,
      { targetDir: dir },
    );
  });
  if (entries.includes(INCOMPLETE_MARKER))
    throw new HvbcError(
      'CONFLICT',
      `${dir} holds a restore that did not finish (its process was stopped; see ${INCOMPLETE_MARKER}): its disks are incomplete. Delete the folder, then restore again; nothing was written.`,
      { targetDir: dir },
    );
  if (entries.length > 0)
    throw new HvbcError(
      'CONFLICT',
      `${dir} is not empty. Choose an empty or new folder; nothing was written.`,
      { targetDir: dir },
    );
}

/**
 * A restore folder the admin typed: not blank, and its parent exists (a typo in the drive or path must not
 * quietly make a new tree there). Nothing is created either way.
 */
export async function assertTargetTyped(targetDir: string): Promise<void> {
  if (!targetDir.trim())
    throw new HvbcError(
      'VALIDATION',
      'The restore folder is blank: give a folder, or leave it out for the default one. Nothing was written.',
    );
  const parent = path.dirname(path.resolve(targetDir));
  const st = await fs.stat(parent).catch(() => null);
  if (!st?.isDirectory())
    throw new HvbcError(
      'VALIDATION',
      `${parent} (where the restore folder would go) does not exist. Check the drive and path, or create that folder first. Nothing was written.`,
      { targetDir },
    );
}

/** Refuses a target inside the repository: restored disks there would look like damage to its checks. */
export function assertOutsideRepository(targetDir: string, repoDir: string): void {
  const inRepo = path.relative(path.resolve(repoDir), targetDir);
  if (!inRepo.startsWith('..') && !path.isAbsolute(inRepo))
    throw new HvbcError(
      'VALIDATION',
      `${targetDir} is inside the repository (${repoDir}): restored disks there would look like damage to its checks. Choose a folder outside it; nothing was written.`,
      { targetDir },
    );
}

/** Write the marker (before the first disk) that says the folder's restore has not finished. */
export async function markIncomplete(dir: string, what: string): Promise<string> {
  const file = path.join(dir, INCOMPLETE_MARKER);
  await fs.writeFile(
    file,
    `This folder holds a restore of ${what} that has not finished, or whose process was stopped.\r\nIts disks are incomplete: do not attach them. Delete this folder and restore again.\r\n`,
  );
  return file;
}

/** statfs type of FAT12/16/32 on Linux (MSDOS_SUPER_MAGIC). */
export const FAT_MAGIC = 0x4d44;
/** The largest file FAT32 holds. */
export const FAT_MAX_FILE = 2 ** 32 - 1;
/** A new dynamic VHDX holds at least this much besides its data: header, log, metadata and BAT regions. */
export const VHDX_OVERHEAD = 4 * 2 ** 20;

export interface TargetVolume {
  freeBytes: number;
  /** statfs file-system type (0 where the platform does not say). */
  fsType: number;
}

/** A disk file the restore will write and the least it will take (its data plus the VHDX's own regions). */
export interface DiskNeed {
  file: string;
  bytes: number;
}

/** Why the volume cannot take these disks, or null when it can (as far as free space and file size go). */
export function restoreTargetProblem(
  dir: string,
  disks: DiskNeed[],
  volume: TargetVolume,
): string | null {
  if (volume.fsType === FAT_MAGIC) {
    const big = disks.find((d) => d.bytes > FAT_MAX_FILE);
    if (big)
      return `${dir} is on a FAT file system, which cannot hold files over 4 GiB, and ${path.basename(big.file)} needs at least ${fmtBytes(big.bytes)}. Choose a folder on NTFS, ReFS, exFAT or ext4; nothing was written.`;
  }
  const need = disks.reduce((s, d) => s + d.bytes, 0);
  if (need > volume.freeBytes)
    return `Restoring this point needs at least ${fmtBytes(need)} in ${dir} (the data its disks hold), and only ${fmtBytes(volume.freeBytes)} is free there. Free space or choose another folder; nothing was written.`;
  return null;
}

/** Free space and type of the volume that holds `dir` (or will, once created); null where statfs is unavailable. */
export async function targetVolume(dir: string): Promise<TargetVolume | null> {
  let at = path.resolve(dir);
  for (;;) {
    try {
      const s = await fs.statfs(at);
      return { freeBytes: s.bavail * s.bsize, fsType: s.type };
    } catch (e) {
      const parent = path.dirname(at);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) return null;
      at = parent;
    }
  }
}
