// Every pre-flight rule has a passing and a failing case, built from lab definitions (with faults) or from facts.
import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../../electron/services/planner/preflight';
import { preflightRules, type PreflightRule } from '../../../electron/services/planner/rules';
import {
  backupCreatedBy,
  isOwnedByJob,
} from '../../../electron/services/planner/rules/checkpoints';
import type { LabDefinition } from '../../../electron/services/providers/lab/definition';
import type { Inventory, VssWriter } from '../../../shared/model';
import type { PreflightFacts, PreflightResult } from '../../../shared/planner';
import { csv, def, GiB, inventoryOf, MiB, vm, vmByName } from './helpers';

const stable = (name: string): VssWriter => ({
  name,
  state: '[1] Stable',
  lastError: 'No error',
  retryable: false,
});

/** What the provider would answer for a lab definition's faults (the edge gathers these for real). */
function factsFromFaults(d: LabDefinition, inv: Inventory): PreflightFacts {
  const facts: PreflightFacts = { vssWriters: {}, guestClusters: {} };
  for (const v of d.vms) {
    const id = vmByName(inv, v.name).id;
    const writers = [stable('System Writer'), stable('WMI Writer')];
    if (v.faults.failedVssWriter)
      writers.push({
        name: v.faults.failedVssWriter,
        state: '[11] Failed',
        lastError: 'Non-retryable error',
        retryable: false,
      });
    facts.vssWriters![id] = writers;
    if (v.group && v.faults.vhdSetError)
      facts.guestClusters![v.group] = { lastErrorCode: v.faults.vhdSetError };
  }
  return facts;
}

function result(
  inv: Inventory,
  facts: PreflightFacts,
  ruleId: string,
  target: string,
  opts = {},
): PreflightResult {
  const report = runPreflight(inv, facts, opts);
  const r = report.results.find(
    (x) => x.ruleId === ruleId && (x.target.name === target || x.target.id === target),
  );
  if (!r)
    throw new Error(
      `no result for ${ruleId} on ${target}: ${report.results
        .filter((x) => x.ruleId === ruleId)
        .map((x) => x.target.name)
        .join(', ')}`,
    );
  return r;
}

const one = (
  os: LabDefinition['cluster']['osVersion'],
  v: Parameters<typeof vm>[0],
  extra: Partial<LabDefinition> = {},
) => def(os, ['N1'], [csv(1, 'N1')], [vm(v)], extra);

