// What `hvbc repo check | forget | gc` tell an admin at a terminal: sentences and the ids they concern, not a JSON dump.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main';
import { capture } from '../../helpers/cli';
import { tempDir } from '../../helpers/tmp';

describe('hvbc repo tasks on a terminal', () => {
  const tmp = tempDir();
  const common = ['--repo', path.join(tmp.dir, 'repo'), '--lab', path.join(tmp.dir, 'lab')];
  afterAll(() => tmp.cleanup());
  const run = async (...args: string[]) => {
    const c = capture();
    const code = await runCli([...args, ...common], c.io);
    return { code, out: c.out.join('\n'), err: c.err.join('\n') };
  };

  it('check, retention and gc print what they found and did', async () => {
    expect((await run('repo', 'init')).code).toBe(0);
    // Point ids sort by second only: take each backup's new point as it appears.
    const points = () => readdirSync(path.join(tmp.dir, 'repo', 'points'));
    expect((await run('backup', 'DC01')).code).toBe(0);
    const [older] = points();
    expect((await run('backup', 'DC01')).code).toBe(0);
    const newer = points().find((id) => id !== older);

    const check = await run('repo', 'check');
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/Structure is consistent\. \d+ chunks checked\./);
    expect(check.out).not.toContain('"ok"');

    const preview = await run('repo', 'forget', '--keep-last', '1');
    expect(preview.out).toContain(
      'Retention preview (nothing removed): 1 restore point would be removed, 1 kept.',
    );
    expect(preview.out).toContain(`would remove ${older}`);
    expect(preview.out).toContain(`kept ${newer}`);
    expect(preview.out).toContain('--apply');
    const applied = await run('repo', 'forget', '--keep-last', '1', '--apply');
    expect(applied.out).toContain(`Retention applied: 1 restore point was removed, 1 kept.`);
    expect(applied.out).toContain(`removed ${older}`);

    const gc = await run('repo', 'gc');
    expect(gc.code).toBe(0);
    expect(gc.out).toMatch(/Garbage collection done\. Freed [\d.]+ [KMG]?i?B; \d+ packs? deleted/);

    // Damage the first pack's data: the deep check names the damage and the point it affects, and exits 1.
    const packsDir = path.join(tmp.dir, 'repo', 'packs');
    const pack = readdirSync(packsDir, { recursive: true, withFileTypes: true }).find((e) =>
      e.isFile(),
    );
    const file = path.join(pack?.parentPath ?? '', pack?.name ?? '');
    const bytes = readFileSync(file);
    for (let i = 64; i < bytes.length; i += 4096) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
    writeFileSync(file, bytes);
    const deep = await run('repo', 'check', '--read-data');
    expect(deep.code).toBe(1);
    expect(deep.out).toMatch(
      /The repository is damaged\. \d+ chunks? checked; 0 missing, \d+ corrupt, affecting 1 restore point\./,
    );
    expect(deep.out).toContain(`Affected restore points: ${newer}`);
  });

  it('quarantine moves a point with a damaged manifest aside and refuses anything else', async () => {
    // A repository of its own (the test before damaged a pack of the first one).
    common[1] = path.join(tmp.dir, 'repo2');
    expect((await run('repo', 'init')).code).toBe(0);
    expect((await run('backup', 'DC01')).code).toBe(0);
    expect((await run('backup', 'DC01')).code).toBe(0);
    const points = readdirSync(path.join(tmp.dir, 'repo2', 'points'));
    const victim = points[0] ?? '';
    writeFileSync(path.join(tmp.dir, 'repo2', 'points', victim), 'garbage');
    const good = points.find((p) => p !== victim) ?? '';
    const refused = await run('repo', 'quarantine', good);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('reads fine, so it is not moved aside');
    expect((await run('repo', 'quarantine')).code).toBe(2);
    const moved = await run('repo', 'quarantine', victim);
    expect(moved.code).toBe(0);
    expect(moved.out).toContain(`Moved restore point ${victim} aside to `);
    expect(readdirSync(path.join(tmp.dir, 'repo2', 'points'))).not.toContain(victim);
    expect(readdirSync(path.join(tmp.dir, 'repo2', 'quarantine', 'points'))).toEqual([victim]);
  });
});
