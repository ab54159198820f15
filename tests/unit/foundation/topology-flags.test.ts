import { describe, expect, it } from 'vitest';
import { flagsOf } from '../../../shared/topology';
import { buildInventory } from '../../../electron/services/providers/lab/inventory';
import { defaultScenario } from '../../../electron/services/providers/lab/scenarios';
import { initialState } from '../../../electron/services/providers/lab/state';
import { Inventory } from '../../../shared/model';

function inventoryOf(def = defaultScenario()) {
  return buildInventory({
    def,
    state: initialState(def),
    location: '/lab',
    fileSizes: {},
    now: '2026-01-01T00:00:00Z',
  });
}

describe('topology flags', () => {
  const inv = inventoryOf();
  const flags = flagsOf(inv);
  const byName = (n: string) => {
    const vm = inv.vms.find((v) => v.name === n);
    if (!vm) throw new Error(n);
    return (flags.get(vm.id) ?? []).map((f) => f.kind);
  };

  it('builds an inventory that satisfies the shared schema', () => {
    expect(() => Inventory.parse(inv)).not.toThrow();
    expect(inv.cluster.nodes.length).toBeGreaterThanOrEqual(3);
    expect(inv.cluster.csvs.length).toBeGreaterThanOrEqual(4);
    expect(inv.vms.length).toBeGreaterThanOrEqual(12);
  });

  it('flags a VM whose disks span two CSVs and whose host does not own one of them', () => {
    expect(byName('SQL01')).toEqual(expect.arrayContaining(['spans-csvs', 'not-csv-owner']));
  });

  it('flags a VM on a node that does not own its single CSV, but not a VM on the owner', () => {
    expect(byName('WEB02')).toContain('not-csv-owner');
    expect(byName('WEB02')).not.toContain('spans-csvs');
    expect(byName('WEB01')).toEqual([]);
    expect(byName('DC01')).toEqual([]);
  });

  it('flags the VM without a SCSI controller and the guest-cluster members', () => {
    expect(byName('LEGACY01')).toContain('no-scsi');
    expect(byName('SQLCL-N1')).toContain('shared-disk');
    expect(byName('SQLCL-N2')).toContain('shared-disk');
  });

  it('the guest cluster shares one disk id between its two members', () => {
    const [a, b] = ['SQLCL-N1', 'SQLCL-N2'].map(
      (n) => inv.vms.find((v) => v.name === n)?.disks.find((d) => d.shared)?.id,
    );
    expect(a).toBeDefined();
    expect(a).toBe(b);
  });

  it('flags redirected access when the state says a CSV is redirected', () => {
    const def = defaultScenario();
    const state = initialState(def);
    state.csvRedirected.csv1 = { state: 'FileSystemRedirected', reason: 'BackupInProgress' };
    const inv2 = buildInventory({ def, state, location: '/lab', fileSizes: {}, now: 'x' });
    const dc = inv2.vms.find((v) => v.name === 'DC01');
    expect(
      flagsOf(inv2)
        .get(dc?.id ?? '')
        ?.map((f) => f.kind),
    ).toContain('csv-redirected');
    expect(inv2.cluster.csvs[0]?.states.every((s) => s.state === 'FileSystemRedirected')).toBe(
      true,
    );
  });
});
