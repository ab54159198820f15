// Storage backends for the repository: a flat key space ("packs/ab/<id>", "index/<id>", …) of immutable
// files plus a few mutable ones (locks, gc state). The local-folder backend also serves SMB/UNC shares
// mounted as folders.

import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HvbcError } from '../../../shared/errors';
import { AppendWriter } from '../direct-io';

export interface BackendStat {
  size: number;
  /** Modification time in ms since the epoch, by the storage's clock. */
  mtimeMs: number;
}

export interface Backend {
  /** Keys under a prefix ("packs/", "index/"), any order. Temporary files are never listed. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  /** Write an immutable object durably; false if the key already existed (the data is then not written). */
  putIfAbsent(key: string, data: Buffer): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Extras: a byte range of an object, its size and time, and an atomic durable overwrite for mutable files. */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  stat(key: string): Promise<BackendStat | null>;
  put(key: string, data: Buffer): Promise<void>;
  /** Optional: a handle for many range reads of one object (restores read a pack many times). */
  openRead?(key: string): Promise<RangeReader>;
  /**
   * Optional: write an immutable object in pieces (packs stream to storage instead of being held in memory).
   * commit() is putIfAbsent of everything written; abort() discards it. Nothing is visible before commit.
   */
  openWrite?(key: string): Promise<ObjectWriter>;
  /** Optional: the object's path on a local or mounted filesystem (restores then read packs on worker threads). */
  localPath?(key: string): string;
  /** Optional: free and total bytes of the storage (null when it does not say). */
  space?(): Promise<StorageSpace | null>;
}

export interface StorageSpace {
  freeBytes: number;
  sizeBytes: number;
}

export interface ObjectWriter {
  /** Append; the caller may reuse `data` once this resolves. Calls must not overlap. */
  write(data: Uint8Array): Promise<void>;
  commit(): Promise<boolean>;
  abort(): Promise<void>;
}

export interface RangeReader {
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

const TMP_MARK = '.tmp-';

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** What link() says on a filesystem or share without hard links (FAT, many NAS and cloud SMB shares). */
function noHardLinks(e: unknown): boolean {
  return ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].some((code) => isErrno(e, code));
}

/**
 * A folder on a local disk or a mounted share. Writes go to a temporary file in the target's folder,
 * are fsynced, then renamed over (put) or linked (putIfAbsent) into place, and the folder is fsynced.
 */
