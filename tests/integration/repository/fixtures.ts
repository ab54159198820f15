// Per-test temporary folders and repositories for the repository integration tests: everything a test opened is
// closed, and every folder removed, after it.
import { afterEach } from 'vitest';
import { Repository } from '../../../electron/services/repository';
import { tempDir } from './helpers';

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
