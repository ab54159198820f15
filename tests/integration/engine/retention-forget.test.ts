// Retention applied by hand (repo.forget): per VM, dry run first; a restore point that cannot be read is named and
// neither counted nor removed.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRequest, type ForgetResult } from '../../../shared/backup';
import { startBackup, startForget } from '../../../electron/services/engine/operations';
import { createServices, type Services } from '../../../electron/services/services';
import { tempDir } from '../../helpers/tmp';

describe('retention by hand', () => {
  const tmp = tempDir();
  let s: Services;
  const made: Record<string, string[]> = { DC01: [], APP01: [] };
  const pointsDir = () => path.join(tmp.dir, 'repository', 'points');
  const pointFiles = () => (existsSync(pointsDir()) ? readdirSync(pointsDir()) : []);

  beforeAll(async () => {
    s = await createServices({ dataDir: tmp.dir });
    const inv = await s.provider.inventory();
    for (const n of ['DC01', 'APP01', 'DC01', 'APP01', 'DC01']) {
      const vmId = inv.vms.find((v) => v.name === n)?.id ?? n;
      const before = new Set(pointFiles());
      const t = await s.tasks.wait(
        (await startBackup(s, BackupRequest.parse({ vmIds: [vmId] }))).id,
      );
      expect(t.state).toBe('succeeded');
      made[n]?.push(...pointFiles().filter((f) => !before.has(f)));
    }
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('keeps the newest readable points of each VM; an unreadable point is named, not counted, not removed', async () => {
    const [dc1, dc2, dc3] = made.DC01 ?? [];
    const [app1, app2] = made.APP01 ?? [];
    // The newest DC01 point's manifest is damaged: it cannot be restored, so it must not count as the one kept.
    const damaged = path.join(pointsDir(), dc3 ?? '');
    writeFileSync(damaged, 'garbage');
    // As another console or the CLI would find it (this one keeps the manifests it wrote in memory).
    await s.close();
    s = await createServices({ dataDir: tmp.dir });
    const run = async (dryRun: boolean) => {
      const t = await s.tasks.wait((await startForget(s, { keepLast: 1, dryRun })).id);
      expect(t.state).toBe('succeeded');
      return { t, r: t.result as ForgetResult };
    };
    const dry = await run(true);
    expect(dry.r.removed.sort()).toEqual([dc1, app1].sort());
    expect(dry.r.kept.sort()).toEqual([dc2, app2].sort());
    expect(dry.t.warnings.join('\n')).toMatch(
      new RegExp(`Restore point ${dc3} cannot be read, so retention did not count it`),
    );
    expect(pointFiles()).toHaveLength(5);

    const applied = await run(false);
    expect(applied.r.removed.sort()).toEqual([dc1, app1].sort());
    expect(pointFiles().sort()).toEqual([dc2, app2, dc3].sort());
    expect(existsSync(damaged)).toBe(true);
  });

  it('refuses a call without any rule and removes nothing', async () => {
    await expect(startForget(s, { dryRun: false })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('nothing was removed'),
    });
  });
});