export class LocalFolderBackend implements Backend {
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string) {}

  private file(key: string): string {
    if (key.includes('..') || path.isAbsolute(key))
      throw new Error(`Invalid repository key: ${key}`);
    return path.join(this.root, ...key.split('/'));
  }

  localPath(key: string): string {
    return this.file(key);
  }

  async space(): Promise<StorageSpace | null> {
    try {
      const s = await fs.statfs(this.root);
      return { freeBytes: s.bavail * s.bsize, sizeBytes: s.blocks * s.bsize };
    } catch {
      return null; // statfs unsupported here (or the folder is gone: the next operation says so)
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(this.file(rel || '.'), { withFileTypes: true });
      } catch (e) {
        if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return;
        throw e;
      }
      for (const ent of entries) {
        const key = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          if (
            prefix.startsWith(`${key}/`) ||
            key.startsWith(prefix) ||
            `${key}/`.startsWith(prefix)
          )
            await walk(key);
        } else if (ent.isFile() && !ent.name.startsWith(TMP_MARK) && key.startsWith(prefix)) {
          out.push(key);
        }
      }
    };
    // Start at the deepest folder the prefix names.
    const slash = prefix.lastIndexOf('/');
    await walk(slash > 0 ? prefix.slice(0, slash) : '');
    return out;
  }

  async get(key: string): Promise<Buffer> {
    return fs.readFile(this.file(key));
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    const r = await this.openRead(key);
    try {
      return await r.read(offset, length);
    } finally {
      await r.close();
    }
  }

  async openRead(key: string): Promise<RangeReader> {
    const fh = await fs.open(this.file(key), 'r');
    return {
      read: async (offset, length) => {
        const buf = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === length ? buf : buf.subarray(0, done);
      },
      close: () => fh.close(),
    };
  }

  async stat(key: string): Promise<BackendStat | null> {
    try {
      const st = await fs.stat(this.file(key));
      return { size: st.size, mtimeMs: st.mtimeMs };
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await fs.mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  private async writeTemp(target: string, data: Buffer): Promise<string> {
    const dir = path.dirname(target);
    await this.ensureDir(dir);
    const tmp = path.join(dir, `${TMP_MARK}${randomBytes(8).toString('hex')}`);
    const fh = await fs.open(tmp, 'wx');
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, done);
        done += bytesWritten;
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
      if (isErrno(e, 'ENOSPC') || isErrno(e, 'EDQUOT')) {
        throw new HvbcError(
          'OUT_OF_SPACE',
          `The backup storage at ${this.root} is full. Free space (run gc after pruning old restore points) or use a larger target, then run the backup again.`,
          { root: this.root },
        );
      }
      throw e;
    }
    await fh.close();
    return tmp;
  }

  private async syncDir(dir: string): Promise<void> {
    // Directory fsync makes the rename durable; not supported on Windows or some network filesystems.
    let fh: import('node:fs/promises').FileHandle | undefined;
    try {
      fh = await fs.open(dir, fsConstants.O_RDONLY);
      await fh.sync();
    } catch {
      /* best effort */
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    const target = this.file(key);
    if (await this.stat(key)) return false;
    const tmp = await this.writeTemp(target, data);
    try {
      // link() fails with EEXIST if someone else won the race: no overwrite, ever.
      await fs.link(tmp, target);
    } catch (e) {
      if (noHardLinks(e)) {
        // Shares without hard links: rename instead (keys are random or content-addressed).
        await fs.rename(tmp, target);
        await this.syncDir(path.dirname(target));
        return true;
      }
      await fs.unlink(tmp).catch(() => undefined);
      if (isErrno(e, 'EEXIST')) return false;
      throw e;
    }
    await fs.unlink(tmp).catch(() => undefined);
    await this.syncDir(path.dirname(target));
    return true;
  }

  async openWrite(key: string): Promise<ObjectWriter> {
    const target = this.file(key);
    const dir = path.dirname(target);
    await this.ensureDir(dir);
    const tmp = path.join(dir, `${TMP_MARK}${randomBytes(8).toString('hex')}`);
    const fh = await fs.open(tmp, 'wx');
    // Packs are large sequential writes: unbuffered where the filesystem allows (direct-io.ts).
    const out = await AppendWriter.open(fh, tmp);
    let closed = false;
    const close = async (): Promise<void> => {
      if (!closed) {
        await out.release();
        await fh.close().catch(() => undefined);
      }
      closed = true;
    };
    const abort = async (): Promise<void> => {
      await close();
      await fs.unlink(tmp).catch(() => undefined);
    };
    const space = (e: unknown): unknown =>
      isErrno(e, 'ENOSPC') || isErrno(e, 'EDQUOT')
        ? new HvbcError(
            'OUT_OF_SPACE',
            `The backup storage at ${this.root} is full. Free space (run gc after pruning old restore points) or use a larger target, then run the backup again.`,
            { root: this.root },
          )
        : e;
    return {
      write: async (data: Uint8Array): Promise<void> => {
        try {
          await out.append(data);
        } catch (e) {
          await abort();
          throw space(e);
        }
      },
      commit: async (): Promise<boolean> => {
        try {
          await out.finish();
        } catch (e) {
          await abort();
          throw space(e);
        }
        await close();
        if (await this.stat(key)) {
          await fs.unlink(tmp).catch(() => undefined);
          return false;
        }
        try {
          // link() fails with EEXIST if someone else won the race: no overwrite, ever.
          await fs.link(tmp, target);
        } catch (e) {
          if (noHardLinks(e)) {
            // Shares without hard links: rename (keys are random or content-addressed).
            await fs.rename(tmp, target);
            await this.syncDir(dir);
            return true;
          }
          await fs.unlink(tmp).catch(() => undefined);
          if (isErrno(e, 'EEXIST')) return false;
          throw e;
        }
        await fs.unlink(tmp).catch(() => undefined);
        await this.syncDir(dir);
        return true;
      },
      abort,
    };
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.file(key);
    const tmp = await this.writeTemp(target, data);
    await fs.rename(tmp, target);
    await this.syncDir(path.dirname(target));
  }

  async delete(key: string): Promise<void> {
    try {
      await fs.unlink(this.file(key));
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
  }

  /** Temporary files left by a crash, with their age; gc removes old ones. */
  async listTemp(): Promise<Array<{ file: string; mtimeMs: number }>> {
    const out: Array<{ file: string; mtimeMs: number }> = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const ent of entries) {
        const p = path.join(dir, ent.name);
        if (ent.isDirectory()) await walk(p);
        else if (ent.name.startsWith(TMP_MARK)) {
          const st = await fs.stat(p).catch(() => null);
          if (st) out.push({ file: p, mtimeMs: st.mtimeMs });
        }
      }
    };
    await walk(this.root);
    return out;
  }

  async removeTemp(file: string): Promise<void> {
    await fs.unlink(file).catch(() => undefined);
  }
}
