// A damaged last point is never the base of an incremental: the next backup reads the whole disk and says why, so
// the new point is whole (an incremental would carry the damaged chunks over).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRequest, type BackupRunResult, RestoreRequest } from '../../../shared/backup';
import { startBackup, startRestore } from '../../../electron/services/engine/operations';
import { createServices, type Services } from '../../../electron/services/services';
import { tempDir } from '../../helpers/tmp';

describe('backup after damage', () => {
  const tmp = tempDir();
  let s: Services;
  let vmId = '';
  const backup = async () => {
    const t = await s.tasks.wait((await startBackup(s, BackupRequest.parse({ vmIds: [vmId] }))).id);
    expect(t.state).toBe('succeeded');
    const vm = (t.result as BackupRunResult).vms[0];
    return { pointId: vm?.pointId ?? '', disk: vm?.disks[0] };
  };
  /** Flip bytes in the middle of chunk `id`'s stored copy. */
  const damage = async (id: string) => {
    const repo = await s.repos.get();
    const loc = await repo.locateChunk(id);
    if (!loc) throw new Error(`chunk ${id} is not indexed`);
    const file = path.join(repo.dir, ...loc.packPath.split('/'));
    const b = readFileSync(file);
    const at = loc.offset + Math.floor(loc.length / 2);
    b[at] = (b[at] ?? 0) ^ 0x20;
    writeFileSync(file, b);
  };

  beforeAll(async () => {
    s = await createServices({ dataDir: tmp.dir });
    vmId = (await s.provider.inventory()).vms.find((v) => v.name === 'DC01')?.id ?? '';
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('damaged chunks found by a check make the next backup a full, whose restore verifies', async () => {
    await backup();
    const second = await backup();
    expect(second.disk?.mode).toBe('incremental');
    const repo = await s.repos.get();
    const chunk = (await repo.diskChunks(second.pointId, second.disk?.diskId ?? '')).find(
      (x) => x !== 'zero',
    );
    await damage(chunk ?? '');
    expect((await repo.check({ readData: true })).corruptChunks).toEqual([chunk]);

    const third = await backup();
    expect(third.disk?.mode).toBe('full');
    expect(third.disk?.fullReason).toMatch(
      new RegExp(
        `The last restore point ${second.pointId} uses 1 damaged chunk .*reads the whole disk`,
      ),
    );
    const r = await s.tasks.wait(
      (
        await startRestore(
          s,
          RestoreRequest.parse({ pointId: third.pointId, targetDir: path.join(tmp.dir, 'r1') }),
        )
      ).id,
    );
    expect(r.state).toBe('succeeded');
    // …and the point after it, with nothing damaged, is an incremental again.
    expect((await backup()).disk?.mode).toBe('incremental');
  });

  it('a last point whose chunk map cannot be read does not stop the next backup', async () => {
    const last = await backup();
    const repo = await s.repos.get();
    const map = (await repo.getPoint(last.pointId)).disks[last.disk?.diskId ?? '']?.maps[0];
    await damage(map ?? '');
    const next = await backup();
    expect(next.disk?.mode).toBe('full');
    expect(next.disk?.fullReason).toMatch(
      new RegExp(`The last restore point ${last.pointId} cannot be read \\(.*chunk map`),
    );
  });
});
