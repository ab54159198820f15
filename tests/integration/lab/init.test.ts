import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskModel, verifyAgainstModel } from '../../../electron/services/providers/lab/model';
import { LabProvider } from '../../../electron/services/providers/lab/provider';
import { scenarios } from '../../../electron/services/providers/lab/scenarios';
import { createLabFile, readLabFile } from '../../../electron/services/providers/lab/store';
import { openChain, openVhdx } from '../../../electron/services/vhdx';
import { Inventory } from '../../../shared/model';
import { tempDir } from '../../helpers/tmp';
import { expectAllDisksMatchModel } from './helpers';

describe('lab init (default scenario)', () => {
  const tmp = tempDir('hvbc-labinit-');
  const dir = path.join(tmp.dir, 'lab');
  let seconds = 0;
  beforeAll(async () => {
    const t0 = Date.now();
    await createLabFile(dir, scenarios.default?.() ?? (undefined as never));
    seconds = (Date.now() - t0) / 1000;
  });
  afterAll(() => tmp.cleanup());

  it('creates every disk as a real, sparse, dynamic VHDX under its CSV folder, quickly', async () => {
    expect(seconds).toBeLessThan(15);
    const lab = await readLabFile(dir);
    const disks = Object.values(lab.state.disks);
    expect(disks).toHaveLength(17);
    for (const d of disks) {
      const base = d.files.base?.path ?? '';
      const file = path.join(dir, base);
      if (d.vhdsPath) expect(base).toBe('ClusterStorage/Volume4/Shared/SQLCL-shared-data.vhdx');
      else
        expect(base).toMatch(/^ClusterStorage\/Volume\d\/[^/]+\/Virtual Hard Disks\/[^/]+\.vhdx$/);
      const img = await openVhdx(file);
      expect(img.info.kind).toBe('dynamic');
      expect(img.info.virtualSize).toBe(d.virtualSize);
      const extents = await img.extents();
      await img.close();
      const data = extents.filter((e) => e.kind === 'data').reduce((s, e) => s + e.length, 0);
      expect(data).toBeGreaterThan(0.05 * d.virtualSize);
      expect(data).toBeLessThan(0.6 * d.virtualSize);
      expect(statSync(file).blocks * 512).toBeLessThan(d.virtualSize);
    }
  });

  it('openChain reads content equal to the model on every disk, with an MBR in sector 0', async () => {
    expect(await expectAllDisksMatchModel(dir)).toBe(17);
    const lab = await readLabFile(dir);
    const [id, d] = Object.entries(lab.state.disks)[0] ?? [];
    const chain = await openChain(path.join(dir, d?.files.base?.path ?? ''));
    const mbr = await chain.read(0, 512);
    await chain.close();
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
    const m = await diskModel(dir, id ?? '');
    expect(m.read(0, 512).equals(mbr)).toBe(true);
  });

  it('the model detects a single changed byte (the comparison can fail)', async () => {
    const lab = await readLabFile(dir);
    const [id, d] = Object.entries(lab.state.disks)[1] ?? [];
    const m = await diskModel(dir, id ?? '');
    const chain = await openChain(path.join(dir, d?.files.base?.path ?? ''));
    const off = m.written()[3]?.offset ?? 0;
    const r = await verifyAgainstModel(m, async (o, n) => {
      const b = await chain.read(o, n);
      if (off >= o && off < o + n) b[off - o] = (b[off - o] ?? 0) ^ 1;
      return b;
    });
    await chain.close();
    expect(r.ok).toBe(false);
    expect(r.mismatches).toEqual([
      { offset: Math.floor(off / 1048576) * 1048576, length: 1048576 },
    ]);
  });

  it('lays out VM configuration files, the VHD Set descriptor, the write logs, change tracking and the event log', async () => {
    const lab = await readLabFile(dir);
    const vmDirs = readdirSync(path.join(dir, 'ClusterStorage', 'Volume1'));
    expect(vmDirs).toEqual(expect.arrayContaining(['DC01', 'SQL01']));
    const cfg = readdirSync(
      path.join(dir, 'ClusterStorage', 'Volume1', 'DC01', 'Virtual Machines'),
    );
    expect(cfg[0]).toMatch(/^[0-9A-F-]{36}\.json$/);
    const vhds = JSON.parse(
      readFileSync(path.join(dir, 'ClusterStorage/Volume4/Shared/SQLCL-shared.vhds'), 'utf8'),
    ) as { activeData: string };
    expect(vhds.activeData).toBe('SQLCL-shared-data.vhdx');
    for (const id of Object.keys(lab.state.disks)) {
      expect(existsSync(path.join(dir, 'iolog', `${id}.jsonl`))).toBe(true);
      // Default scenario runs Windows Server 2019: change tracking for every VM of config version >= 6.2.
      const legacy = lab.state.disks[id]?.label.startsWith('LEGACY01/');
      expect(existsSync(path.join(dir, 'rct', `${id}.rct`))).toBe(!legacy);
    }
    const p = await LabProvider.open(dir);
    const inv = await p.inventory();
    Inventory.parse(inv);
    expect(
      inv.vms
        .flatMap((v) => v.disks)
        .every((d) => d.chain[0]?.fileSize !== undefined && (d.chain[0]?.fileSize ?? 0) > 0),
    ).toBe(true);
    const evs = await p.events();
    expect(evs[0]).toMatchObject({
      seq: 1,
      id: 60090,
      log: 'HVBC-Lab/Operational',
      operation: 'lab-init',
    });
    await p.close();
  });
});

describe('lab init (large scenario)', () => {
  const tmp = tempDir('hvbc-labbig-');
  afterAll(() => tmp.cleanup());

  it('creates 1,000 VMs quickly with disk files made on first use', async () => {
    const dir = path.join(tmp.dir, 'big');
    const t0 = Date.now();
    await createLabFile(dir, scenarios.large?.() ?? (undefined as never));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(existsSync(path.join(dir, 'ClusterStorage'))).toBe(false);
    const p = await LabProvider.open(dir);
    const inv = await p.inventory();
    expect(inv.vms).toHaveLength(1000);
    expect(inv.vms[0]?.disks[0]?.chain[0]?.fileSize).toBe(0);
    const cp = await p.createCheckpoint('VM0002', { type: 'recovery', consistency: 'application' });
    const [frozen] = await p.frozenDisks('VM0002', cp.checkpoint.id);
    const lab = await readLabFile(dir);
    const d = lab.state.disks[frozen?.diskId ?? ''];
    expect(d?.materialized).toBe(true);
    expect(Object.values(lab.state.disks).filter((x) => x.materialized)).toHaveLength(1);
    const m = await diskModel(dir, frozen?.diskId ?? '', cp.checkpoint.id);
    const chain = await openChain(frozen?.chainPath ?? '');
    expect((await verifyAgainstModel(m, (o, n) => chain.read(o, n))).ok).toBe(true);
    await chain.close();
    await p.close();
  });
});
