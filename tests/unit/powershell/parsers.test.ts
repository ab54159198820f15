// Every recorded script output (5.1 and 7) maps to valid shared-model objects; malformed outputs fail clearly.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { HyperVEvent, Inventory, VssWriter } from '../../../shared/model';
import { flagsOf } from '../../../shared/topology';
import { unwrapEnvelope } from '../../../electron/services/providers/powershell/framing';
import { parseOrThrow } from '../../../electron/services/providers/powershell/normalize';
import { parseInventory } from '../../../electron/services/providers/powershell/parsers/inventory';
import {
  mapEvents,
  parseChangedRanges,
  parseConvertedReferencePoint,
  parseEvents,
  parseFrozenDisks,
  parseGuestVssWriters,
  parseNewCheckpoint,
  parseReferencePoints,
  parseVssadminWriters,
  RawConnect,
  RawExport,
  RawImport,
  RawMoveCsv,
  RawRemoved,
  RawStopJob,
  toAdminSharePath,
} from '../../../electron/services/providers/powershell/parsers/operations';
import { SCRIPT_NAMES } from '../../../electron/services/providers/powershell/registry';
import { data, EDITIONS, fixture, FIXTURES } from './helpers';

const src = { kind: 'powershell' as const, readOnly: false, location: 'test' };

function parseFailed(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HvbcError);
    expect((e as HvbcError).code).toBe('PARSE_FAILED');
    expect((e as HvbcError).message).toMatch(pattern);
    return;
  }
  throw new Error('expected PARSE_FAILED');
}

describe('fixtures', () => {
  it.each(EDITIONS)(
    '%s has a recorded output, with a documented source, for every allow-listed script',
    (ed) => {
      const files = readdirSync(path.join(FIXTURES, ed)).map((f) => f.replace(/\.json$/, ''));
      expect(files.sort()).toEqual([...SCRIPT_NAMES].sort());
      for (const f of files) expect(fixture(`${ed}/${f}.json`)._source).toMatch(/§\d/);
    },
  );
});

