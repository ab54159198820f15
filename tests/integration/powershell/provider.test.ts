// PowerShellProvider end to end up to the process boundary: fake powershell.exe answering recorded outputs.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { Inventory } from '../../../shared/model';
import { flagsOf } from '../../../shared/topology';
import {
  resolveExecutable,
  parseConfig,
} from '../../../electron/services/providers/powershell/config';
import {
  PowerShellProvider,
  type ProgressEvent,
} from '../../../electron/services/providers/powershell/provider';
import { MemorySecretStore } from '../../../electron/services/providers/powershell/secrets';
import type { SessionLogEntry } from '../../../electron/services/providers/powershell/session';
import { fakeEnv, fakeExecutable, readLog, tempDir, type FakeEnv } from './fake';

const SQL = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const WEB = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const CSV2 = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const RP1 = `Microsoft:${SQL.toUpperCase()}\\\\C0FFEE00-1111-4222-8333-444455556666`;

const providers: PowerShellProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

async function make(
  fake: FakeEnv & { config?: Record<string, unknown> } = {},
  secrets = new MemorySecretStore(),
): Promise<{ p: PowerShellProvider; logFile: string; logs: SessionLogEntry[] }> {
  const logFile = path.join(tempDir(), 'fake.jsonl');
  const env = fakeEnv({ ...fake, logFile });
  const logs: SessionLogEntry[] = [];
  const p = await PowerShellProvider.create(
    {
      ...fakeExecutable(),
      edition: fake.edition ?? '5.1',
      timeouts: {
        startMs: 10_000,
        connectMs: 10_000,
        inventoryMs: 10_000,
        commandMs: 10_000,
        dataMs: 10_000,
      },
      ...(fake.config ?? {}),
    },
    { secrets, env, log: (e) => logs.push(e) },
  );
  providers.push(p);
  return { p, logFile, logs };
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

describe('PowerShellProvider over the fake executable', () => {
  it.each(['5.1', '7'] as const)(
    'inventory (%s) is a valid Inventory with a powershell source',
    async (edition) => {
      const { p, logFile } = await make({ edition });
      const inv = await p.inventory();
      expect(Inventory.safeParse(inv).success).toBe(true);
      expect(inv.source).toMatchObject({ kind: 'powershell', readOnly: false, location: 'local' });
      expect(flagsOf(inv).size).toBe(inv.vms.length);
      expect(readLog(logFile).some((l) => l.kind === 'rejected')).toBe(false);
    },
  );

  it('routes VM work to the owner node: local for this node, WinRM (Connect-HvbcSession) for another', async () => {
    const { p, logFile } = await make();
    await p.inventory();
    const cp = await p.createCheckpoint(SQL, {
      type: 'recovery',
      consistency: 'application',
      createdBy: 'backup',
    });
    expect(cp).toMatchObject({
      consistencyReached: 'crash',
      checkpoint: { type: 'recovery', createdBy: 'backup' },
    });
    expect(cp.fallbackReason).toMatch(/retried crash-consistent/);
    let log = readLog(logFile);
    expect(log.filter((l) => l.script === 'Connect-HvbcSession')).toHaveLength(0);
    await p.removeCheckpoint(WEB, 'a1b2c3d4-0001-4000-8000-000000000001');
    log = readLog(logFile);
    expect(log.filter((l) => l.script === 'Connect-HvbcSession')).toHaveLength(1);
    expect(new Set(log.map((l) => l.pid)).size).toBe(3); // inventory lane, local data lane, HV02 data lane
  });

  it('requireConsistency: a fallback to crash-consistent is a CHECKPOINT_FAILED', async () => {
    const { p } = await make();
    const e = await failure(
      p.createCheckpoint(SQL, {
        type: 'recovery',
        consistency: 'application',
        requireConsistency: true,
      }),
    );
    expect(e.code).toBe('CHECKPOINT_FAILED');
  });

  it('frozen disks are administrative-share paths of the checkpoint chain, with inventory disk ids', async () => {
    const { p } = await make();
    const inv = await p.inventory();
    const disks = await p.frozenDisks(SQL, 'a1b2c3d4-0002-4000-8000-000000000002');
    expect(disks.map((d) => d.chainPath)).toEqual([
      '\\\\HV01\\C$\\ClusterStorage\\Volume1\\SQL01\\Virtual Hard Disks\\SQL01-os_A1B2C3D4-0001-4000-8000-000000000001.avhdx',
      '\\\\HV01\\C$\\ClusterStorage\\Volume2\\SQL01\\Virtual Hard Disks\\SQL01-data_A1B2C3D4-0001-4000-8000-000000000001.avhdx',
    ]);
    expect(disks.map((d) => d.diskId)).toEqual(
      inv.vms.find((v) => v.id === SQL)?.disks.map((d) => d.id),
    );
  });

  it('reference points, changed ranges and the full-required fallbacks', async () => {
    const { p } = await make();
    await p.inventory();
    const rps = await p.listReferencePoints(SQL);
    expect(rps).toHaveLength(2);
    const diskId = `${SQL}:SCSI0:0`;
    expect(rps[1]?.rctIds[diskId]).toBe('rctX:7e5d6c4b:3a29:4817:9605:f4e3d2c1b0a9:00000012');
    const r = await p.changedRanges(SQL, diskId, RP1);
    expect(r).toEqual({
      kind: 'ranges',
      virtualSize: 137438953472,
      ranges: [
        { offset: 0, length: 2097152 },
        { offset: 1073741824, length: 4194304 },
        { offset: 137434759168, length: 4194304 },
      ],
    });
    expect(await p.changedRanges(SQL, diskId, 'Microsoft:gone')).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/no longer exists/),
    });
    expect(await p.changedRanges(SQL, `${SQL}:SCSI0:5`, RP1)).toMatchObject({
      kind: 'full-required',
      reason: expect.stringMatching(/disk set changed/),
    });
    const conv = await p.convertToReferencePoint(SQL, 'a1b2c3d4-0002-4000-8000-000000000002');
    expect(Object.keys(conv.rctIds)).toEqual([diskId, `${SQL}:SCSI0:1`]);
    await p.removeReferencePoint(SQL, RP1);
  });

  it('guest VSS writers need a guest credential from the secret store', async () => {
    const secrets = new MemorySecretStore();
    const { p: without } = await make({}, secrets);
    expect((await failure(without.guestVssWriters(SQL))).code).toBe('UNAUTHORIZED');
    secrets.set('guest-sql', 'SQL01\\Administrator', 'guest-pass');
    const { p, logs } = await make({ config: { guestCredentialRef: 'guest-sql' } }, secrets);
    const writers = await p.guestVssWriters(SQL);
    expect(writers.find((w) => w.name === 'SqlServerWriter')).toMatchObject({
      state: 'Failed at post-snapshot',
      retryable: false,
    });
    expect(JSON.stringify(logs)).not.toContain('guest-pass');
  });

  it('CSV moves check the new owner', async () => {
    const { p } = await make();
    await p.inventory();
    await p.moveCsv(CSV2, 'HV01');
    expect((await failure(p.moveCsv(CSV2, 'HV02'))).code).toBe('CSV_BUSY');
    expect((await failure(p.moveCsv(CSV2, 'HV09'))).code).toBe('NOT_FOUND');
  });

  it('events: mapped once with stable seq, filtered by VM', async () => {
    const { p } = await make();
    const seen: string[] = [];
    p.subscribe((c) => seen.push(c.reason));
    const a = await p.events();
    expect(a.map((e) => `${e.seq}:${e.id}:${e.level}:${e.operation}`)).toEqual([
      '1:5120:Error:csv-paused',
      '2:10103:Error:backup-no-scsi',
      '3:19100:Error:merge-failed',
    ]);
    const b = await p.events({ sinceSeq: 1 });
    expect(b.map((e) => e.seq)).toEqual([2, 3]);
    expect((await p.events({ vmId: SQL })).map((e) => e.id)).toEqual([19100]);
    expect(seen.filter((r) => r === 'event')).toHaveLength(3);
  });

  it('export streams job progress; canceling it stops the WMI job on the host', async () => {
    const { p, logFile } = await make({ modes: { 'Export-HvbcVm': 'progress:3' } });
    const seen: ProgressEvent[] = [];
    p.onProgress((e) => seen.push(e));
    const r = await p.exportVm(SQL, {
      destination: '\\\\backup01\\x',
      checkpointId: 'a1b2c3d4-0002-4000-8000-000000000002',
      differentialBase: RP1,
      taskId: 't1',
    });
    expect(r.differential).toBe(true);
    expect(seen.map((e) => `${e.taskId}:${e.progress.percent}`)).toEqual([
      't1:33',
      't1:67',
      't1:100',
    ]);

    const { p: q, logFile: qLog } = await make({ modes: { 'Export-HvbcVm': 'progress-hang' } });
    const ac = new AbortController();
    const got: number[] = [];
    const run = failure(
      q.exportVm(SQL, {
        destination: 'E:\\x',
        signal: ac.signal,
        onProgress: (x) => got.push(x.percent ?? -1),
      }),
    );
    await new Promise((res) => {
      const t = setInterval(() => {
        if (got.length >= 2) {
          clearInterval(t);
          res(undefined);
        }
      }, 20);
    });
    ac.abort();
    expect((await run).code).toBe('CANCELED');
    await new Promise((res) => setTimeout(res, 500));
    expect(
      readLog(qLog)
        .filter((l) => l.script === 'Stop-HvbcJob')
        .map((l) => l.keys),
    ).toEqual([['jobId']]);
    expect(readLog(logFile).some((l) => l.script === 'Stop-HvbcJob')).toBe(false);
  });

  it('import with a new id reports Compare-VM incompatibilities instead of importing (7 fixture)', async () => {
    const { p } = await make({ edition: '7' });
    const r = await p.importVm({
      node: 'HVN1',
      path: 'E:\\Exports\\DC01\\Virtual Machines\\x.vmcx',
      vhdDestinationPath: 'C:\\ClusterStorage\\Volume1\\Restore',
    });
    expect(r).toMatchObject({ imported: false, issues: [{ messageId: '33012' }] });
  });

  it('WinRM: Kerberos by default; tries the next host when one is unreachable; explicit credential from the store', async () => {
    const secrets = new MemorySecretStore();
    secrets.set('ops', 'CORP\\hvbackup', 'P@ss w0rd');
    const { p, logFile, logs } = await make(
      {
        config: {
          transport: 'winrm',
          hosts: ['unreachable.example', 'hv01.corp.example'],
          credentialRef: 'ops',
        },
      },
      secrets,
    );
    const inv = await p.inventory();
    expect(inv.source.location).toBe('winrm://hv01.corp.example');
    const log = readLog(logFile);
    // unreachable.example, then hv01.corp.example (entry), then HV02 for its own VMs (HV03 is down): no second hop.
    expect(log.filter((l) => l.script === 'Connect-HvbcSession')).toHaveLength(3);
    expect(log.filter((l) => l.script === 'Get-HvbcInventory').map((l) => l.keys)).toEqual([
      ['includeReferencePoints', 'vmScope'],
      ['includeReferencePoints', 'skipCluster', 'vmScope'],
    ]);
    expect(inv.vms).toHaveLength(5); // the fake answers the same VMs for both nodes: merged by id
    // Events: each Up node reads its own logs through its own session; duplicates are merged by record key.
    expect((await p.events()).map((e) => e.id)).toEqual([5120, 10103, 19100]);
    expect(readLog(logFile).filter((l) => l.script === 'Get-HvbcEvents')).toHaveLength(2);
    expect(JSON.stringify(logs)).not.toContain('P@ss');
    const { p: noCred } = await make(
      { config: { transport: 'winrm', cluster: 'hvcl01', credentialRef: 'missing' } },
      secrets,
    );
    expect((await failure(noCred.inventory())).code).toBe('UNAUTHORIZED');
  });

  it('unknown VMs are NOT_FOUND before anything runs', async () => {
    const { p } = await make();
    expect((await failure(p.frozenDisks('00000000-0000-4000-8000-00000000dead', 'x'))).code).toBe(
      'NOT_FOUND',
    );
  });
});

describe('configuration', () => {
  it('validates and resolves the executable', () => {
    expect(() => parseConfig({ transport: 'winrm' })).toThrow(
      /needs a cluster name or at least one host/,
    );
    expect(() => parseConfig({ transport: 'winrm', hosts: ['bad host;'] })).toThrow(
      /PARSE_FAILED|host name/,
    );
    const c = parseConfig({});
    expect(c).toMatchObject({ transport: 'local', edition: '5.1', authentication: 'Kerberos' });
    expect(resolveExecutable(c, 'win32', { SystemRoot: 'D:\\Win' })).toEqual({
      executable: 'D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      args: [
        '-NoLogo',
        '-NoProfile',
        '-NonInteractive',
        '-ExecutionPolicy',
        'Bypass',
        '-Command',
        '-',
      ],
    });
    expect(resolveExecutable(parseConfig({ edition: '7' }), 'win32', {}).executable).toBe(
      'pwsh.exe',
    );
    expect(
      resolveExecutable(
        parseConfig({ executable: 'C:\\x\\fake.exe', executableArgs: ['a'] }),
        'win32',
        {},
      ).args[0],
    ).toBe('a');
  });
});
