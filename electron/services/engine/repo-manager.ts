// Opens the console's repository once per service host: location from settings, passphrase kept in memory only.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../shared/errors';
import { Repository, type RepoOptions } from '../repository/repository';

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

export class RepoManager {
  private repo: Repository | null = null;
  private passphrase: string | undefined;
  private opening: Promise<Repository> | null = null;

  constructor(
    private readonly dataDir: string,
    private repoPath: string = process.env.HVBC_REPO ?? path.join(dataDir, 'repository'),
    /** Passed to every open (tests: a worker start that fails). */
    private readonly extra: Pick<RepoOptions, 'workerStarter'> = {},
  ) {
    this.passphrase = process.env.HVBC_REPO_PASSPHRASE || undefined;
  }

  get path(): string {
    return this.repoPath;
  }

  async exists(): Promise<boolean> {
    return fs.access(path.join(this.repoPath, 'config')).then(
      () => true,
      () => false,
    );
  }

  /** Create the repository; refuses when one is already there. */
  async init(
    opts: { path?: string; passphrase?: string; chunkSize?: number } = {},
  ): Promise<Repository> {
    assertRepoPathUsable(opts.path ?? this.repoPath);
    await this.close();
    if (opts.path) this.repoPath = path.resolve(opts.path);
    if (await this.exists()) {
      throw new HvbcError(
        'CONFLICT',
        `A repository already exists in ${this.repoPath}. Open it instead, or choose an empty folder.`,
      );
    }
    this.passphrase = opts.passphrase || undefined;
    this.repo = await Repository.init(this.repoPath, {
      ...this.extra,
      ...(this.passphrase ? { passphrase: this.passphrase } : {}),
      ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
    });
    return this.repo;
  }

  /** Point the console at another repository (and its passphrase, if encrypted). */
  async select(repoPath: string, passphrase?: string): Promise<Repository> {
    assertRepoPathUsable(repoPath);
    await this.close();
    this.repoPath = path.resolve(repoPath);
    this.passphrase = passphrase || undefined;
    return this.get();
  }

  /** The open repository; the default one is created on first use (unencrypted unless a passphrase is set). */
  async get(): Promise<Repository> {
    if (this.repo) return this.repo;
    assertRepoPathUsable(this.repoPath); // HVBC_REPO
    this.opening ??= (async () => {
      try {
        const repo = (await this.exists())
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
