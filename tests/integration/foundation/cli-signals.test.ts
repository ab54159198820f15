import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main';
import { capture } from '../../helpers/cli';
import { tempDir } from '../../helpers/tmp';

const HVBC = path.resolve(__dirname, '../../../electron/cli/hvbc.mjs');

/** Run `hvbc` as a real process; `onLine` sees each stdout line and gets the child to signal. */
function run(
  args: string[],
  onLine: (line: string, signal: (s: NodeJS.Signals) => void) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HVBC, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) onLine(l, (s) => child.kill(s));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

// A scheduler or service manager stops `hvbc` with SIGTERM sent to the process it started: the backup is canceled
// and cleaned up like a Ctrl-C, instead of the launcher dying and leaving the work running unseen.
describe('hvbc under signals', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('SIGTERM during a backup cancels it, removes its checkpoint, and the next backup succeeds', async () => {
    const lab = path.join(tmp.dir, 'lab');
    const repo = path.join(tmp.dir, 'repo');
    const common = ['--lab', lab, '--repo', repo];
    expect(await runCli(['repo', 'init', ...common], capture().io)).toBe(0);
    // 2 MB/s: reading DC01's disk takes tens of seconds, so the signal lands mid-read.
    expect(
      await runCli(
        ['lab', 'fault', 'DC01', 'slow-storage', 'on', '--value', '2', '--lab', lab],
        capture().io,
      ),
    ).toBe(0);

    let signaled = false;
    const r = await run(['backup', 'DC01', ...common], (line, signal) => {
      if (!signaled && line.startsWith('read:')) {
        signaled = true;
        signal('SIGTERM');
      }
    });
    expect(signaled).toBe(true);
    expect(r.signal).toBeNull(); // the process ended on its own, after cleaning up
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Canceling: cleanup runs before exit/);

    const inv = capture();
    expect(await runCli(['inventory', '--json', '--lab', lab], inv.io)).toBe(0);
    const dc01 = (
      JSON.parse(inv.out.join('\n')) as {
        vms: Array<{ name: string; checkpoints: Array<{ type: string }> }>;
      }
    ).vms.find((v) => v.name === 'DC01');
    expect(dc01?.checkpoints.filter((c) => c.type !== 'reference-point')).toEqual([]);

    expect(await runCli(['repo', 'check', ...common], capture().io)).toBe(0);
    expect(
      await runCli(['lab', 'fault', 'DC01', 'slow-storage', 'off', '--lab', lab], capture().io),
    ).toBe(0);
    expect(await runCli(['backup', 'DC01', ...common], capture().io)).toBe(0);
  }, 60_000);
});
