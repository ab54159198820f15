// Per-test temporary folders and repositories for the repository integration tests: everything a test opened is
// closed, and every folder removed, after it.
import { afterEach, expect } from 'vitest';
import { Repository } from '../../../electron/services/repository';
import { MemoryDisk, tempDir } from './helpers';

type InitOptions = NonNullable<Parameters<typeof Repository.init>[1]>;
type OpenOptions = NonNullable<Parameters<typeof Repository.open>[1]>;

export function useRepos(defaults: InitOptions): {
  dir(tag: string): string;
  init(d: string, opts?: InitOptions): Promise<Repository>;
  open(d: string, opts?: OpenOptions): Promise<Repository>;
} {
  const cleanups: Array<() => void> = [];
  const repos: Repository[] = [];
  afterEach(async () => {
    while (repos.length) await repos.pop()?.close();
    while (cleanups.length) cleanups.pop()?.();
  });
  const keep = (r: Repository): Repository => {
    repos.push(r);
    return r;
  };
  return {
    dir(tag) {
      const t = tempDir(tag);
      cleanups.push(t.cleanup);
      return t.dir;
    },
    init: async (d, opts = {}) => keep(await Repository.init(d, { ...defaults, ...opts })),
    open: async (d, opts = {}) => keep(await Repository.open(d, opts)),
  };
}

/**
 * Restore disk "d" of a point into memory with readDiskTo and check it: the source's bytes, the point's digest,
 * progress up to the end and no write left running. Returns the disk for further checks.
 */
export async function restoreMatches(
  repo: Repository,
  point: { id: string; disks: Array<{ digest?: string }> },
  source: Buffer,
): Promise<MemoryDisk> {
  const target = new MemoryDisk(source.length);
  const progress: number[] = [];
  const r = await repo.readDiskTo(point.id, 'd', target, { onProgress: (n) => progress.push(n) });
  expect(target.data.equals(source)).toBe(true);
  expect(r.digest).toBe(point.disks[0]?.digest);
  expect(target.active).toBe(0);
  expect(progress.at(-1)).toBe(source.length);
  return target;
}
