import { describe, expect, it } from 'vitest';
import {
  buildInventory,
  NEARLY_FULL_FREE,
} from '../../../electron/services/providers/lab/inventory';
import { scenarios } from '../../../electron/services/providers/lab/scenarios';
import {
  diskId,
  initialState,
  vmId,
  type LabState,
} from '../../../electron/services/providers/lab/state';
import { Inventory } from '../../../shared/model';
import { flagsOf } from '../../../shared/topology';

const def = scenarios.default?.() ?? (undefined as never);
const idOf = (name: string) =>
  vmId(
    def,
    def.vms.findIndex((v) => v.name === name),
  );

function inv(mutate?: (s: LabState) => void, fileSizes: Record<string, number> = {}) {
  const state = initialState(def);
  mutate?.(state);
  const out = buildInventory({
    def,
    state,
    location: '/lab',
    fileSizes,
    now: '2026-01-01T00:00:00Z',
  });
  Inventory.parse(out);
  return out;
}

function kinds(i: Inventory, name: string): string[] {
  const vm = i.vms.find((v) => v.name === name);
  return (flagsOf(i).get(vm?.id ?? '') ?? []).map((f) => f.kind);
}

describe('lab inventory', () => {
  it('shows Windows paths, the .vhds path for the VHD Set and the base file as the only chain link', () => {
    const i = inv();
    const sql = i.vms.find((v) => v.name === 'SQL01');
    expect(sql?.disks.map((d) => d.path)).toEqual([
      'C:\\ClusterStorage\\Volume1\\SQL01\\Virtual Hard Disks\\SQL01-os.vhdx',
      'C:\\ClusterStorage\\Volume2\\SQL01\\Virtual Hard Disks\\SQL01-data.vhdx',
    ]);
    const n1 = i.vms.find((v) => v.name === 'SQLCL-N1')?.disks.find((d) => d.shared);
    expect(n1?.format).toBe('vhds');
    expect(n1?.path).toBe('C:\\ClusterStorage\\Volume4\\Shared\\SQLCL-shared.vhds');
    expect(n1?.chain.map((c) => c.path)).toEqual([
      'C:\\ClusterStorage\\Volume4\\Shared\\SQLCL-shared-data.vhdx',
    ]);
  });

  it('a host-level snapshot redirects every node but the owner, and the topology flags it', () => {
    const i = inv((s) => {
      s.csvSnapshots.csv2 = {
        node: 'HV-B',
        holders: [{ vmId: idOf('WEB01'), checkpointId: 'x' }],
        since: 'now',
      };
    });
    const c2 = i.cluster.csvs.find((c) => c.id === 'csv2');
    expect(c2?.states.find((s) => s.node === 'HV-B')?.state).toBe('Direct');
    expect(c2?.states.filter((s) => s.state === 'FileSystemRedirected').map((s) => s.node)).toEqual(
      ['HV-A', 'HV-C'],
    );
    expect(kinds(i, 'WEB01')).toContain('csv-redirected');
    expect(kinds(i, 'DC01')).not.toContain('csv-redirected');
  });

  it('runtime faults show: no SCSI (flag), integration services off, nearly-full CSV free space', () => {
    const i = inv(
      (s) => {
        s.faults[idOf('WEB01')] = { noScsiController: true, integrationServicesOff: true };
        s.csvFaults.csv3 = { nearlyFull: true };
      },
      { 'ClusterStorage/Volume3/APP01/Virtual Hard Disks/APP01.vhdx': 5 * 1048576 },
    );
    const web = i.vms.find((v) => v.name === 'WEB01');
    expect(web?.scsiControllers).toBe(0);
    expect(kinds(i, 'WEB01')).toContain('no-scsi');
    expect(web?.integrationServices.find((x) => x.name.startsWith('Backup'))).toMatchObject({
      enabled: false,
      status: 'Disabled',
    });
    expect(i.cluster.csvs.find((c) => c.id === 'csv3')?.freeBytes).toBe(NEARLY_FULL_FREE);
    const c1 = i.cluster.csvs.find((c) => c.id === 'csv1');
    expect(c1?.freeBytes).toBe(c1?.sizeBytes);
    const c3 = inv(undefined, {
      'ClusterStorage/Volume3/APP01/Virtual Hard Disks/APP01.vhdx': 5 * 1048576,
    }).cluster.csvs.find((c) => c.id === 'csv3');
    expect(c3?.freeBytes).toBe((c3?.sizeBytes ?? 0) - 5 * 1048576);
  });

  it('lists checkpoints (a lingering recovery checkpoint too) and reference points, and a chain with its .avhdx', () => {
    const id = idOf('APP01');
    const did = diskId(id, 'APP01.vhdx', false);
    const i = inv((s) => {
      const d = s.disks[did];
      if (!d) throw new Error('disk');
      d.files.f1 = {
        path: 'ClusterStorage/Volume3/APP01/Virtual Hard Disks/APP01_CP1.avhdx',
        parent: 'base',
        checkpointId: 'cp1',
        created: 'x',
      };
      d.active = 'f1';
      s.checkpoints[id] = [
        {
          id: 'cp1',
          name: 'backup',
          type: 'recovery',
          parentId: null,
          created: 't',
          vmId: id,
          frozen: { [did]: 'base' },
          consistency: 'application',
          lingering: { reason: 'never-merges', since: 't' },
        },
      ];
      s.referencePoints[id] = [{ id: 'rp1', vmId: id, created: 't2', rctIds: { [did]: 'abc:0' } }];
    });
    const app = i.vms.find((v) => v.name === 'APP01');
    expect(app?.checkpoints.map((c) => [c.id, c.type])).toEqual([
      ['cp1', 'recovery'],
      ['rp1', 'reference-point'],
    ]);
    expect(app?.checkpoints[1]?.rctId).toBe('abc:0');
    expect(app?.disks[0]?.type).toBe('differencing');
    expect(app?.disks[0]?.path).toMatch(/APP01_CP1\.avhdx$/);
    expect(
      app?.disks[0]?.chain.map((c) => [c.kind, c.checkpointId, c.parentPath !== null]),
    ).toEqual([
      ['base', null, false],
      ['differencing', 'cp1', true],
    ]);
  });

  it('the VM host and CSV owner come from the state (migrations) and the disk CSV follows a storage migration', () => {
    const i = inv((s) => {
      s.vmHosts[idOf('WEB01')] = 'HV-C';
      s.csvOwners.csv2 = 'HV-C';
      const d = s.disks[diskId(idOf('WEB02'), 'WEB02.vhdx', false)];
      if (d) d.csv = 'csv3';
    });
    expect(i.vms.find((v) => v.name === 'WEB01')?.hostNode).toBe('HV-C');
    expect(kinds(i, 'WEB02')).not.toContain('not-csv-owner');
    expect(i.vms.find((v) => v.name === 'WEB02')?.disks[0]?.csvId).toBe('csv3');
  });
});
