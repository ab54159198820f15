// Repository paths the admin types: a UNC path is refused off Windows before anything is created or changed.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RepoManager, assertRepoPathUsable } from '../../../electron/services/engine/repo-manager';
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
});
