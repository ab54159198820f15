// One long-lived PowerShell process with its own FIFO queue, framed by per-command random markers.
//
// Built on child_process.spawn rather than node-powershell v5 (see README "Why not node-powershell"): v5 only
// returns output after the command ends (no progress side channel), silently drops queued invocations when the
// process dies (p-queue clear() never settles their promises), leaves the command running on timeout, and lets
// the NODE_POWERSHELL environment variable override the executable. The framing idea is the same: a random
// delimiter per command, written by the shell itself around the output.
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { EOL } from 'node:os';
import { HvbcError, isHvbcError } from '../../../../shared/errors';
import { buildBootstrapCommand, buildInvocationCommand, newNonce } from './command';
import {
  classifyLine,
  extractEnvelope,
  LineSplitter,
  unwrapEnvelope,
  type ProgressLine,
} from './framing';
import { scriptSpec, type ScriptName, type TimeoutClass } from './registry';
import type { ScriptLibrary } from './script-library';
import { redact, type Credential } from './secrets';

export interface ConnectSpec {
  computerName: string;
  authentication: 'Kerberos' | 'Negotiate' | 'Default';
  useSsl?: boolean;
  port?: number;
  /** Fetched from the secret store right before connecting; undefined = current user's Kerberos ticket. */
  credential?: () => Promise<Credential | undefined>;
}

export interface SessionLogEntry {
  session: string;
  event:
    | 'spawn'
    | 'ready'
    | 'exit'
    | 'invoke'
    | 'result'
    | 'timeout'
    | 'cancel'
    | 'noise'
    | 'stderr'
    | 'retry';
  pid?: number;
  script?: string;
  ms?: number;
  detail?: string;
}

export interface SessionOptions {
  /** For messages and logs, e.g. "HV01/data". */
  label: string;
  executable: string;
  args: readonly string[];
  library: ScriptLibrary;
  /** Remote session over WinRM; absent = run in the local process. */
  connect?: ConnectSpec;
  startTimeoutMs: number;
  timeouts: Record<TimeoutClass, number>;
  env?: NodeJS.ProcessEnv;
  log?: (e: SessionLogEntry) => void;
}

export interface InvokeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ProgressLine) => void;
}

interface Job {
  script: ScriptName;
  params: unknown;
  opts: InvokeOptions;
  attempt: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onAbort?: () => void;
}

interface Running {
  nonce: string;
  lines: string[];
  stderr: string[];
  onLine: (line: string) => void;
  onExit: (why: string) => void;
}

interface Proc {
  child: ChildProcess;
  pid: number | undefined;
  dead: boolean;
  exitInfo: string;
  splitter: LineSplitter;
  running: Running | null;
  stderrTail: string[];
}

const STDERR_KEEP = 40;
const STDERR_GRACE_MS = 150;

export class PsSession {
  private queue: Job[] = [];
  private proc: Proc | null = null;
  private busy = false;
  private closed = false;
  private spawned = 0;
  private secrets: string[] = [];

  constructor(private readonly opts: SessionOptions) {}

