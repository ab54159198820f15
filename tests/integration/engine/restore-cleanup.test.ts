import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreResult } from '../../../shared/backup';
import { BackupRequest, RestoreRequest } from '../../../shared/backup';
import { startBackup, startRestore } from '../../../electron/services/engine/operations';
import { restorePoint } from '../../../electron/services/engine/restore';
import { INCOMPLETE_MARKER } from '../../../electron/services/engine/restore-target';
import { createServices, type Services } from '../../../electron/services/services';
import type { TaskContext } from '../../../electron/services/tasks/task-manager';
import { tempDir } from '../../helpers/tmp';

// A restore that fails or is canceled leaves no half-written VM behind, and never touches what it did not make.
describe('restores that do not finish', () => {
  const tmp = tempDir();
  let s: Services;
  let pointId = '';

  beforeAll(async () => {
    s = await createServices({ dataDir: tmp.dir });
    const vm = (await s.provider.inventory()).vms.find((v) => v.name === 'DC01');
    const t = await s.tasks.wait(
      (await startBackup(s, BackupRequest.parse({ vmIds: [vm?.id], full: true }))).id,
    );
    expect(t.state).toBe('succeeded');
    pointId = (await (await s.repos.get()).listPoints()).at(-1)?.id ?? '';
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  const restoreTo = async (targetDir: string) =>
    s.tasks.wait((await startRestore(s, RestoreRequest.parse({ pointId, targetDir }))).id);

  it('removes the partly written disk when canceled mid-write, so the same folder works next time', async () => {
    const target = path.join(tmp.dir, 'canceled', 'DC01');
    const repo = await s.repos.get();
    let sawFile = false;
    const rec = s.tasks.start('restore', 'restore, canceled while writing', (ctx) => {
      // The real task context, whose first progress report of the write phase cancels the task.
      const canceling: TaskContext = {
        ...ctx,
        progress: (u) => {
          ctx.progress(u);
          if (u.phase === 'restore' && !sawFile) {
            sawFile = true;
            s.tasks.cancel(ctx.id);
          }
        },
      };
      return restorePoint(repo, RestoreRequest.parse({ pointId, targetDir: target }), {
        dataDir: s.dataDir,
        ctx: canceling,
      });
    });
    const t = await s.tasks.wait(rec.id);
    expect(sawFile).toBe(true);
    expect(t.state).toBe('canceled');
    expect(t.warnings.join(' ')).toMatch(/partly written files were removed/);
    await expect(fs.stat(target)).rejects.toThrow(/ENOENT/);
    // Only the target folder is removed; the parent folder the restore also had to make stays.
    expect((await fs.stat(path.dirname(target))).isDirectory()).toBe(true);

    const again = await restoreTo(target);
    expect(again.state).toBe('succeeded');
    expect((again.result as RestoreResult).disks.every((d) => d.verified)).toBe(true);
  });

  it('keeps RESTORE-INCOMPLETE.txt in the folder while writing, and removes it as the last step', async () => {
    const target = path.join(tmp.dir, 'marked');
    const repo = await s.repos.get();
    const seen: boolean[] = [];
    const rec = s.tasks.start('restore', 'restore, watching its folder', (ctx) =>
      restorePoint(repo, RestoreRequest.parse({ pointId, targetDir: target }), {
        dataDir: s.dataDir,
        ctx: {
          ...ctx,
          progress: (u) => {
            ctx.progress(u);
            if (u.phase === 'restore') seen.push(existsSync(path.join(target, INCOMPLETE_MARKER)));
          },
        },
      }),
    );
    expect((await s.tasks.wait(rec.id)).state).toBe('succeeded');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(Boolean)).toBe(true);
    expect(existsSync(path.join(target, INCOMPLETE_MARKER))).toBe(false);
  });

  it('a folder left by a killed restore is refused as unfinished, and restores once it is deleted', async () => {
    const target = path.join(tmp.dir, 'killed');
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'child-restore.ts'),
        JSON.stringify({ dataDir: s.dataDir, pointId, targetDir: target }),
      ],
      { encoding: 'utf8' },
    );
    expect(child.signal).toBe('SIGKILL');
    // What a killed restore leaves: its marker, a disk file, no VM configuration.
    expect(existsSync(path.join(target, INCOMPLETE_MARKER))).toBe(true);
    expect((await fs.readdir(path.join(target, 'Virtual Hard Disks'))).length).toBe(1);
    expect(existsSync(path.join(target, 'Virtual Machines'))).toBe(false);

    const again = await restoreTo(target);
    expect(again.state).toBe('failed');
    expect(again.error?.code).toBe('CONFLICT');
    expect(again.error?.message).toMatch(/holds a restore that did not finish.*Delete the folder/);

    await fs.rm(target, { recursive: true });
    const fresh = await restoreTo(target);
    expect(fresh.state).toBe('succeeded');
    expect((await fs.readdir(target)).sort()).toEqual(['Virtual Hard Disks', 'Virtual Machines']);
  });

  it('refuses a blank folder and one whose parent does not exist, creating nothing', async () => {
    const blank = await startRestore(s, RestoreRequest.parse({ pointId, targetDir: '  ' })).catch(
      (e: unknown) => e,
    );
    expect(blank).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/blank/) });
    const typo = path.join(tmp.dir, 'no-such-drive', 'restores', 'DC01');
    await expect(
      startRestore(s, RestoreRequest.parse({ pointId, targetDir: typo })),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(
        /no-such-drive.*restores \(where the restore folder would go\) does not exist/,
      ),
    });
    expect(existsSync(path.join(tmp.dir, 'no-such-drive'))).toBe(false);
  });

  it('refuses a target inside the repository', async () => {
    const inside = path.join(s.repos.path, 'points', 'restored-here');
    const t = await restoreTo(inside);
    expect(t.state).toBe('failed');
    expect(t.error?.message).toMatch(/is inside the repository.*outside it; nothing was written/);
    expect(existsSync(inside)).toBe(false);
  });

  it('refuses a target that is a file, and leaves the file as it was', async () => {
    const file = path.join(tmp.dir, 'not-a-folder');
    await fs.writeFile(file, 'keep me');
    const t = await restoreTo(file);
    expect(t.state).toBe('failed');
    expect(t.error?.code).toBe('VALIDATION');
    expect(t.error?.message).toMatch(/cannot be used as a restore folder.*nothing was written/);
    expect(await fs.readFile(file, 'utf8')).toBe('keep me');
  });

  it('on damaged data, removes only what it wrote into an existing empty folder and says so', async () => {
    const target = path.join(tmp.dir, 'admin-made');
    await fs.mkdir(target);
    const packsDir = path.join(s.repos.path, 'packs');
    const packs = (await fs.readdir(packsDir, { recursive: true })) as string[];
    let damaged = 0;
    for (const p of packs) {
      const full = path.join(packsDir, p);
      if (!(await fs.stat(full)).isFile()) continue;
      const buf = await fs.readFile(full);
      for (let i = 64; i < buf.length; i += 4096) buf[i] = (buf[i] ?? 0) ^ 0xff;
      await fs.writeFile(full, buf);
      damaged++;
    }
    expect(damaged).toBeGreaterThan(0);
    const t = await restoreTo(target);
    expect(t.state).toBe('failed');
    expect(t.error?.code).toBe('REPO_CORRUPT');
    expect(t.error?.message).toMatch(/The partly written files were removed\.$/);
    // The folder the admin made is still there, empty.
    expect(await fs.readdir(target)).toEqual([]);
  });
});