describe('pre-flight rules: pass and fail', () => {
  it('has a pass and a fail case for every rule in the table', () => {
    // Guard: a new rule must be added to this file.
    expect(preflightRules.map((r) => r.id).sort()).toEqual(
      [
        'automatic-checkpoints',
        'change-tracking-next-run',
        'change-tracking-supported',
        'csv-access',
        'csv-free-space',
        'dry-run-checkpoint',
        'guest-cluster-vhd-set',
        'guest-vss-writers',
        'host-invisible-disks',
        'integration-services',
        'lingering-checkpoints',
        'scsi-controller',
      ].sort(),
    );
    for (const r of preflightRules) {
      expect(r.description.length).toBeGreaterThan(40);
      expect(['error', 'warning', 'info']).toContain(r.severity);
    }
  });

  it('scsi-controller: 2012 R2 VM without SCSI fails with event 10103; with one it passes; other versions n/a', () => {
    const bad = inventoryOf(
      one('2012R2', {
        name: 'OLD',
        host: 'N1',
        scsiControllers: 0,
        generation: 1,
        disks: [{ csv: 'csv1', file: 'o.vhdx', controller: 'IDE' }],
      }),
    );
    const r = result(bad, {}, 'scsi-controller', 'OLD');
    expect(r).toMatchObject({ status: 'fail', severity: 'error' });
    expect(r.message).toMatch(/event 10103/);
    expect(r.fix).toMatch(/Add-VMScsiController -VMName 'OLD'/);
    expect(
      result(
        inventoryOf(
          one('2012R2', { name: 'OK', host: 'N1', disks: [{ csv: 'csv1', file: 'k.vhdx' }] }),
        ),
        {},
        'scsi-controller',
        'OK',
      ).status,
    ).toBe('pass');
    expect(
      result(
        inventoryOf(
          one('2019', {
            name: 'NEW',
            host: 'N1',
            scsiControllers: 0,
            disks: [{ csv: 'csv1', file: 'n.vhdx' }],
          }),
        ),
        {},
        'scsi-controller',
        'NEW',
      ).status,
    ).toBe('not-applicable');
  });

  it('integration-services: the integrationServicesOff fault fails; defaults pass; a VM that is off is n/a', () => {
    const r = result(
      inventoryOf(
        one('2019', {
          name: 'ICOFF',
          host: 'N1',
          faults: { integrationServicesOff: true },
          disks: [{ csv: 'csv1', file: 'i.vhdx' }],
        }),
      ),
      {},
      'integration-services',
      'ICOFF',
    );
    expect(r).toMatchObject({ status: 'fail', severity: 'error' });
    expect(r.message).toMatch(/"Backup \(volume shadow copy\)" integration service is off/);
    expect(r.evidence).toContain('Backup (volume shadow copy): disabled, Disabled');
    expect(
      result(
        inventoryOf(
          one('2019', { name: 'ICON', host: 'N1', disks: [{ csv: 'csv1', file: 'i.vhdx' }] }),
        ),
        {},
        'integration-services',
        'ICON',
      ).status,
    ).toBe('pass');
    expect(
      result(
        inventoryOf(
          one('2019', {
            name: 'OFF',
            host: 'N1',
            state: 'Off',
            faults: { integrationServicesOff: true },
            disks: [{ csv: 'csv1', file: 'i.vhdx' }],
          }),
        ),
        {},
        'integration-services',
        'OFF',
      ).status,
    ).toBe('not-applicable');
  });

  it('guest-vss-writers: the failedVssWriter fault (SQLServerWriter, seed 003) fails and names the writer and its service', () => {
    const d = one('2019', {
      name: 'SQL01',
      host: 'N1',
      faults: { failedVssWriter: 'SqlServerWriter' },
      disks: [{ csv: 'csv1', file: 's.vhdx' }],
    });
    const inv = inventoryOf(d);
    const r = result(inv, factsFromFaults(d, inv), 'guest-vss-writers', 'SQL01');
    expect(r).toMatchObject({ status: 'fail', severity: 'error' });
    expect(r.message).toMatch(
      /^SqlServerWriter is \[11\] Failed \(Non-retryable error\): the application-consistent checkpoint of SQL01 will fail/,
    );
    expect(r.fix).toMatch(/SQL Server VSS Writer \(SQLWriter\)/);
    const healthy = one('2019', {
      name: 'SQL02',
      host: 'N1',
      disks: [{ csv: 'csv1', file: 's.vhdx' }],
    });
    const hinv = inventoryOf(healthy);
    expect(result(hinv, factsFromFaults(healthy, hinv), 'guest-vss-writers', 'SQL02').status).toBe(
      'pass',
    );
    // A retryable failure is a warning; nothing collected is unknown.
    const id = vmByName(hinv, 'SQL02').id;
    const retry = result(
      hinv,
      {
        vssWriters: {
          [id]: [
            { name: 'NTDS', state: '[9] Failed', lastError: 'Retryable error', retryable: true },
          ],
        },
      },
      'guest-vss-writers',
      'SQL02',
    );
    expect(retry).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(retry.fix).toMatch(/Active Directory Domain Services \(NTDS\)/);
    expect(result(hinv, {}, 'guest-vss-writers', 'SQL02').status).toBe('unknown');
  });

  it('change-tracking-supported: configuration 5.0 on 2019 means every run is FULL; 9.0 passes; 2012 R2 is an info', () => {
    const r = result(
      inventoryOf(
        one('2019', {
          name: 'V5',
          host: 'N1',
          configVersion: '5.0',
          disks: [{ csv: 'csv1', file: 'v.vhdx' }],
        }),
      ),
      {},
      'change-tracking-supported',
      'V5',
    );
    expect(r).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(r.message).toBe(
      'Every backup of V5 will be FULL: its configuration version is 5.0 (6.2 or later is needed).',
    );
    expect(r.fix).toMatch(/Update-VMVersion -Name 'V5'/);
    expect(
      result(
        inventoryOf(
          one('2019', { name: 'V9', host: 'N1', disks: [{ csv: 'csv1', file: 'v.vhdx' }] }),
        ),
        {},
        'change-tracking-supported',
        'V9',
      ).status,
    ).toBe('pass');
    expect(
      result(
        inventoryOf(
          one('2012R2', { name: 'OLD', host: 'N1', disks: [{ csv: 'csv1', file: 'v.vhdx' }] }),
        ),
        {},
        'change-tracking-supported',
        'OLD',
      ),
    ).toMatchObject({ status: 'fail', severity: 'info' });
    const fl = one('2019', { name: 'FL', host: 'N1', disks: [{ csv: 'csv1', file: 'v.vhdx' }] });
    expect(
      result(
        inventoryOf({ ...fl, cluster: { ...fl.cluster, functionalLevel: '8' } }),
        {},
        'change-tracking-supported',
        'FL',
      ).message,
    ).toMatch(/functional level is 2012 R2/);
  });

  it('change-tracking-next-run: explains why the next run is FULL; incremental passes', () => {
    const inv = inventoryOf(
      one('2019', {
        name: 'DB',
        host: 'N1',
        disks: [
          { csv: 'csv1', file: 'db.vhdx' },
          { csv: 'csv1', file: 'log.vhdx' },
        ],
      }),
    );
    const [d1, d2] = vmByName(inv, 'DB').disks;
    const ranges = {
      referencePointId: 'rp1',
      answer: { kind: 'ranges' as const, changedBytes: 5 * MiB, virtualSize: GiB },
    };
    const pass = result(
      inv,
      { rct: { [d1!.id]: ranges, [d2!.id]: ranges } },
      'change-tracking-next-run',
      'DB',
    );
    expect(pass.status).toBe('pass');
    expect(pass.message).toBe('The next run of DB is incremental: about 10.0 MiB changed.');
    const full = result(
      inv,
      {
        rct: {
          [d1!.id]: ranges,
          [d2!.id]: {
            referencePointId: 'rp1',
            answer: {
              kind: 'full-required',
              reason: 'the disk was storage-migrated since the last backup',
            },
          },
        },
      },
      'change-tracking-next-run',
      'DB',
    );
    expect(full).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(full.message).toBe(
      'The next run of DB will be FULL because log.vhdx: the disk was storage-migrated since the last backup.',
    );
    const first = result(
      inv,
      { rct: { [d1!.id]: { referencePointId: null }, [d2!.id]: ranges } },
      'change-tracking-next-run',
      'DB',
    );
    expect(first).toMatchObject({ status: 'fail', severity: 'info' });
    expect(first.message).toMatch(/FULL because db\.vhdx has no reference point yet/);
    expect(result(inv, {}, 'change-tracking-next-run', 'DB').status).toBe('unknown');
    expect(
      result(
        inventoryOf(
          one('2012R2', { name: 'X', host: 'N1', disks: [{ csv: 'csv1', file: 'x.vhdx' }] }),
        ),
        {},
        'change-tracking-next-run',
        'X',
      ).status,
    ).toBe('not-applicable');
  });

  it('a checkpoint a running backup task made is owned by it, in the form the backup engine records', () => {
    const cp = (createdBy: string) => ({
      id: 'cp-2',
      name: 'Backup',
      type: 'recovery' as const,
      parentId: null,
      created: '2023-12-01T00:00:00Z',
      createdBy,
    });
    expect(isOwnedByJob(cp(backupCreatedBy('t-1')), [], ['t-1'])).toBe(true);
    expect(isOwnedByJob(cp('t-1'), [], ['t-1'])).toBe(true);
    expect(isOwnedByJob(cp(backupCreatedBy('t-1')), [], ['t-2'])).toBe(false);
    expect(isOwnedByJob(cp('backup task t-10'), [], ['t-1'])).toBe(false);
  });

  it('lingering-checkpoints: a recovery checkpoint no job owns fails; owned by a running job passes; deep chains fail', () => {
    const d = one('2019', { name: 'APP', host: 'N1', disks: [{ csv: 'csv1', file: 'app.vhdx' }] });
    const withCp = inventoryOf(d, (i) => {
      i.vms[0]!.checkpoints.push({
        id: 'cp-1',
        name: 'Veeam Recovery',
        type: 'recovery',
        parentId: null,
        created: '2023-12-01T00:00:00Z',
        createdBy: 'task-9',
      });
    });
    const r = result(withCp, {}, 'lingering-checkpoints', 'APP');
    expect(r).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(r.message).toMatch(/^APP has 1 recovery checkpoint no running backup owns/);
    expect(r.fix).toMatch(/Never merge the \.avhdx files by hand/);
    expect(
      result(withCp, { activeCheckpointIds: ['cp-1'] }, 'lingering-checkpoints', 'APP').status,
    ).toBe('pass');
    const deep = inventoryOf(d, (i) => {
      const disk = i.vms[0]!.disks[0]!;
      for (let k = 1; k <= 4; k++)
        disk.chain.push({
          path: `${disk.chain[0]!.path.replace('.vhdx', '')}_${k}.avhdx`,
          kind: 'differencing',
          checkpointId: `s${k}`,
          fileSize: 0,
          parentPath: disk.chain[k - 1]!.path,
        });
    });
    expect(result(deep, {}, 'lingering-checkpoints', 'APP').message).toMatch(
      /a disk chain 4 differencing files deep/,
    );
    expect(result(inventoryOf(d), {}, 'lingering-checkpoints', 'APP').status).toBe('pass');
  });

  it('csv-free-space: the DPM formula (size × churn × window) against free space', () => {
    const d = def(
      '2019',
      ['N1'],
      [csv(1, 'N1', 100)],
      [vm({ name: 'BIG', host: 'N1', disks: [{ csv: 'csv1', file: 'b.vhdx', size: 50 * GiB }] })],
    );
    const tight = inventoryOf(d, (i) => void (i.cluster.csvs[0]!.freeBytes = 5 * GiB));
    const r = result(tight, {}, 'csv-free-space', 'CSV 1', {
      changeRatePercent: 10,
      windowHours: 2,
    });
    expect(r).toMatchObject({ status: 'fail', severity: 'error' });
    expect(r.evidence[0]).toBe('Formula: 50.0 GiB of disks × 10% per hour × 2 h = 10.0 GiB');
    expect(r.fix).toMatch(/Free at least 7.00 GiB on CSV 1/);
    const margin = inventoryOf(d, (i) => void (i.cluster.csvs[0]!.freeBytes = 11 * GiB));
    expect(
      result(margin, {}, 'csv-free-space', 'CSV 1', { changeRatePercent: 10, windowHours: 2 }),
    ).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(
      result(inventoryOf(d), {}, 'csv-free-space', 'CSV 1', {
        changeRatePercent: 10,
        windowHours: 2,
      }).status,
    ).toBe('pass');
  });

  it('csv-access: redirected access is a warning, a backup snapshot an info, direct passes', () => {
    const d = one('2012R2', { name: 'A', host: 'N1', disks: [{ csv: 'csv1', file: 'a.vhdx' }] });
    const redirected = inventoryOf(
      d,
      (i) =>
        void (i.cluster.csvs[0]!.states = [
          { node: 'N1', state: 'BlockRedirected', reason: 'NoDiskConnectivity' },
        ]),
    );
    expect(result(redirected, {}, 'csv-access', 'CSV 1')).toMatchObject({
      status: 'fail',
      severity: 'warning',
    });
    const backup = inventoryOf(
      d,
      (i) =>
        void (i.cluster.csvs[0]!.states = [
          {
            node: 'N1',
            state: 'FileSystemRedirected',
            reason: 'BackupInProgress (snapshot by N2)',
          },
        ]),
    );
    expect(result(backup, {}, 'csv-access', 'CSV 1')).toMatchObject({
      status: 'fail',
      severity: 'info',
    });
    expect(result(inventoryOf(d), {}, 'csv-access', 'CSV 1').status).toBe('pass');
  });

  it('guest-cluster-vhd-set: the vhdSetError faults 32768, 32770, 32775 fail with their meaning; a healthy guest cluster passes', () => {
    const gc = (
      os: LabDefinition['cluster']['osVersion'],
      fault?: 32768 | 32770 | 32775,
      file = 'shared.vhds',
    ) =>
      def(
        os,
        ['N1', 'N2'],
        [csv(1, 'N1'), csv(2, 'N2')],
        [
          vm({
            name: 'G1',
            host: 'N1',
            group: 'GC',
            ...(fault ? { faults: { vhdSetError: fault } } : {}),
            disks: [
              { csv: 'csv1', file: 'g1.vhdx' },
              { csv: 'csv2', file, shared: true },
            ],
          }),
          vm({
            name: 'G2',
            host: 'N2',
            group: 'GC',
            disks: [
              { csv: 'csv2', file: 'g2.vhdx' },
              { csv: 'csv2', file, shared: true },
            ],
          }),
        ],
        { groups: [{ name: 'GC', kind: 'guest-cluster', vhdSet: `csv2/${file}` }] },
      );
    const meaning: Record<number, RegExp> = {
      32768: /could not query the cluster service inside the guest/,
      32770: /used as a Cluster Shared Volume inside the guest/,
      32775: /not exactly one guest node owns the shared disk/,
    };
    for (const code of [32768, 32770, 32775] as const) {
      const d = gc('2016', code);
      const inv = inventoryOf(d);
      const r = result(inv, factsFromFaults(d, inv), 'guest-cluster-vhd-set', 'GC');
      expect(r).toMatchObject({ status: 'fail', severity: 'error' });
      expect(r.message).toMatch(meaning[code]!);
    }
    const healthy = inventoryOf(gc('2016'));
    expect(
      result(
        healthy,
        {
          guestClusters: {
            GC: { clusterServiceRunning: true, sharedDiskUsedAsCsv: false, ownerCount: 1 },
          },
        },
        'guest-cluster-vhd-set',
        'GC',
      ).status,
    ).toBe('pass');
    expect(
      result(healthy, { guestClusters: { GC: { ownerCount: 0 } } }, 'guest-cluster-vhd-set', 'GC')
        .message,
    ).toMatch(/error 32775/);
    expect(result(healthy, {}, 'guest-cluster-vhd-set', 'GC').status).toBe('unknown');
    // Static conditions: shared .vhdx, and hosts older than 2016.
    expect(
      result(inventoryOf(gc('2016', undefined, 'shared.vhdx')), {}, 'guest-cluster-vhd-set', 'GC')
        .message,
    ).toMatch(/shared \.vhdx, which cannot be checkpointed/);
    expect(result(inventoryOf(gc('2012R2')), {}, 'guest-cluster-vhd-set', 'GC').message).toMatch(
      /run on Windows Server 2012 R2, where a host-level backup cannot capture shared disks/,
    );
  });

  it('host-invisible-disks: pass-through and in-guest iSCSI disks fail; virtual disks pass', () => {
    const r = result(
      inventoryOf(
        one('2019', {
          name: 'FS',
          host: 'N1',
          disks: [
            { csv: 'csv1', file: 'os.vhdx' },
            { file: 'lun.vhdx', attachment: 'iscsi-in-guest' },
            { file: 'pt.vhdx', attachment: 'passthrough' },
          ],
        }),
      ),
      {},
      'host-invisible-disks',
      'FS',
    );
    expect(r).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(r.message).toMatch(/^2 of FS's disks are not in a host-level backup/);
    expect(
      result(
        inventoryOf(
          one('2019', { name: 'OK', host: 'N1', disks: [{ csv: 'csv1', file: 'os.vhdx' }] }),
        ),
        {},
        'host-invisible-disks',
        'OK',
      ).status,
    ).toBe('pass');
  });

  it('automatic-checkpoints: on for a production VM fails; on for a dev VM or off passes', () => {
    const r = result(
      inventoryOf(
        one('2019', {
          name: 'PROD',
          host: 'N1',
          automaticCheckpoints: true,
          tags: ['prod'],
          disks: [{ csv: 'csv1', file: 'p.vhdx' }],
        }),
      ),
      {},
      'automatic-checkpoints',
      'PROD',
    );
    expect(r).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(r.fix).toMatch(/Set-VM -Name 'PROD' -AutomaticCheckpointsEnabled \$false/);
    expect(
      result(
        inventoryOf(
          one('2019', {
            name: 'DEV',
            host: 'N1',
            automaticCheckpoints: true,
            tags: ['dev'],
            disks: [{ csv: 'csv1', file: 'd.vhdx' }],
          }),
        ),
        {},
        'automatic-checkpoints',
        'DEV',
      ).status,
    ).toBe('pass');
    expect(
      result(
        inventoryOf(
          one('2019', { name: 'OFF', host: 'N1', disks: [{ csv: 'csv1', file: 'o.vhdx' }] }),
        ),
        {},
        'automatic-checkpoints',
        'OFF',
      ).status,
    ).toBe('pass');
  });

  it('dry-run-checkpoint: a taken-and-removed checkpoint passes; a refused one fails with the writer named; not requested is n/a', () => {
    const inv = inventoryOf(
      one('2019', { name: 'SQL', host: 'N1', disks: [{ csv: 'csv1', file: 's.vhdx' }] }),
    );
    const id = vmByName(inv, 'SQL').id;
    const ok = result(
      inv,
      {
        dryRuns: {
          [id]: {
            ok: true,
            checkpointId: 'c1',
            consistencyReached: 'application',
            removed: true,
            createSeconds: 2,
            removeSeconds: 1,
          },
        },
      },
      'dry-run-checkpoint',
      'SQL',
    );
    expect(ok.status).toBe('pass');
    const refused = result(
      inv,
      {
        dryRuns: {
          [id]: {
            ok: false,
            stage: 'create',
            error: {
              code: 'CHECKPOINT_FAILED',
              message:
                "'SQL' could not initiate a checkpoint operation: 0x800423F4 (SqlServerWriter)",
              details: { hyperVCode: 32768 },
            },
          },
        },
      },
      'dry-run-checkpoint',
      'SQL',
    );
    expect(refused).toMatchObject({ status: 'fail', severity: 'error' });
    expect(refused.fix).toMatch(/A guest VSS writer refused/);
    expect(refused.message).not.toMatch(/cluster service/); // 32768 on a plain VM is not a guest-cluster problem
    const leftover = result(
      inv,
      {
        dryRuns: {
          [id]: {
            ok: true,
            checkpointId: 'c1',
            consistencyReached: 'application',
            removed: false,
            removeError: { code: 'FILE_LOCKED', message: 'locked' },
            createSeconds: 2,
            removeSeconds: 1,
          },
        },
      },
      'dry-run-checkpoint',
      'SQL',
    );
    expect(leftover).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(result(inv, {}, 'dry-run-checkpoint', 'SQL').status).toBe('not-applicable');
    expect(
      result(
        inv,
        {
          dryRuns: {
            [id]: {
              ok: false,
              stage: 'create',
              error: { code: 'UNSUPPORTED', message: 'read-only estate' },
            },
          },
        },
        'dry-run-checkpoint',
        'SQL',
      ).status,
    ).toBe('unknown');
  });
});

describe('runPreflight', () => {
  it('summarises, blocks on errors, scopes CSV and group rules to the VMs checked', () => {
    const d = def(
      '2012R2',
      ['N1', 'N2'],
      [csv(1, 'N1'), csv(2, 'N2')],
      [
        vm({ name: 'A', host: 'N1', scsiControllers: 0, disks: [{ csv: 'csv1', file: 'a.vhdx' }] }),
        vm({ name: 'B', host: 'N2', disks: [{ csv: 'csv2', file: 'b.vhdx' }] }),
      ],
    );
    const inv = inventoryOf(d);
    const all = runPreflight(inv, {});
    expect(all.blocked).toBe(true);
    expect(all.summary.errors).toBe(1);
    expect(
      all.results.filter((r) => r.status === 'fail' && r.severity === 'error').map((r) => r.id),
    ).toEqual([`scsi-controller:${vmByName(inv, 'A').id}`]);
    const onlyB = runPreflight(inv, {}, { vmIds: ['B'] });
    expect(onlyB.blocked).toBe(false);
    expect(onlyB.results.filter((r) => r.target.kind === 'csv').map((r) => r.target.id)).toEqual([
      'csv2',
      'csv2',
    ]);
    expect(
      onlyB.summary.passed +
        onlyB.summary.unknown +
        onlyB.summary.notApplicable +
        onlyB.summary.infos +
        onlyB.summary.warnings +
        onlyB.summary.errors,
    ).toBe(onlyB.results.length);
  });

  it('turns a crashing rule into "unknown" instead of failing the run', () => {
    const boom: PreflightRule = {
      id: 'boom',
      title: 'Boom',
      scope: 'vm',
      severity: 'error',
      description: 'throws',
      check: () => {
        throw new Error('kaput');
      },
    };
    const inv = inventoryOf(
      one('2019', { name: 'A', host: 'N1', disks: [{ csv: 'csv1', file: 'a.vhdx' }] }),
    );
    const r = runPreflight(inv, {}, {}, [boom]);
    expect(r.results[0]).toMatchObject({
      status: 'unknown',
      message: 'The check itself failed: kaput',
    });
  });
});