  get label(): string {
    return this.opts.label;
  }
  /** pid of the current process (undefined before the first command or after a kill). */
  get pid(): number | undefined {
    return this.proc && !this.proc.dead ? this.proc.pid : undefined;
  }
  /** How many processes this session has started (1 + replacements). */
  get processCount(): number {
    return this.spawned;
  }
  get pending(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  /** Queue a script; resolves with the envelope's `data` (unvalidated: the caller parses it). */
  invoke(script: ScriptName, params: unknown, opts: InvokeOptions = {}): Promise<unknown> {
    if (this.closed)
      return Promise.reject(
        new HvbcError('CANCELED', `PowerShell session ${this.opts.label} is closed.`),
      );
    if (opts.signal?.aborted) return Promise.reject(canceled(script));
    return new Promise((resolve, reject) => {
      const job: Job = { script, params, opts, attempt: 0, resolve, reject };
      if (opts.signal) {
        job.onAbort = () => this.abort(job);
        opts.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      void this.pump();
    });
  }

  /** Kill the process and reject everything queued. */
  async close(): Promise<void> {
    this.closed = true;
    const q = this.queue.splice(0);
    for (const j of q)
      this.settle(
        j,
        new HvbcError('CANCELED', `PowerShell session ${this.opts.label} was closed.`),
      );
    const p = this.proc;
    if (p && !p.dead) {
      const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
      this.kill(p, 'session closed');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    }
  }

  // ---- queue -------------------------------------------------------------------------------------------

  private async pump(): Promise<void> {
    if (this.busy || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    try {
      const data = await this.runWithRetry(job);
      this.settle(job, undefined, data);
    } catch (e) {
      this.settle(job, e);
    } finally {
      this.busy = false;
      void this.pump();
    }
  }

  private settle(job: Job, err: unknown, value?: unknown): void {
    if (job.onAbort) job.opts.signal?.removeEventListener('abort', job.onAbort);
    if (err === undefined) job.resolve(value);
    else job.reject(this.clean(err));
  }

  private abort(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.settle(job, canceled(job.script));
      return;
    }
    // Running: stop waiting by killing the process; the next command gets a fresh one.
    const p = this.proc;
    if (p && !p.dead) {
      this.log({ event: 'cancel', pid: p.pid, script: job.script });
      this.kill(p, 'canceled');
    }
  }

  private async runWithRetry(job: Job): Promise<unknown> {
    const spec = scriptSpec(job.script);
    for (;;) {
      try {
        const proc = await this.ensureProcess(job);
        return await this.runOn(
          proc,
          job.script,
          job.params,
          job.opts,
          job.opts.timeoutMs ?? this.opts.timeouts[spec.timeout],
        );
      } catch (e) {
        if (job.opts.signal?.aborted) throw canceled(job.script);
        if (this.closed)
          throw new HvbcError(
            'CANCELED',
            `PowerShell session ${this.opts.label} was closed during ${job.script}.`,
            { script: job.script },
          );
        const crashed = isHvbcError(e) && e.details?.crashed === true;
        if (
          crashed &&
          spec.idempotent &&
          !spec.sensitive &&
          job.attempt === 0 &&
          !job.opts.signal?.aborted &&
          !this.closed
        ) {
          job.attempt++;
          this.log({
            event: 'retry',
            script: job.script,
            detail: 'process exited mid-command; retrying once on a new process',
          });
          continue;
        }
        throw e;
      }
    }
  }

  // ---- process -----------------------------------------------------------------------------------------

  private async ensureProcess(job: Job): Promise<Proc> {
    if (this.proc && !this.proc.dead) return this.proc;
    const proc = this.spawnProcess();
    try {
      await this.bootstrap(proc);
      if (this.opts.connect) await this.connect(proc, job);
      return proc;
    } catch (e) {
      this.kill(proc, 'startup failed');
      throw e;
    }
  }

  private spawnProcess(): Proc {
    const child: ChildProcess = nodeSpawn(this.opts.executable, [...this.opts.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      env: this.opts.env ?? process.env,
    });
    this.spawned++;
    const proc: Proc = {
      child,
      pid: child.pid,
      dead: false,
      exitInfo: '',
      splitter: new LineSplitter(),
      running: null,
      stderrTail: [],
    };
    this.proc = proc;
    this.log({ event: 'spawn', pid: child.pid, detail: this.opts.executable });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      for (const line of proc.splitter.push(chunk)) this.onStdout(proc, line);
    });
    const errSplit = new LineSplitter();
    child.stderr?.on('data', (chunk: string) => {
      for (const line of errSplit.push(chunk)) {
        proc.stderrTail.push(line);
        if (proc.stderrTail.length > STDERR_KEEP) proc.stderrTail.shift();
        proc.running?.stderr.push(line);
        this.log({ event: 'stderr', pid: proc.pid, detail: this.scrub(line).slice(0, 500) });
      }
    });
    child.stdin?.on('error', () => {
      /* EPIPE after a crash: reported through 'exit' */
    });
    const died = (why: string): void => {
      if (proc.dead) return;
      proc.dead = true;
      proc.exitInfo = why;
      for (const line of proc.splitter.flush()) this.onStdout(proc, line);
      this.log({ event: 'exit', pid: proc.pid, detail: why });
      proc.running?.onExit(why);
    };
    child.on('error', (e) => died(`could not run ${this.opts.executable}: ${e.message}`));
    child.on('exit', (code, signal) =>
      died(signal ? `killed by ${signal}` : `exited with code ${code}`),
    );
    return proc;
  }

