import { describe, expect, it } from 'vitest';
import { parseLabDefinition } from '../../../electron/services/providers/lab/definition';
import { scenarioNames, scenarios } from '../../../electron/services/providers/lab/scenarios';
import { diskId, initialState, vmId } from '../../../electron/services/providers/lab/state';

describe('lab scenarios', () => {
  it('every scenario validates and gives stable, unique VM and disk ids', () => {
    expect(scenarioNames).toEqual(expect.arrayContaining(['default', '2012r2', '2016', 'large']));
    for (const name of scenarioNames) {
      const def = parseLabDefinition(scenarios[name]?.(), name);
      const ids = def.vms.map((_, i) => vmId(def, i));
      expect(new Set(ids).size, name).toBe(ids.length);
      expect(ids).toEqual(
        parseLabDefinition(scenarios[name]?.(), name).vms.map((_, i) => vmId(def, i)),
      );
    }
  });

  it('default: seed 000 "real life" — spans CSVs, a legacy VM without SCSI, a two-node guest cluster sharing one VHD Set', () => {
    const def = parseLabDefinition(scenarios.default?.(), 'default');
    expect(def.nodes.length).toBe(3);
    expect(def.csvs.length).toBe(4);
    expect(
      def.vms.filter((v) => new Set(v.disks.map((d) => d.csv)).size > 1).length,
    ).toBeGreaterThanOrEqual(2);
    expect(def.vms.find((v) => v.name === 'LEGACY01')?.scsiControllers).toBe(0);
    const state = initialState(def);
    const shared = Object.values(state.disks).filter((d) => d.vhdsPath);
    expect(shared).toHaveLength(1);
    expect(shared[0]?.vms).toHaveLength(2);
    expect(shared[0]?.vhdsPath).toMatch(/^ClusterStorage\/Volume4\/Shared\/SQLCL-shared\.vhds$/);
    const sizes = def.vms.flatMap((v) => v.disks.map((d) => d.size / 1048576));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(64);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(160);
  });

  it('2012r2 has no guest cluster and only configuration version 5.0; 2016 keeps the VHD Set', () => {
    const r2 = parseLabDefinition(scenarios['2012r2']?.(), '2012r2');
    expect(r2.cluster.osVersion).toBe('2012R2');
    expect(r2.groups).toEqual([]);
    expect(r2.vms.every((v) => v.configVersion === '5.0' && !v.disks.some((d) => d.shared))).toBe(
      true,
    );
    const s16 = parseLabDefinition(scenarios['2016']?.(), '2016');
    expect(s16.cluster.osVersion).toBe('2016');
    expect(s16.vms.some((v) => v.disks.some((d) => d.shared))).toBe(true);
  });

  it('large: 1,000 VMs with 8 MiB disks on 16 CSVs and 8 nodes', () => {
    const def = parseLabDefinition(scenarios.large?.(), 'large');
    expect(def.vms).toHaveLength(1000);
    expect(def.csvs).toHaveLength(16);
    expect(def.vms.every((v) => v.disks.every((d) => d.size === 8 * 1048576))).toBe(true);
    const state = initialState(def);
    expect(Object.values(state.disks).every((d) => !d.materialized)).toBe(true);
    const first = def.vms[0];
    expect(
      first &&
        state.disks[diskId(vmId(def, 0), first.disks[0]?.file ?? '', false)]?.files.base?.path,
    ).toBe('ClusterStorage/Volume1/VM0001/Virtual Hard Disks/VM1.vhdx');
  });
});
