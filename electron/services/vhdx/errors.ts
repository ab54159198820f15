// Error helpers for the VHDX engine: typed HvbcErrors whose messages say what happened and what to do.
import { HvbcError } from '../../../shared/errors';

export { HvbcError };

/** A structural defect found by a pure parser (the file path is attached later by `withPath`). */
export function corrupt(message: string, details?: Record<string, unknown>): HvbcError {
  return new HvbcError('VHDX_CORRUPT', message, details);
}

export function unsupported(message: string, details?: Record<string, unknown>): HvbcError {
  return new HvbcError('VHDX_UNSUPPORTED', message, details);
}

export function invalid(message: string, details?: Record<string, unknown>): HvbcError {
  return new HvbcError('VALIDATION', message, details);
}

/**
 * Attach the file name and a remedy to a parser error. Errors that already carry a path, and
 * non-HvbcErrors that are not I/O failures, pass through unchanged.
 */
export function withPath(e: unknown, path: string): unknown {
  if (e instanceof HvbcError) {
    if (e.details && typeof e.details.path === 'string') return e;
    if (e.code === 'VHDX_CORRUPT') {
      return new HvbcError(
        'VHDX_CORRUPT',
        `${path}: ${e.message} Run \`hvbc vhdx check "${path}"\` for a full report (add --repair to fix what is safely repairable), or restore the file from a backup.`,
        { ...e.details, path },
      );
    }
    if (e.code === 'VHDX_UNSUPPORTED') {
      return new HvbcError(
        'VHDX_UNSUPPORTED',
        `${path}: ${e.message} This engine cannot use the file; open it with Hyper-V (Get-VHD / Convert-VHD) instead.`,
        { ...e.details, path },
      );
    }
    return new HvbcError(e.code, `${path}: ${e.message}`, { ...e.details, path });
  }
  return ioError(e, path);
}

/** Turn Node fs errors into HvbcErrors naming the file. */
export function ioError(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string') return e;
  switch (err.code) {
    case 'ENOENT':
      return new HvbcError(
        'NOT_FOUND',
        `${path} does not exist. Check the path (and that the share or volume is mounted).`,
        { path },
      );
    case 'EACCES':
    case 'EPERM':
      return new HvbcError(
        'VALIDATION',
        `${path} cannot be opened: permission denied. Run with an account that can read${' '}(and, for writes, modify) the file.`,
        { path, errno: err.code },
      );
    case 'EISDIR':
      return new HvbcError(
        'VALIDATION',
        `${path} is a directory, not a VHDX file. Give the path of the .vhdx/.avhdx file.`,
        { path },
      );
    case 'EEXIST':
      return new HvbcError(
        'VALIDATION',
        `${path} already exists. Delete it first or choose another path.`,
        { path },
      );
    case 'EBUSY':
    case 'ETXTBSY':
      return new HvbcError(
        'FILE_LOCKED',
        `${path} is in use by another process. Stop the VM or tool holding it and retry.`,
        { path },
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new HvbcError(
        'OUT_OF_SPACE',
        `No space left while writing ${path}${err.code === 'EDQUOT' ? ' (a disk quota was reached)' : ''}. Free space on that volume and retry.`,
        { path },
      );
    case 'EFBIG':
      return new HvbcError(
        'OUT_OF_SPACE',
        `${path} grew past the largest file its file system allows (FAT32 stops at 4 GiB). Write it to NTFS, ReFS, exFAT or ext4.`,
        { path },
      );
    default:
      return e;
  }
}
