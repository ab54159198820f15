// The lab lock: one lock file beside lab.json, taken per changing operation (pid + host + time + operation).
// Another process waits a short, bounded time for it, then gets LAB_LOCKED naming the holder.
// A lock whose process is gone (same host, pid not alive) is stale and is taken over.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';

export const LOCK_FILE = 'lab.lock';

export interface LockInfo {
  pid: number;
  host: string;
  time: string;
  operation: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readLock(dir: string): Promise<LockInfo | null> {
  try {
    const raw = JSON.parse(
      await fs.readFile(path.join(dir, LOCK_FILE), 'utf8'),
    ) as Partial<LockInfo>;
    if (typeof raw.pid !== 'number' || typeof raw.host !== 'string') return null;
    return {
      pid: raw.pid,
      host: raw.host,
      time: String(raw.time ?? ''),
      operation: String(raw.operation ?? ''),
    };
  } catch {
    return null;
  }
}

/** True when the lock's holder is known to be gone (same host, process not alive). */
export function isStale(info: LockInfo): boolean {
  return info.host === os.hostname() && !alive(info.pid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Take the lab lock, waiting up to `waitMs`. Returns a release function.
 * A half-written lock file (crash between create and write) is treated as stale after a second.
 */
export async function acquireLock(
  dir: string,
  operation: string,
  waitMs: number,
): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  const me: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    time: new Date().toISOString(),
    operation,
  };
  for (;;) {
    try {
      const fh = await fs.open(file, 'wx');
      try {
        await fh.writeFile(JSON.stringify(me));
      } finally {
        await fh.close();
      }
      return async () => {
        const cur = await readLock(dir);
        if (cur && cur.pid === me.pid && cur.host === me.host && cur.time === me.time)
          await fs.rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readLock(dir);
    if (holder && isStale(holder)) {
      await removeIfUnchanged(file, holder);
      continue;
    }
    if (!holder) {
      // Unreadable: give a writer a moment, then treat it as a leftover of a crash.
      const st = await fs.stat(file).catch(() => null);
      if (st && Date.now() - st.mtimeMs > 1000) {
        await fs.rm(file, { force: true });
        continue;
      }
    }
    if (Date.now() >= deadline) {
      const who = holder
        ? `process ${holder.pid} on ${holder.host} (${holder.operation}, since ${holder.time})`
        : 'another process';
      throw new HvbcError(
        'LAB_LOCKED',
        `The lab in ${dir} is busy: ${who} holds ${LOCK_FILE}. Wait for it to finish and try again; if that process is gone, delete ${file}.`,
        { dir, lockFile: file, ...(holder ? { holder } : {}) },
      );
    }
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
  }
}

async function removeIfUnchanged(file: string, seen: LockInfo): Promise<void> {
  // Re-read right before removing so we do not delete a lock another process just took over.
  const again = await readLock(path.dirname(file));
  if (again && again.pid === seen.pid && again.time === seen.time)
    await fs.rm(file, { force: true });
}