describe.each(EDITIONS)('PowerShell %s outputs', (ed) => {
  const d = (script: string): unknown =>
    unwrapEnvelope(fixture(`${ed}/${script}.json`).envelope, script);

  it('inventory → a valid Inventory the topology consumer can use', () => {
    const { inventory, collectedOn, psVersion } = parseInventory(d('Get-HvbcInventory'), src);
    expect(Inventory.safeParse(inventory).success).toBe(true);
    expect(collectedOn).toMatch(/^HV/);
    expect(psVersion).toMatch(ed === '7' ? /^7\./ : /^5\.1/);
    const flags = flagsOf(inventory);
    expect(flags.size).toBe(inventory.vms.length);
    for (const vm of inventory.vms)
      for (const disk of vm.disks)
        expect(
          disk.chain.every((f, i) =>
            i === 0 ? f.kind === 'base' : f.parentPath === disk.chain[i - 1]?.path,
          ),
        ).toBe(true);
  });

  it('changed ranges keep exact 64-bit offsets from strings', () => {
    const r = parseChangedRanges(d('Get-HvbcChangedRanges'));
    expect(r.kind).toBe('ranges');
    if (r.kind === 'ranges') {
      expect(r.virtualSize).toBe(137438953472);
      expect(r.ranges.every((x) => Number.isSafeInteger(x.offset) && x.length > 0)).toBe(true);
    }
  });

  it('checkpoint, frozen disks, reference points', () => {
    const cp = parseNewCheckpoint(d('New-HvbcCheckpoint'), 'recovery', 'backup');
    expect(cp.checkpoint.type).toBe('recovery');
    expect(['application', 'crash']).toContain(cp.consistencyReached);
    const frozen = parseFrozenDisks(d('Get-HvbcFrozenDisks'));
    expect(frozen.length).toBeGreaterThan(0);
    for (const f of frozen) expect(f.chainPath).toMatch(/^\\\\HV[A-Z0-9]+\\C\$\\ClusterStorage\\/);
    const data = d('Get-HvbcFrozenDisks') as { vmId: string };
    const inv = parseInventory(d('Get-HvbcInventory'), src).inventory;
    const vm = inv.vms.find((v) => v.id === data.vmId);
    for (const f of frozen) expect(vm?.disks.map((x) => x.id)).toContain(f.diskId);
    const rps = parseReferencePoints(d('Get-HvbcReferencePoints'), data.vmId);
    expect(rps.length).toBeGreaterThan(0);
    // VirtualDiskIdentifiers resolve to the same disk ids as the inventory (…\L form in 5.1, DiskIdentifier in 7).
    for (const rp of rps)
      for (const k of Object.keys(rp.rctIds)) expect(vm?.disks.map((x) => x.id)).toContain(k);
    const conv = parseConvertedReferencePoint(d('ConvertTo-HvbcReferencePoint'), data.vmId);
    expect(conv.created).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('events, guest VSS writers, small results', () => {
    const { events } = parseEvents(d('Get-HvbcEvents'));
    let n = 0;
    const mapped = mapEvents(events, () => ++n);
    for (const e of mapped) expect(HyperVEvent.safeParse(e).success).toBe(true);
    const writers = parseGuestVssWriters(d('Get-HvbcGuestVssWriters'));
    expect(writers.length).toBeGreaterThan(1);
    for (const w of writers) expect(VssWriter.safeParse(w).success).toBe(true);
    // [11] by number in both; only the English guest's "Non-retryable error" text is understood as such.
    expect(
      writers.some((w) => w.state === 'Failed at post-snapshot' && w.retryable === (ed === '7')),
    ).toBe(true);
    parseOrThrow(RawConnect, d('Connect-HvbcSession'), 'c');
    parseOrThrow(RawRemoved, d('Remove-HvbcCheckpoint'), 'r');
    parseOrThrow(RawRemoved, d('Remove-HvbcReferencePoint'), 'r');
    parseOrThrow(RawExport, d('Export-HvbcVm'), 'e');
    parseOrThrow(RawImport, d('Import-HvbcVm'), 'i');
    parseOrThrow(RawStopJob, d('Stop-HvbcJob'), 's');
    parseOrThrow(RawMoveCsv, d('Move-HvbcCsv'), 'm');
  });
});

describe('5.1 inventory details', () => {
  const inv = parseInventory(data('5.1/Get-HvbcInventory.json'), src).inventory;
  const vm = (name: string) => inv.vms.find((v) => v.name.startsWith(name));

  it('maps cluster, nodes (down node takes the lowest known version), CSVs and per-node states', () => {
    expect(inv.cluster).toMatchObject({
      name: 'HVCL01',
      osVersion: '2019',
      functionalLevel: '2019',
    });
    expect(inv.cluster.nodes.map((n) => `${n.name}:${n.state}:${n.osVersion}`)).toEqual([
      'HV01:Up:2019',
      'HV02:Up:2019',
      'HV03:Down:2019',
    ]);
    const [c1, c2] = inv.cluster.csvs;
    expect(c1).toMatchObject({
      name: 'Cluster Disk 1',
      fileSystem: 'NTFS',
      ownerNode: 'HV01',
      sizeBytes: 2199023255552,
    });
    expect(c2?.fileSystem).toBe('ReFS');
    expect(c2?.states).toContainEqual({
      node: 'HV01',
      state: 'FileSystemRedirected',
      reason: 'ReFs',
    });
    expect(c1?.states.every((s) => s.state === 'Direct' && s.reason === '')).toBe(true);
  });

  it('builds chains base-first with the checkpoint that started each differencing file', () => {
    const sql = vm('SQL01');
    const os = sql?.disks[0];
    expect(os?.id).toBe('6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b:SCSI0:0');
    expect(os?.chain.map((f) => f.kind)).toEqual(['base', 'differencing', 'differencing']);
    expect(os?.chain.map((f) => f.checkpointId)).toEqual([
      null,
      'a1b2c3d4-0001-4000-8000-000000000001',
      'a1b2c3d4-0002-4000-8000-000000000002',
    ]);
    expect(os?.csvId).toBe(inv.cluster.csvs[0]?.id);
    expect(sql?.disks[1]?.csvId).toBe(inv.cluster.csvs[1]?.id);
    expect(sql?.checkpoints.map((c) => c.type)).toEqual([
      'standard',
      'recovery',
      'reference-point',
    ]);
  });

  it('pass-through, IDE, guest cluster with a VHD Set, local storage, hostile names', () => {
    const web = vm('WEB01');
    expect(web?.scsiControllers).toBe(0);
    expect(web?.disks[1]).toMatchObject({ attachment: 'passthrough', chain: [] });
    expect(web?.integrationServices[0]?.status).toMatch(/protocol version/);
    const n1 = vm('FS-N1');
    const n2 = vm('FS-N2');
    expect(n1?.disks[1]?.id).toBe(n2?.disks[1]?.id);
    expect(n1?.disks[1]).toMatchObject({ shared: true, format: 'vhds' });
    expect(inv.groups).toEqual([
      expect.objectContaining({
        name: 'FS-Cluster',
        kind: 'guest-cluster',
        vhdSetPath: 'C:\\ClusterStorage\\Volume2\\Shared\\fsdata.vhds',
      }),
    ]);
    expect(n1?.groupId).toBe(inv.groups[0]?.id);
    const app = vm('APP01');
    expect(app?.name).toBe("APP01 (O'Brien) $(test)");
    expect(app?.disks[0]?.csvId).toBeNull();
    expect(app?.state).toBe('Saved');
  });
});

describe('normalisation of raw ConvertTo-Json shapes (synthetic variants)', () => {
  it('5.1: /Date()/, ETS date wrapper, DMTF, numeric enums and unrolled single items give the same inventory', () => {
    const a = parseInventory(data('5.1/Get-HvbcInventory.json'), src).inventory;
    const b = parseInventory(data('variants/Get-HvbcInventory.raw-5.1.json'), src).inventory;
    expect(b.collectedAt).toBe('2026-11-21T09:14:03.000Z');
    expect(b.vms.map((v) => v.state)).toEqual(a.vms.map((v) => v.state));
    expect(b.vms.map((v) => v.checkpointType)).toEqual(a.vms.map((v) => v.checkpointType));
    expect(
      b.vms.map((v) => v.disks.map((d) => `${d.id}|${d.format}|${d.type}|${d.chain.length}`)),
    ).toEqual(
      a.vms.map((v) => v.disks.map((d) => `${d.id}|${d.format}|${d.type}|${d.chain.length}`)),
    );
    expect(b.cluster.csvs).toEqual(a.cluster.csvs);
    expect(b.cluster.nodes).toEqual(a.cluster.nodes);
    expect(b.groups).toEqual(a.groups);
    expect(b.vms[0]?.checkpoints.map((c) => c.created)).toEqual([
      '2026-11-20T22:00:00.000Z',
      '2026-11-21T09:10:00.000Z',
      '',
    ]);
  });

  it('7: local-offset ISO dates become UTC; numeric CSV state and block-reason bits map to names', () => {
    const b = parseInventory(data('variants/Get-HvbcInventory.raw-7.json'), src).inventory;
    expect(b.collectedAt).toBe('2026-11-21T09:20:11.456Z');
    expect(b.vms[0]?.checkpoints[0]?.created).toBe('2026-11-21T09:15:00.000Z');
    expect(b.cluster.csvs[0]?.states).toContainEqual({
      node: 'HVN2',
      state: 'BlockRedirected',
      reason: 'NoDiskConnectivity',
    });
  });
});

describe('malformed outputs → PARSE_FAILED naming the field', () => {
  const inv = (f: string) => () => parseInventory(data(`malformed/${f}.json`), src);
  it('depth truncation of an array', () =>
    parseFailed(
      inv('inventory-truncated-array'),
      /data\.vms\[1\]\.drives: expected an array but got the string "System\.Object\[\]".*truncated/,
    ));
  it('depth truncation of an object', () =>
    parseFailed(
      inv('inventory-truncated-object'),
      /data\.cluster: expected an object but got the string "@\{name=HVCL01/,
    ));
  it('compat-layer partition without size', () =>
    parseFailed(
      inv('inventory-partition-truncated'),
      /data\.csvs\[0\]\.size: missing \(SharedVolumeInfo\.Partition arrived as "Microsoft\.FailoverClusters/,
    ));
  it('missing field', () => parseFailed(inv('inventory-missing-field'), /data\.vms\[0\]\.state/));
  it('wrong type', () => parseFailed(inv('inventory-wrong-type'), /data\.csvs\[1\]\.free/));
  it('unknown enum value', () =>
    parseFailed(
      inv('inventory-unknown-enum'),
      /data\.vms\[0\]\.state: unknown VM state "Hibernated"/,
    ));
  it('uint64 beyond 2^53', () =>
    parseFailed(
      () => parseChangedRanges(data('malformed/ranges-beyond-2-53.json')),
      /exceeds 2\^53/,
    ));
  it('envelope of the wrong shape', () =>
    parseFailed(
      () =>
        unwrapEnvelope(
          fixture('malformed/envelope-wrong-shape.json').envelope,
          'Get-HvbcInventory',
        ),
      /wrong shape/,
    ));
});

describe('small pure mappings', () => {
  it('admin-share paths', () => {
    expect(toAdminSharePath('HV01', 'C:\\ClusterStorage\\Volume1\\a b\\x.avhdx')).toBe(
      '\\\\HV01\\C$\\ClusterStorage\\Volume1\\a b\\x.avhdx',
    );
    expect(toAdminSharePath('HV01', 'd:\\VMs\\x.vhdx')).toBe('\\\\HV01\\D$\\VMs\\x.vhdx');
    expect(toAdminSharePath('HV01', '\\\\fs01\\vms\\x.vhdx')).toBe('\\\\fs01\\vms\\x.vhdx');
    expect(() => toAdminSharePath('HV01\\evil', 'C:\\x')).toThrow(HvbcError);
    expect(() => toAdminSharePath('HV01', 'relative\\x')).toThrow(HvbcError);
  });

  it('change tracking that cannot answer → full-required with the reason', () => {
    expect(
      parseChangedRanges({
        fullRequired: true,
        reason: 'GetVirtualDiskChanges: File not found (32779)',
      }),
    ).toEqual({ kind: 'full-required', reason: 'GetVirtualDiskChanges: File not found (32779)' });
  });

  it('vssadmin: state by number, retryable unless failed and non-retryable', () => {
    const w = parseVssadminWriters(
      "Writer name: 'A'\n   Writer Id: {e8132975-6f93-4464-a53e-1050253ae220}\n   State: [9] Failed\n   Last error: Timed out\n\nWriter name: 'B'\n   State: [8] Failed\n   Last error: Non-retryable error\n",
    );
    expect(w).toEqual([
      {
        name: 'A',
        id: 'e8132975-6f93-4464-a53e-1050253ae220',
        state: 'Failed at freeze',
        lastError: 'Timed out',
        retryable: true,
      },
      {
        name: 'B',
        state: 'Failed at prepare snapshot',
        lastError: 'Non-retryable error',
        retryable: false,
      },
    ]);
    expect(parseVssadminWriters('Error: Access is denied.')).toEqual([]);
  });
});