  private onStdout(proc: Proc, line: string): void {
    if (proc.running) proc.running.onLine(line);
    else if (line.trim() !== '')
      this.log({ event: 'noise', pid: proc.pid, detail: this.scrub(line).slice(0, 500) });
  }

  private kill(proc: Proc, why: string): void {
    if (proc.dead) return;
    try {
      proc.child.stdin?.end();
    } catch {
      /* ignore */
    }
    proc.child.kill('SIGKILL');
    // Mark dead now: the replacement must not wait for the OS to report the exit.
    proc.dead = true;
    proc.exitInfo = why;
    if (this.proc === proc) this.proc = null;
    const running = proc.running;
    proc.running = null;
    running?.onExit(why);
  }

  private bootstrap(proc: Proc): Promise<void> {
    const nonce = newNonce();
    const cmd = buildBootstrapCommand(
      this.opts.library.bootstrap,
      this.opts.library.scripts,
      nonce,
    );
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.running = null;
        this.log({ event: 'timeout', pid: proc.pid, detail: 'startup' });
        reject(
          new HvbcError(
            'TIMEOUT',
            `PowerShell (${this.opts.label}) did not start within ${this.opts.startTimeoutMs} ms.`,
            { session: this.opts.label },
          ),
        );
      }, this.opts.startTimeoutMs);
      proc.running = {
        nonce,
        lines: [],
        stderr: [],
        onLine: (line) => {
          const ev = classifyLine(line, nonce);
          if (ev.type === 'ready') {
            clearTimeout(timer);
            proc.running = null;
            this.log({ event: 'ready', pid: proc.pid, detail: ev.info.slice(0, 200) });
            resolve();
          } else if (ev.type === 'line' && line.trim() !== '')
            this.log({ event: 'noise', pid: proc.pid, detail: this.scrub(line).slice(0, 500) });
        },
        onExit: (why) => {
          clearTimeout(timer);
          proc.running = null;
          const err = proc.stderrTail.slice(-5).join(' | ');
          reject(
            new HvbcError(
              'POWERSHELL_FAILED',
              `PowerShell (${this.opts.label}) failed to start: ${why}${err ? `; stderr: ${this.scrub(err)}` : ''}`,
              { session: this.opts.label },
            ),
          );
        },
      };
      this.write(proc, cmd);
    });
  }

  private async connect(proc: Proc, job: Job): Promise<void> {
    const c = this.opts.connect as ConnectSpec;
    const cred = c.credential ? await c.credential() : undefined;
    if (cred) this.secrets = [cred.password.reveal()];
    const params = {
      computerName: c.computerName,
      authentication: c.authentication,
      useSsl: c.useSsl ?? false,
      port: c.port ?? null,
      credential: cred ? { username: cred.username, password: cred.password.reveal() } : null,
    };
    await this.runOn(
      proc,
      'Connect-HvbcSession',
      params,
      { ...(job.opts.signal ? { signal: job.opts.signal } : {}) },
      this.opts.timeouts.connect,
    );
  }

  private write(proc: Proc, cmd: string): void {
    proc.child.stdin?.write(cmd + EOL);
  }

  /** Write one invocation and wait for its DONE marker (or timeout, crash, cancel). */
  private runOn(
    proc: Proc,
    script: ScriptName,
    params: unknown,
    opts: InvokeOptions,
    timeoutMs: number,
  ): Promise<unknown> {
    if (proc.dead) return Promise.reject(this.crashError(proc, script));
    const nonce = newNonce();
    const cmd = buildInvocationCommand(script, params, nonce);
    const started = Date.now();
    this.log({ event: 'invoke', pid: proc.pid, script });
    return new Promise<unknown>((resolve, reject) => {
      let finished = false;
      const finish = (err: unknown, value?: unknown): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        proc.running = null;
        this.log({
          event: 'result',
          pid: proc.pid,
          script,
          ms: Date.now() - started,
          detail: err ? (isHvbcError(err) ? err.code : 'error') : 'ok',
        });
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => {
        this.log({ event: 'timeout', pid: proc.pid, script, ms: timeoutMs });
        finish(
          new HvbcError(
            'TIMEOUT',
            `${script} did not finish within ${Math.round(timeoutMs / 1000)} s on ${this.opts.label}; the PowerShell process was killed and will be replaced.`,
            { script, session: this.opts.label, timeoutMs },
          ),
        );
        this.kill(proc, 'timeout');
      }, timeoutMs);
      const running: Running = {
        nonce,
        lines: [],
        stderr: [],
        onLine: (line) => {
          const ev = classifyLine(line, nonce);
          if (ev.type === 'progress') {
            try {
              opts.onProgress?.(ev.progress);
            } catch {
              /* a listener's bug must not break the command */
            }
          } else if (ev.type === 'done') {
            try {
              const { value, noise } = extractEnvelope(running.lines, nonce, script);
              for (const n of noise)
                this.log({
                  event: 'noise',
                  pid: proc.pid,
                  script,
                  detail: this.scrub(n).slice(0, 500),
                });
              finish(undefined, unwrapEnvelope(value, script));
            } catch (e) {
              if (
                !(isHvbcError(e) && e.code === 'PARSE_FAILED') ||
                running.lines.some((l) => l.includes(nonce))
              ) {
                finish(e);
                return;
              }
              // No envelope at all: the script itself failed. stderr is another pipe and may lag behind stdout,
              // so give it a moment before choosing between POWERSHELL_FAILED (with its text) and PARSE_FAILED.
              setTimeout(() => {
                if (running.stderr.length > 0)
                  finish(
                    new HvbcError(
                      'POWERSHELL_FAILED',
                      `${script} failed before writing a result: ${this.scrub(running.stderr.slice(-5).join(' | '))}`,
                      { script },
                    ),
                  );
                else finish(e);
              }, STDERR_GRACE_MS);
            }
          } else if (ev.type === 'line') running.lines.push(line);
        },
        onExit: (why) => {
          if (why === 'canceled' || why === 'session closed') finish(canceled(script));
          else finish(this.crashError(proc, script, why));
        },
      };
      proc.running = running;
      this.write(proc, cmd);
    });
  }

  private crashError(proc: Proc, script: string, why = proc.exitInfo): HvbcError {
    const err = proc.stderrTail.slice(-5).join(' | ');
    return new HvbcError(
      'POWERSHELL_FAILED',
      `PowerShell (${this.opts.label}) ${why || 'exited'} while running ${script}${err ? `; stderr: ${this.scrub(err)}` : ''}.`,
      { script, session: this.opts.label, crashed: true },
    );
  }

  private scrub(text: string): string {
    return redact(text, this.secrets);
  }

  private clean(e: unknown): unknown {
    if (!isHvbcError(e) || this.secrets.length === 0) return e;
    const details = e.details
      ? (JSON.parse(this.scrub(JSON.stringify(e.details))) as Record<string, unknown>)
      : undefined;
    return new HvbcError(e.code, this.scrub(e.message), details);
  }

  private log(e: Omit<SessionLogEntry, 'session'>): void {
    this.opts.log?.({ session: this.opts.label, ...e });
  }
}

function canceled(script: string): HvbcError {
  return new HvbcError('CANCELED', `${script} was canceled.`, { script });
}
