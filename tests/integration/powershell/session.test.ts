// Session handling against a fake powershell.exe: framing, queueing, timeouts, crashes, per-host/lane isolation.
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import type { PsSession } from '../../../electron/services/providers/powershell/session';
import { SessionPool } from '../../../electron/services/providers/powershell/pool';
import { loadScriptLibrary } from '../../../electron/services/providers/powershell/script-library';
import { MemorySecretStore } from '../../../electron/services/providers/powershell/secrets';
import { fakeEnv, fakeExecutable, fakeSession, readLog, tempDir } from './fake';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
async function session(...a: Parameters<typeof fakeSession>): ReturnType<typeof fakeSession> {
  const r = await fakeSession(...a);
  open.push(r.session);
  return r;
}
async function failure(p: Promise<unknown>): Promise<HvbcError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HvbcError);
    return e as HvbcError;
  }
  throw new Error('expected a failure');
}
const fake = (mode: string) => ({ __fake: { mode } });

describe('PsSession (fake powershell.exe)', () => {
  it('bootstraps once, frames envelopes, reuses one process for sequential commands', async () => {
    const logFile = path.join(tempDir(), 'log.jsonl');
    const { session: s } = await session({ fake: { logFile } });
    const inv = (await s.invoke('Get-HvbcInventory', { includeReferencePoints: true })) as {
      collectedOn: string;
    };
    expect(inv.collectedOn).toBe('HV01');
    expect(await s.invoke('Remove-HvbcCheckpoint', { vmId: 'x', checkpointId: 'y' })).toEqual({
      removed: true,
      checkpointId: 'a1b2c3d4-0001-4000-8000-000000000001',
    });
    expect(s.processCount).toBe(1);
    const log = readLog(logFile);
    expect(log.map((l) => l.kind)).toEqual(['bootstrap', 'invoke', 'invoke']);
    expect(log.some((l) => l.kind === 'rejected')).toBe(false);
    expect((log[0] as { scripts?: string[] }).scripts).toContain('Get-HvbcInventory');
  });

  it('ignores noise, warnings, stderr and a forged envelope with the wrong nonce', async () => {
    const { session: s, logs } = await session();
    expect(await s.invoke('Move-HvbcCsv', { csvId: 'a', node: 'b', ...fake('noise') })).toEqual({
      csvId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
      name: 'Cluster Disk 2',
      ownerNode: 'HV01',
    });
    expect(logs.some((l) => l.event === 'noise' && /WARNING/.test(l.detail ?? ''))).toBe(true);
    await vi.waitFor(() => expect(logs.some((l) => l.event === 'stderr')).toBe(true));
  });

  it.each([
    ['two-envelopes', /2 result envelopes/],
    ['garbage-inside', /not valid JSON/],
    ['no-envelope', /no result envelope/],
  ])('%s → PARSE_FAILED, and the session stays usable', async (mode, pattern) => {
    const { session: s } = await session();
    const e = await failure(s.invoke('Stop-HvbcJob', { jobId: 'j', ...fake(mode) }));
    expect(e.code).toBe('PARSE_FAILED');
    expect(e.message).toMatch(pattern);
    expect(await s.invoke('Stop-HvbcJob', { jobId: 'j' })).toMatchObject({ requested: true });
    expect(s.processCount).toBe(1);
  });

  it('a script that fails before writing a result → POWERSHELL_FAILED with its stderr', async () => {
    const { session: s } = await session();
    const e = await failure(s.invoke('Stop-HvbcJob', { jobId: 'j', ...fake('stderr-only') }));
    expect(e.code).toBe('POWERSHELL_FAILED');
    expect(e.message).toMatch(/Invalid class/);
  });

  it('queues commands FIFO on one process', async () => {
    const { session: s } = await session();
    const order: string[] = [];
    const a = s
      .invoke('Export-HvbcVm', { vmId: 'x', ...fake('delay:150') })
      .then(() => order.push('export'));
    const b = s.invoke('Stop-HvbcJob', { jobId: 'j' }).then(() => order.push('stop'));
    const c = s.invoke('Move-HvbcCsv', { csvId: 'c', node: 'n' }).then(() => order.push('move'));
    expect(s.pending).toBe(3);
    await Promise.all([a, b, c]);
    expect(order).toEqual(['export', 'stop', 'move']);
  });

  it('streams progress lines before the command ends', async () => {
    const { session: s } = await session();
    const seen: number[] = [];
    await s.invoke(
      'Export-HvbcVm',
      { vmId: 'x', ...fake('progress:5') },
      { onProgress: (p) => seen.push(p.percent ?? -1) },
    );
    expect(seen).toEqual([20, 40, 60, 80, 100]);
  });

  it('a timeout kills the process with TIMEOUT, and the next command gets a new process', async () => {
    const { session: s, logs } = await session();
    await s.invoke('Stop-HvbcJob', { jobId: 'j' });
    const firstPid = s.pid;
    const t0 = Date.now();
    const e = await failure(
      s.invoke('Get-HvbcChangedRanges', { ...fake('hang') }, { timeoutMs: 300 }),
    );
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toMatch(/killed and will be replaced/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await s.invoke('Stop-HvbcJob', { jobId: 'j' })).toMatchObject({ requested: true });
    expect(s.pid).not.toBe(firstPid);
    expect(s.processCount).toBe(2);
    expect(logs.some((l) => l.event === 'timeout' && l.script === 'Get-HvbcChangedRanges')).toBe(
      true,
    );
  });

  it('a command queued behind a hung one runs on the replacement process after the timeout', async () => {
    const { session: s } = await session();
    const hung = failure(s.invoke('Export-HvbcVm', { ...fake('hang') }, { timeoutMs: 300 }));
    const next = s.invoke('Stop-HvbcJob', { jobId: 'j' });
    expect((await hung).code).toBe('TIMEOUT');
    expect(await next).toMatchObject({ requested: true });
  });

  it('a crash mid-command fails that command (not idempotent) and the session restarts', async () => {
    const { session: s } = await session();
    const e = await failure(s.invoke('New-HvbcCheckpoint', { vmId: 'x', ...fake('crash') }));
    expect(e.code).toBe('POWERSHELL_FAILED');
    expect(e.message).toMatch(
      /exited with code 1 while running New-HvbcCheckpoint.*Internal CLR error/,
    );
    expect(await s.invoke('Remove-HvbcCheckpoint', {})).toMatchObject({ removed: true });
    expect(s.processCount).toBe(2);
  });

  it('an idempotent read is retried once on a new process after a crash', async () => {
    const marker = path.join(tempDir(), 'crashed-once');
    const { session: s, logs } = await session();
    const inv = (await s.invoke('Get-HvbcInventory', { ...fake(`crash-once:${marker}`) })) as {
      cluster: { name: string };
    };
    expect(inv.cluster.name).toBe('HVCL01');
    expect(s.processCount).toBe(2);
    expect(logs.some((l) => l.event === 'retry')).toBe(true);
  });

  it('queued commands are not lost when the process crashes under the running one', async () => {
    const { session: s } = await session();
    const crashed = failure(s.invoke('Export-HvbcVm', { ...fake('crash') }));
    const after = [s.invoke('Stop-HvbcJob', {}), s.invoke('Move-HvbcCsv', {})];
    expect((await crashed).code).toBe('POWERSHELL_FAILED');
    await expect(Promise.all(after)).resolves.toHaveLength(2);
  });

  it('cancel: a queued command is dropped; a running one is stopped by killing the process', async () => {
    const { session: s } = await session();
    const ac = new AbortController();
    const running = failure(s.invoke('Export-HvbcVm', { ...fake('hang') }, { signal: ac.signal }));
    const queued = new AbortController();
    const q = failure(s.invoke('Stop-HvbcJob', {}, { signal: queued.signal }));
    queued.abort();
    expect((await q).code).toBe('CANCELED');
    ac.abort();
    expect((await running).code).toBe('CANCELED');
    expect(await s.invoke('Stop-HvbcJob', {})).toMatchObject({ requested: true });
    expect(s.processCount).toBe(2);
  });

  it('startup failures: an executable that does not exist, a crash, a hang', async () => {
    const { session: a } = await session({
      executable: path.join(tempDir(), 'no-such-powershell.exe'),
      args: [],
    });
    expect((await failure(a.invoke('Stop-HvbcJob', {}))).message).toMatch(
      /failed to start: could not run/,
    );
    const { session: b } = await session({ fake: { boot: 'crash' } });
    expect((await failure(b.invoke('Stop-HvbcJob', {}))).message).toMatch(
      /failed to start: exited with code 3.*not recognized/,
    );
    const { session: c } = await session({ fake: { boot: 'hang' }, startTimeoutMs: 300 });
    expect((await failure(c.invoke('Stop-HvbcJob', {}))).code).toBe('TIMEOUT');
  });

  it('remote sessions connect first; credentials travel only inside the base64 request and never reach logs or errors', async () => {
    const logFile = path.join(tempDir(), 'log.jsonl');
    const secrets = new MemorySecretStore();
    secrets.set('hv', 'CORP\\backup', 'wrong-password');
    const { session: s, logs } = await session({
      fake: { logFile },
      connect: {
        computerName: 'hv01.corp.example',
        authentication: 'Negotiate',
        credential: () => secrets.get('hv'),
      },
    });
    const e = await failure(s.invoke('Get-HvbcInventory', {}));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify({ m: e.message, d: e.details, logs })).not.toContain('wrong-password');
    const log = readLog(logFile);
    expect(log.map((l) => `${l.kind}:${l.script ?? ''}`)).toEqual([
      'bootstrap:',
      'invoke:Connect-HvbcSession',
    ]);
    expect(JSON.stringify(log)).not.toContain('wrong-password');

    secrets.set('hv', 'CORP\\backup', 'S3cret!"$(x)');
    expect(((await s.invoke('Get-HvbcInventory', {})) as { collectedOn: string }).collectedOn).toBe(
      'HV01',
    );
    expect(readLog(logFile).filter((l) => l.script === 'Connect-HvbcSession')).toHaveLength(2);
    expect(JSON.stringify(logs)).not.toContain('S3cret');
  });

  it('an unreachable host → HOST_UNREACHABLE', async () => {
    const { session: s } = await session({
      connect: { computerName: 'unreachable.example', authentication: 'Kerberos' },
    });
    expect((await failure(s.invoke('Get-HvbcInventory', {}))).code).toBe('HOST_UNREACHABLE');
  });

  it('close() rejects queued work and ends the process', async () => {
    const { session: s } = await session();
    const p = failure(s.invoke('Export-HvbcVm', { ...fake('hang') }));
    const q = failure(s.invoke('Stop-HvbcJob', {}));
    await new Promise((r) => setTimeout(r, 300));
    await s.close();
    expect((await q).code).toBe('CANCELED');
    expect((await p).code).toBe('CANCELED');
    expect((await failure(s.invoke('Stop-HvbcJob', {}))).code).toBe('CANCELED');
  });
});

describe('SessionPool: per host and per lane', () => {
  it('a hung data-lane command does not block inventory on the same host, nor another host', async () => {
    const { executable, executableArgs } = fakeExecutable();
    const pool = new SessionPool({
      executable,
      args: [...executableArgs, '-Command', '-'],
      library: await loadScriptLibrary(),
      startTimeoutMs: 10_000,
      timeouts: { connect: 10_000, inventory: 10_000, command: 10_000, data: 60_000 },
      env: fakeEnv({ modes: { 'Export-HvbcVm': 'hang' } }),
      connectFor: () => undefined,
    });
    open.push(pool);
    const data: PsSession = pool.get('HV01', 'data');
    const hung = data.invoke('Export-HvbcVm', { vmId: 'x' });
    hung.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await expect(
      pool.get('HV01', 'inventory').invoke('Get-HvbcInventory', {}),
    ).resolves.toBeTruthy();
    await expect(pool.get('HV02', 'data').invoke('Move-HvbcCsv', {})).resolves.toBeTruthy();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(data.pending).toBe(1);
    expect(pool.get('hv01', 'data')).toBe(data);
    expect(pool.list()).toHaveLength(3);
  });
});
