// The deduplicating backup repository (see README.md).
export {
  Repository,
  type RepoOptions,
  type InitOptions,
  type PointMeta,
  type PointSummary,
  type PointWriter,
  type DiskWriter,
  type CheckResult,
  type GcResult,
  type RepoStats,
  type PointManifest,
  type DiskManifest,
} from './repository';
export {
  selectRetention,
  isoWeekKey,
  type RetentionPolicy,
  type RetentionResult,
} from './retention';
export {
  chunkRangesFor,
  chunkRunsFor,
  chunkSpan,
  chunkCount,
  expectedChunkTouchFraction,
  writesForChange,
  type ByteRange,
  type ChunkRun,
} from './chunking';
export { LocalFolderBackend, type Backend, type BackendStat } from './backend';
export { DEFAULT_CHUNK, MIN_CHUNK, MAX_CHUNK } from './format';
