// When the chunk worker threads cannot start, backup and restore still work on the main thread and say so; the next
// task starts the workers again once they can.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRunResult, RestoreResult } from '../../../shared/backup';
import { BackupRequest, RestoreRequest } from '../../../shared/backup';
import { followTask } from '../../../electron/cli/task-progress';
import type { CliIO } from '../../../electron/cli/io';
import { startBackup, startRestore } from '../../../electron/services/engine/operations';
import { digestVhdx } from '../../../electron/services/engine/restore';
import {
  createChunkProcessor,
  type WorkerStarter,
} from '../../../electron/services/repository/chunk-pool';
import { Repository } from '../../../electron/services/repository/repository';
import { createServices, type Services } from '../../../electron/services/services';
import { tempDir } from '../../helpers/tmp';

// What Node throws when a thread cannot be created (thread or memory limits): the start, not the work, fails.
// Until `shortage` ends; then the real workers start.
let shortage = true;
const failingStart: WorkerStarter = (opts, threads) =>
  shortage
    ? Promise.reject(
        Object.assign(new Error('Worker initialization failure: EAGAIN'), {
          code: 'ERR_WORKER_INIT_FAILED',
        }),
      )
    : createChunkProcessor({ ...opts, threads });

describe('chunk workers that fail to start', () => {
  const tmp = tempDir();
  let s: Services;
  const lines: string[] = [];
  const io: CliIO = { log: (l) => lines.push(l), error: (l) => lines.push(l), isTTY: false };

  beforeAll(async () => {
    s = await createServices({ dataDir: tmp.dir, workerStarter: failingStart });
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('back up and restore on the main thread, verified, saying why; the workers start again once they can', async () => {
    const vm = (await s.provider.inventory()).vms.find((v) => v.name === 'SQL01');
    if (!vm) throw new Error('SQL01 missing from the lab');
    const b = await followTask(
      s,
      await startBackup(s, BackupRequest.parse({ vmIds: [vm.id] })),
      io,
      false,
    );
    expect(b.state).toBe('succeeded');
    const point = (b.result as BackupRunResult).vms[0];
    expect(point?.status).toBe('succeeded');
    const slow = b.warnings.filter((w) => w.startsWith('SLOW PATH'));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toContain('ERR_WORKER_INIT_FAILED: Worker initialization failure: EAGAIN');
    expect(lines).toContain(`!! ${slow[0]}`);
    const repo = await s.repos.get();
    expect(await repo.threads()).toBe(0);

    const r = await followTask(
      s,
      await startRestore(s, RestoreRequest.parse({ pointId: point?.pointId })),
      io,
      false,
    );
    expect(r.state).toBe('succeeded');
    expect(r.warnings.filter((w) => w.startsWith('SLOW PATH'))).toEqual(slow);
    const restored = (r.result as RestoreResult).disks;
    expect(restored.length).toBe(point?.disks.length);
    for (const d of restored) {
      expect(d.verified).toBe(true);
      // The restored file's content, digested again here, is what the backup recorded.
      expect(await digestVhdx(repo, d.path)).toBe(
        point?.disks.find((x) => x.diskId === d.diskKey)?.digest,
      );
    }

    // Once the shortage passes, the next task starts the workers again: no slow path any more.
    shortage = false;
    const again = await followTask(
      s,
      await startBackup(s, BackupRequest.parse({ vmIds: [vm.id] })),
      io,
      false,
    );
    expect(again.state).toBe('succeeded');
    expect(again.warnings.filter((w) => w.startsWith('SLOW PATH'))).toEqual([]);
    expect(await repo.threads()).toBeGreaterThan(0);
  });

  it('retries a failed start only: working workers are left alone', async () => {
    let starts = 0;
    let fail = true;
    const counting: WorkerStarter = (opts, threads) => {
      starts++;
      return fail
        ? Promise.reject(new Error('no threads'))
        : createChunkProcessor({ ...opts, threads });
    };
    const repo = await Repository.init(`${tmp.dir}/retry-repo`, { workerStarter: counting });
    try {
      await repo.retryWorkers(); // nothing started yet: nothing to retry
      expect(starts).toBe(0);
      expect(await repo.threads()).toBe(0);
      await repo.retryWorkers();
      expect(starts).toBe(2);
      fail = false;
      await repo.retryWorkers();
      expect(starts).toBe(3);
      expect(await repo.threads()).toBeGreaterThan(0);
      expect(await repo.slowPathWarning()).toBeNull();
      await repo.retryWorkers();
      expect(starts).toBe(3);
    } finally {
      await repo.close();
    }
  });
});
