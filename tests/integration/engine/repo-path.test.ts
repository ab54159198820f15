// Repository paths the admin types: a UNC path is refused off Windows, and a path without a repository is never
// quietly given a new one; either way nothing is created and the open repository stays open.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RepoManager, assertRepoPathUsable } from '../../../electron/services/engine/repo-manager';
import { runCli } from '../../../electron/cli/main';
import { capture } from '../../helpers/cli';
import { tempDir } from '../../helpers/tmp';

describe('repository paths', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('refuses \\\\server\\share and //server/share off Windows, and accepts them on Windows', () => {
    for (const p of ['\\\\nas01\\backup\\hvbc', '//nas01/backup', '\\/nas01\\backup']) {
      expect(() => assertRepoPathUsable(p, 'linux')).toThrow(/UNC path.*Mount the share first/);
      expect(() => assertRepoPathUsable(p, 'win32')).not.toThrow();
    }
    for (const p of ['/srv/backup', 'relative/repo', '/', 'C:\\Backups'])
      expect(() => assertRepoPathUsable(p, 'linux')).not.toThrow();
  });

  it('keeps the open repository when another is refused, and creates no folder', async () => {
    const first = path.join(tmp.dir, 'repo-a');
    const m = new RepoManager(tmp.dir, first);
    await m.init();
    const cwdBefore = readdirSync(process.cwd()).sort();
    for (const attempt of [
      () => m.select('\\\\nas01\\backup'),
      () => m.init({ path: '//nas01/backup' }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'VALIDATION' });
      expect(m.path).toBe(first);
      expect(existsSync(path.join(first, 'config'))).toBe(true);
    }
    expect(readdirSync(process.cwd()).sort()).toEqual(cwdBefore);
    expect(existsSync('/nas01')).toBe(false);
    expect((await m.get()).chunkSize).toBeGreaterThan(0);
    await m.close();
  });

  it('opens only an existing repository at a given path, and keeps the current one on a wrong path or passphrase', async () => {
    const first = path.join(tmp.dir, 'repo-b');
    const m = new RepoManager(tmp.dir, first);
    await m.init();
    const typo = path.join(tmp.dir, 'repo-bb');
    await expect(m.select(typo)).rejects.toMatchObject({
      code: 'REPO_NOT_FOUND',
      message: expect.stringMatching(/no repository in .*repo-bb.*mounted.*hvbc repo init/),
    });
    expect(existsSync(typo)).toBe(false);

    const locked = new RepoManager(tmp.dir, path.join(tmp.dir, 'repo-enc'));
    await locked.init({ passphrase: 'correct horse' });
    await locked.close();
    await expect(m.select(path.join(tmp.dir, 'repo-enc'), 'wrong horse')).rejects.toMatchObject({
      code: 'WRONG_PASSPHRASE',
    });
    expect(m.path).toBe(first);
    expect((await m.get()).chunkSize).toBeGreaterThan(0);
    expect((await m.select(path.join(tmp.dir, 'repo-enc'), 'correct horse')).encrypted).toBe(true);
    await m.close();
  });

  it('refuses to create a repository on a file, under a file or over another one, keeping the open one', async () => {
    const first = path.join(tmp.dir, 'repo-c');
    const m = new RepoManager(tmp.dir, first);
    await m.init();
    const file = path.join(tmp.dir, 'a-file');
    writeFileSync(file, 'keep');
    await expect(m.init({ path: file })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/a-file is a file, not a folder.*nothing was created/),
    });
    await expect(m.init({ path: path.join(file, 'sub') })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(m.init({ path: path.join(tmp.dir, 'repo-b') })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      m.init({ path: path.join(tmp.dir, 'repo-d'), chunkSize: 3 << 20 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect(readFileSync(file, 'utf8')).toBe('keep');
    expect(existsSync(path.join(tmp.dir, 'repo-d'))).toBe(false);
    expect(m.path).toBe(first);
    expect((await m.get()).chunkSize).toBeGreaterThan(0);
    await m.close();
  });

  it('a repository whose config was deleted is neither opened nor initialised over', async () => {
    const dir = path.join(tmp.dir, 'lost-config');
    const m = new RepoManager(tmp.dir, dir);
    const repo = await m.init();
    const w = await repo.beginPoint({ vmId: 'vm', vmName: 'vm', kind: 'full' });
    const d = await w.beginDisk('d', { virtualSize: 1 << 20 });
    await d.writeChunk(0, Buffer.alloc(1 << 18, 7));
    await d.finish();
    await w.commit({});
    await m.close();
    rmSync(path.join(dir, 'config'));
    const before = readdirSync(dir, { recursive: true }).sort();

    const other = new RepoManager(tmp.dir, path.join(tmp.dir, 'repo-e'));
    await other.init();
    await expect(other.select(dir)).rejects.toMatchObject({
      code: 'REPO_NOT_FOUND',
      message: expect.stringMatching(
        /holds backup data but its config file is missing.*do not create/,
      ),
    });
    await expect(other.init({ path: dir })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/holds backup data .* but no config file/),
    });
    expect(readdirSync(dir, { recursive: true }).sort()).toEqual(before);
    await other.close();
  });

  it('creates only the default repository on first use, never one at a path that was given', async () => {
    const given = path.join(tmp.dir, 'not-mounted', 'hvbc');
    const m = new RepoManager(tmp.dir, given);
    await expect(m.get()).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    expect(existsSync(path.join(tmp.dir, 'not-mounted'))).toBe(false);

    const data = path.join(tmp.dir, 'console-data');
    const d = new RepoManager(data);
    expect((await d.get()).chunkSize).toBeGreaterThan(0);
    expect(existsSync(path.join(data, 'repository', 'config'))).toBe(true);
    await d.close();
  });

  it('hvbc repo check --repo on a folder without a repository fails and creates nothing', async () => {
    const { io, err } = capture();
    const missing = path.join(tmp.dir, 'typo');
    const lab = path.join(tmp.dir, 'lab');
    expect(await runCli(['repo', 'check', '--repo', missing, '--lab', lab], io)).not.toBe(0);
    expect(err.join('\n')).toMatch(/REPO_NOT_FOUND.*no repository in .*typo/);
    expect(existsSync(missing)).toBe(false);
  });
});
