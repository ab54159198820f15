// Public API of the VHDX engine: open/create/read/write VHDX files, chains, merge, flatten, check, diff.
import { openChain as openChainImpl, type ChainOptions } from './chain';
import {
  createDifferencing as createDifferencingImpl,
  createVhdx as createVhdxImpl,
  type CreateOptions,
} from './create';
import { VhdxImage } from './file';
import type { Chain, OpenOptions, VhdxFile } from './types';

export type { BlockState } from './bat';
export type {
  BlockSummary,
  Chain,
  CheckIssue,
  CheckReport,
  Extent,
  OpenOptions,
  Piece,
  VhdxFile,
  VhdxInfo,
  VhdxParentRef,
} from './types';
export type { ChainOptions } from './chain';
export type { CreateOptions } from './create';
export type { DiffRange } from './diff';
export { checkVhdx, formatCheckReport, formatBytes } from './check';
export { diffDisks } from './diff';
export { flattenChain, mergeIntoParent } from './merge';
export { crc32c } from './crc32c';

/**
 * Open one VHDX/AVHDX file. Read-only by default. A pending log is refused read-only
 * (LOG_REPLAY_REQUIRED) unless replayLog is 'in-memory'; writable opens replay it to disk first.
 */
export function openVhdx(path: string, opts?: OpenOptions): Promise<VhdxFile> {
  return VhdxImage.open(path, opts);
}

/** Create a new fixed or dynamic VHDX (default block size 32 MiB, 512/4096 sectors) and return it open writable. */
export function createVhdx(path: string, opts: CreateOptions): Promise<VhdxFile> {
  return createVhdxImpl(path, opts);
}

/** Create a differencing child of `parentPath` with a full Hyper-V style parent locator; returned open writable. */
export function createDifferencing(
  childPath: string,
  parentPath: string,
  opts?: { blockSize?: number },
): Promise<VhdxFile> {
  return createDifferencingImpl(childPath, parentPath, opts);
}

/** Open a file and all its parents (child first) for reading the merged view. */
export function openChain(path: string, opts?: ChainOptions): Promise<Chain> {
  return openChainImpl(path, opts);
}
