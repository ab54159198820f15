import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main';
import { capture } from '../../helpers/cli';
import { tempDir } from '../../helpers/tmp';

// Mistakes on the command line: usage errors exit 2 in the tool's words, scripts get JSON, nothing is changed.
describe('hvbc usage errors', () => {
  const tmp = tempDir();
  const lab = path.join(tmp.dir, 'lab');
  const repo = path.join(tmp.dir, 'repo');
  afterAll(() => tmp.cleanup());
  afterEach(() => {
    delete process.env.HVBC_REPO_PASSPHRASE;
  });

  it('an unknown option or a dash value exits 2 and points at --help', async () => {
    const a = capture();
    expect(await runCli(['backup', 'DC01', '--bogus', '--lab', lab], a.io)).toBe(2);
    expect(a.err.join('\n')).toBe(
      `hvbc backup: [USAGE] Unknown option '--bogus'. Run "hvbc backup --help" for its options.`,
    );
    const b = capture();
    expect(await runCli(['repo', 'forget', '--keep-last', '-1', '--lab', lab], b.io)).toBe(2);
    expect(b.err.join('\n')).toMatch(/--keep-last' needs a value/);
    // Another subcommand's option would be ignored: refused instead.
    const c = capture();
    expect(await runCli(['repo', 'gc', '--read-data', '--lab', lab], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/hvbc repo gc does not take --read-data/);
    const d = capture();
    expect(await runCli(['restore', 'p', '--new-id', '--keep-id', '--lab', lab], d.io)).toBe(1);
    expect(d.err.join('\n')).toMatch(/--new-id and --keep-id contradict each other/);
  });

  it('with --json a failure is JSON on stdout too', async () => {
    expect(await runCli(['repo', 'init', '--repo', repo, '--lab', lab], capture().io)).toBe(0);
    const a = capture();
    expect(await runCli(['points', 'NOPE', '--json', '--repo', repo, '--lab', lab], a.io)).toBe(1);
    expect(JSON.parse(a.out.join('\n'))).toEqual({
      state: 'failed',
      error: { code: 'NOT_FOUND', message: expect.stringContaining('NOPE') },
    });
  });

  it('points names a point it cannot read (exit 1), and finds points of a VM no longer in the estate', async () => {
    const common = ['--repo', repo, '--lab', lab];
    expect(await runCli(['backup', 'DC01', ...common], capture().io)).toBe(0);
    expect(await runCli(['backup', 'DC01', ...common], capture().io)).toBe(0);
    const [first] = readdirSync(path.join(repo, 'points')).sort();
    writeFileSync(path.join(repo, 'points', first ?? ''), 'garbage');
    const a = capture();
    expect(await runCli(['points', 'dc01', '--json', ...common], a.io)).toBe(1);
    expect(a.err.join('\n')).toMatch(new RegExp(`!! restore point ${first}: .*hvbc repo check`));
    expect((JSON.parse(a.out.join('\n')) as unknown[]).length).toBe(1);
    // repo stats leaves it out of its figures, says so, and exits 1 (the figures are incomplete).
    const st = capture();
    expect(await runCli(['repo', 'stats', ...common], st.io)).toBe(1);
    expect(st.out.join('\n')).toMatch(/: 1 points of 1 VMs/);
    expect(st.err.join('\n')).toMatch(new RegExp(`!! restore point ${first} is left out: `));
    // Points are also found by the name they recorded: in this estate DC01 is another VM (another id), as
    // when a VM was deleted and created again.
    const lab2 = path.join(tmp.dir, 'other-lab');
    expect(await runCli(['lab', 'init', '--scenario', '2016', '--lab', lab2], capture().io)).toBe(
      0,
    );
    const idOf = async (l: string) => {
      const inv = capture();
      await runCli(['inventory', '--json', '--lab', l], inv.io);
      const vms = (JSON.parse(inv.out.join('\n')) as { vms: Array<{ id: string; name: string }> })
        .vms;
      return vms.find((v) => v.name === 'DC01')?.id;
    };
    expect(await idOf(lab2)).not.toBe(await idOf(lab));
    const b = capture();
    expect(await runCli(['points', 'DC01', '--repo', repo, '--lab', lab2], b.io)).toBe(1);
    expect(b.out.join('\n')).toMatch(/ DC01 /);
    const c = capture();
    expect(await runCli(['points', 'NOPE', ...common], c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/No VM and no restore points named "NOPE"/);
  });

  it('restore takes a unique prefix of a point id, and lists the points an ambiguous one matches', async () => {
    const r2 = path.join(tmp.dir, 'repo-prefix');
    const common = ['--repo', r2, '--lab', lab];
    expect(await runCli(['repo', 'init', ...common], capture().io)).toBe(0);
    expect(await runCli(['backup', 'WEB01', ...common], capture().io)).toBe(0);
    expect(await runCli(['backup', 'WEB01', ...common], capture().io)).toBe(0);
    const ids = readdirSync(path.join(r2, 'points')).sort();
    expect(ids).toHaveLength(2);
    const a = capture();
    expect(await runCli(['restore', '2', '--to', path.join(tmp.dir, 'rp0'), ...common], a.io)).toBe(
      1,
    );
    expect(a.err.join('\n')).toMatch(/2 restore points start with 2 .*give more of the id/);
    const last = ids[1] ?? '';
    const b = capture();
    expect(
      await runCli(
        ['restore', last.slice(0, -1), '--to', path.join(tmp.dir, 'rp1'), ...common],
        b.io,
      ),
    ).toBe(0);
    expect(b.out.join('\n')).toMatch(/Restored WEB01/);
    expect(readdirSync(path.join(tmp.dir, 'rp1')).sort()).toEqual([
      'Virtual Hard Disks',
      'Virtual Machines',
    ]);
  });

  it('retention counts must be whole numbers of 1 or more', async () => {
    for (const bad of ['0', '1.5', 'abc', '0x2', '1e3']) {
      const a = capture();
      expect(
        await runCli(['repo', 'forget', '--keep-last', bad, '--repo', repo, '--lab', lab], a.io),
      ).toBe(1);
      expect(a.err.join('\n')).toMatch(
        /--keep-last must be a whole number of 1 or more.*Nothing was removed/,
      );
    }
  });

  it('repo init refuses what would not do what was meant, and creates nothing', async () => {
    const target = path.join(tmp.dir, 'new-repo');
    process.env.HVBC_REPO_PASSPHRASE = 'long enough phrase';
    const a = capture();
    expect(await runCli(['repo', 'init', '--repo', target, '--lab', lab], a.io)).toBe(1);
    expect(a.err.join('\n')).toMatch(/HVBC_REPO_PASSPHRASE is set but --encrypt was not given/);
    process.env.HVBC_REPO_PASSPHRASE = 'short';
    const b = capture();
    expect(await runCli(['repo', 'init', '--encrypt', '--repo', target, '--lab', lab], b.io)).toBe(
      1,
    );
    expect(b.err.join('\n')).toMatch(/too short: use at least 8 characters/);
    delete process.env.HVBC_REPO_PASSPHRASE;
    const c = capture();
    expect(
      await runCli(['repo', 'init', '--chunk-size', '0', '--repo', target, '--lab', lab], c.io),
    ).toBe(1);
    expect(c.err.join('\n')).toMatch(/Chunk size 0 is not allowed/);
    expect(existsSync(target)).toBe(false);
  });
});
