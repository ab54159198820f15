// Opens the console's repository once per service host: location from settings, passphrase kept in memory only.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../shared/errors';
import { LocalFolderBackend } from '../repository/backend';
import { dataWithoutConfig, Repository, type RepoOptions } from '../repository/repository';

export interface RepoSettings {
  path: string;
  encrypted: boolean;
}

/**
 * Refuse a UNC path (\\server\share, or //server/share) where the platform cannot open one: on Linux it would
 * quietly become a local folder (//nas/backup is /nas/backup) or an odd folder name. Windows opens them directly.
 */
export function assertRepoPathUsable(
  p: string,
  platform: NodeJS.Platform = process.platform,
): void {
  if (platform === 'win32' || !/^[\\/]{2}[^\\/]/.test(p)) return;
  throw new HvbcError(
    'VALIDATION',
    `${p} is a UNC path, which only Windows opens directly. Mount the share first (for example: mount -t cifs //server/share /mnt/backup) and give the mounted folder. Nothing was created or changed.`,
    { path: p },
  );
}

/** Refuses a path that is a file, or lies under one, before a repository is created there. */
async function assertNotUnderFile(dir: string): Promise<void> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const st = await fs.stat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw e;
    });
    if (st && !st.isDirectory())
      throw new HvbcError(
        'VALIDATION',
        `${at} is a file, not a folder, so no repository can be made ${at === path.resolve(dir) ? 'there' : `in ${dir}`}. Give a folder path; nothing was created.`,
        { path: dir },
      );
    if (st || path.dirname(at) === at) return;
  }
}

async function hasRepository(dir: string): Promise<boolean> {
  return fs.access(path.join(dir, 'config')).then(
    () => true,
    () => false,
  );
}

async function notFound(dir: string): Promise<HvbcError> {
  if (await dataWithoutConfig(new LocalFolderBackend(dir)).catch(() => null))
    return new HvbcError(
      'REPO_NOT_FOUND',
      `${dir} holds backup data but its config file is missing, so it cannot be opened. Put the config file back from a copy of the repository; do not create a new repository there. Nothing was changed.`,
      { path: dir },
    );
  return new HvbcError(
    'REPO_NOT_FOUND',
    `There is no repository in ${dir}. Check the path (and that its share or volume is mounted), or create one there with "hvbc repo init --repo ${dir}" or on the console's Repository page. Nothing was created or changed.`,
    { path: dir },
  );
}

export class RepoManager {
  private repo: Repository | null = null;
  private passphrase: string | undefined;
  private opening: Promise<Repository> | null = null;

  /**
   * Only the default repository (in the console's data folder) is created on first use. A path the admin gave
   * (HVBC_REPO, --repo, "open") must hold one: a typo or an unmounted share must not quietly get a new, empty
   * repository that backups then fill on the wrong disk.
   */
  private createOnUse: boolean;
  private repoPath: string;

  constructor(
    dataDir: string,
    repoPath?: string,
    /** Passed to every open (tests: a worker start that fails). */
    private readonly extra: Pick<RepoOptions, 'workerStarter'> = {},
  ) {
    const given = repoPath ?? process.env.HVBC_REPO;
    this.repoPath = given ?? path.join(dataDir, 'repository');
    this.createOnUse = given === undefined;
    this.passphrase = process.env.HVBC_REPO_PASSPHRASE || undefined;
  }

  get path(): string {
    return this.repoPath;
  }

  async exists(): Promise<boolean> {
    return hasRepository(this.repoPath);
  }

  /**
   * Create the repository (at `opts.path`, or the current path). Refusals (a UNC path off Windows, a file, an
   * existing repository, a bad chunk size) come before the current repository is closed, so they change nothing.
   */
  async init(
    opts: { path?: string; passphrase?: string; chunkSize?: number } = {},
  ): Promise<Repository> {
    assertRepoPathUsable(opts.path ?? this.repoPath);
    const target = opts.path ? path.resolve(opts.path) : this.repoPath;
    await assertNotUnderFile(target);
    if (await hasRepository(target)) {
      throw new HvbcError(
        'CONFLICT',
        `A repository already exists in ${target}. Open it instead, or choose an empty folder.`,
      );
    }
    const passphrase = opts.passphrase || undefined;
    const repo = await Repository.init(target, {
      ...this.extra,
      ...(passphrase ? { passphrase } : {}),
      ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
    });
    await this.close();
    if (opts.path) this.createOnUse = false;
    this.repoPath = target;
    this.passphrase = passphrase;
    this.repo = repo;
    return repo;
  }

  /**
   * Point the console at another existing repository (and its passphrase, if encrypted). It is opened before
   * the current one is closed, so a wrong path or passphrase changes nothing.
   */
  async select(repoPath: string, passphrase?: string): Promise<Repository> {
    assertRepoPathUsable(repoPath);
    const target = path.resolve(repoPath);
    if (!(await hasRepository(target))) throw await notFound(target);
    const repo = await Repository.open(target, {
      ...this.extra,
      startWorkers: true,
      ...(passphrase ? { passphrase } : {}),
    });
    await this.close();
    this.repoPath = target;
    this.passphrase = passphrase || undefined;
    this.createOnUse = false;
    this.repo = repo;
    return repo;
  }

  /** The open repository; the default one is created on first use (unencrypted unless a passphrase is set). */
  async get(): Promise<Repository> {
    if (this.repo) return this.repo;
    assertRepoPathUsable(this.repoPath); // HVBC_REPO
    this.opening ??= (async () => {
      try {
        const found = await this.exists();
        if (!found && !this.createOnUse) throw await notFound(this.repoPath);
        const repo = found
          ? await Repository.open(this.repoPath, {
              ...this.extra,
              // The console and the CLI open a repository to back up or restore from it.
              startWorkers: true,
              ...(this.passphrase ? { passphrase: this.passphrase } : {}),
            })
          : await Repository.init(this.repoPath, {
              ...this.extra,
              ...(this.passphrase ? { passphrase: this.passphrase } : {}),
            });
        this.repo = repo;
        return repo;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  async close(): Promise<void> {
    const r = this.repo;
    this.repo = null;
    if (r) await r.close();
  }
}
