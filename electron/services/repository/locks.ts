// Repository locks: one small JSON file per holder under locks/, refreshed while held.
//
//   kind     taken by                     conflicts with
//   backup   writing a restore point      nothing (gc protects running writers itself, see gc in repository.ts)
//   read     readDisk / restore, check    gc
//   prune    deletePoint                  prune, gc
//   gc       gc                           read, prune, gc
//
// A lock is stale when its holder is on this host and its process is gone, or when it was not refreshed for
// staleMs (default 30 minutes; holders refresh every minute). Stale locks are ignored and removed.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { HvbcError } from '../../../shared/errors';
import type { Backend } from './backend';

export type LockKind = 'backup' | 'read' | 'prune' | 'gc';

export interface LockInfo {
  kind: LockKind;
  host: string;
  pid: number;
  /** When taken (ISO) and last refreshed (ISO). */
  created: string;
  time: string;
  purpose: string;
  /** For backup locks: points used as the base of incrementals (deletePoint refuses them). */
  basePoints?: string[];
}

const CONFLICTS: Record<LockKind, LockKind[]> = {
  backup: [],
  read: ['gc'],
  prune: ['prune', 'gc'],
  gc: ['read', 'prune', 'gc'],
};

export interface LockTiming {
  refreshMs: number;
  staleMs: number;
}
export const DEFAULT_LOCK_TIMING: LockTiming = { refreshMs: 60_000, staleMs: 30 * 60_000 };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(l: LockInfo, now: number, timing: LockTiming): boolean {
  if (l.host === hostname() && !pidAlive(l.pid)) return true;
  const t = Date.parse(l.time);
  return !Number.isFinite(t) || now - t > timing.staleMs;
}

export class Lock {
  private timer: NodeJS.Timeout | null = null;
  private released = false;
  private writing: Promise<void> | null = null;
  constructor(
    private readonly backend: Backend,
    readonly key: string,
    readonly info: LockInfo,
    timing: LockTiming,
  ) {
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), timing.refreshMs);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    if (this.released) return;
    this.info.time = new Date().toISOString();
    const write = (this.writing ?? Promise.resolve())
      .catch(() => undefined)
      .then(() =>
        this.released
          ? undefined
          : this.backend.put(this.key, Buffer.from(JSON.stringify(this.info))),
      );
    this.writing = write;
    await write;
  }

  async setBasePoints(ids: string[]): Promise<void> {
    this.info.basePoints = ids;
    await this.refresh();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    // A refresh in flight must not re-create the file after we delete it.
    await this.writing?.catch(() => undefined);
    await this.backend.delete(this.key);
  }
}

export async function listLocks(
  backend: Backend,
  timing: LockTiming,
  opts: { removeStale?: boolean } = {},
): Promise<Array<{ key: string; info: LockInfo }>> {
  const out: Array<{ key: string; info: LockInfo }> = [];
  const now = Date.now();
  for (const key of await backend.list('locks/')) {
    let info: LockInfo;
    try {
      info = JSON.parse((await backend.get(key)).toString('utf8')) as LockInfo;
    } catch {
      continue; // vanished or being replaced
    }
    if (isStale(info, now, timing)) {
      if (opts.removeStale) await backend.delete(key).catch(() => undefined);
      continue;
    }
    out.push({ key, info });
  }
  return out;
}

export function describeLock(l: LockInfo): string {
  return `${l.kind} lock held by ${l.host} pid ${l.pid} for ${l.purpose} since ${l.created}`;
}

/** Take a lock: write ours, then look for conflicting live ones; REPO_LOCKED (naming the holder) if any. */
export async function acquireLock(
  backend: Backend,
  kind: LockKind,
  purpose: string,
  timing: LockTiming,
): Promise<Lock> {
  const now = new Date().toISOString();
  const info: LockInfo = {
    kind,
    host: hostname(),
    pid: process.pid,
    created: now,
    time: now,
    purpose,
  };
  const key = `locks/${kind}-${randomBytes(8).toString('hex')}`;
  await backend.put(key, Buffer.from(JSON.stringify(info)));
  const lock = new Lock(backend, key, info, timing);
  const conflicts = CONFLICTS[kind];
  if (conflicts.length) {
    let others: Array<{ key: string; info: LockInfo }>;
    try {
      others = (await listLocks(backend, timing, { removeStale: true })).filter(
        (l) => l.key !== key && conflicts.includes(l.info.kind),
      );
    } catch (e) {
      await lock.release();
      throw e;
    }
    const holder = others[0];
    if (holder) {
      await lock.release();
      throw new HvbcError(
        'REPO_LOCKED',
        `The repository is busy: ${describeLock(holder.info)}. Wait for it to finish and try again.${holder.info.host === hostname() ? '' : ` If that process is gone, its lock expires ${Math.round(timing.staleMs / 60000)} minutes after its last refresh (a process on this host is noticed at once).`}`,
        { holder: holder.info, wanted: kind },
      );
    }
  }
  return lock;
}
