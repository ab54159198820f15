// Test helper: child processes that run a lab script until it prints a marker, then get killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';

/** Children started by a test file; kill what is left after each test with `killAll`. */
export class Children {
  private readonly list: ChildProcess[] = [];

  constructor(private readonly script: string) {}

  /** Start the script; resolves when it prints `until` (or rejects if it exits first). */
  start(args: string[], until: string, env: Record<string, string> = {}): Promise<ChildProcess> {
    const c = spawn(process.execPath, ['--import', 'tsx', this.script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.list.push(c);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      c.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes(until)) resolve(c);
      });
      c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      c.on('exit', (code) =>
        reject(new Error(`child exited ${code} before "${until}": ${out} ${err}`)),
      );
    });
  }

  killAll(): void {
    for (const c of this.list.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

/** SIGKILL a child and wait until it is gone. */
export function kill9(c: ChildProcess): Promise<void> {
  return new Promise((r) => {
    c.on('exit', () => r());
    c.kill('SIGKILL');
  });
}
