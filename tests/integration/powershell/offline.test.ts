// OfflineProvider: an Export-HvbcInventory.ps1 file opened read-only through the same parser as the live provider.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import { HyperVEvent, Inventory } from '../../../shared/model';
import { flagsOf } from '../../../shared/topology';
import { analyzeGraph, planBackup } from '../../../electron/services/planner';
import { OfflineProvider } from '../../../electron/services/providers/offline/provider';
import { parseInventory } from '../../../electron/services/providers/powershell/parsers/inventory';
import { FIX, tempDir } from './fake';

const FILE = path.join(FIX, 'offline', 'HVCL01.hvbc.json');
const SQL = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

async function failure(p: Promise<unknown>): Promise<HvbcError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HvbcError);
    return e as HvbcError;
  }
  throw new Error('expected a failure');
}

function writeTemp(doc: unknown): string {
  const f = path.join(tempDir(), 'x.hvbc.json');
  writeFileSync(f, typeof doc === 'string' ? doc : '\uFEFF' + JSON.stringify(doc));
  return f;
}

describe('OfflineProvider', () => {
  it('serves a valid Inventory that planner-style consumers can use', async () => {
    const p = await OfflineProvider.open(FILE);
    expect(p).toMatchObject({ kind: 'offline', readOnly: true });
    const inv = await p.inventory();
    expect(Inventory.parse(inv)).toEqual(inv);
    expect(inv.source).toEqual({ kind: 'offline', name: 'HVCL01', readOnly: true, location: FILE });
    // Planner-style use: every VM's disks resolve to CSVs or local storage; flags computed for every VM.
    const flags = flagsOf(inv);
    expect(flags.get('0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d')?.map((f) => f.kind)).toContain(
      'no-scsi',
    );
    expect(flags.get(SQL)?.map((f) => f.kind)).toEqual(
      expect.arrayContaining(['spans-csvs', 'csv-redirected']),
    );
    const bytes = inv.vms.flatMap((v) => v.disks).reduce((n, d) => n + d.virtualSize, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(p.warnings[0]).toMatch(/HV03/);
    // The real planner works from it: a plan for the 2019 cluster, every VM either planned or skipped with a reason.
    const plan = planBackup(inv);
    expect(plan).toMatchObject({ clusterName: 'HVCL01', osVersion: '2019' });
    const planned = new Set([
      ...plan.jobs.flatMap((j) => JSON.stringify(j).match(/[0-9a-f-]{36}/g) ?? []),
      ...plan.skipped.map((s) => s.vmId),
    ]);
    for (const vm of inv.vms) expect(planned.has(vm.id)).toBe(true);
    expect(() => analyzeGraph(inv)).not.toThrow();
  });

  it('is the same raw shape as the live inventory script', async () => {
    const doc = JSON.parse(readFileSync(FILE, 'utf8')) as { inventory: unknown };
    const live = JSON.parse(
      readFileSync(path.join(FIX, '5.1', 'Get-HvbcInventory.json'), 'utf8'),
    ) as { envelope: { data: unknown } };
    const a = parseInventory(doc.inventory, {
      kind: 'offline',
      readOnly: true,
      location: 'x',
    }).inventory;
    const b = parseInventory(live.envelope.data, {
      kind: 'offline',
      readOnly: true,
      location: 'x',
    }).inventory;
    expect(a).toEqual(b);
  });

  it('serves the exported events and reference points', async () => {
    const p = await OfflineProvider.open(FILE);
    const events = await p.events();
    expect(events).toHaveLength(3);
    for (const e of events) expect(HyperVEvent.safeParse(e).success).toBe(true);
    expect((await p.events({ vmId: SQL })).map((e) => e.id)).toEqual([19100]);
    expect(await p.events({ limit: 1 })).toHaveLength(1);
    const rps = await p.listReferencePoints(SQL);
    expect(Object.keys(rps[0]?.rctIds ?? {})).toEqual([`${SQL}:SCSI0:0`, `${SQL}:SCSI0:1`]);
  });

  it('every change (and every live-only read) throws UNSUPPORTED with a clear message', async () => {
    const p = await OfflineProvider.open(FILE);
    const calls: [string, () => Promise<unknown>][] = [
      [
        'create checkpoints',
        () => p.createCheckpoint(SQL, { type: 'recovery', consistency: 'application' }),
      ],
      ['remove checkpoints', () => p.removeCheckpoint(SQL, 'x')],
      ['read disk data', () => p.frozenDisks(SQL, 'x')],
      ['convert checkpoints to reference points', () => p.convertToReferencePoint(SQL, 'x')],
      ['remove reference points', () => p.removeReferencePoint(SQL, 'x')],
      ['query changed blocks', () => p.changedRanges(SQL, 'd', 'r')],
      ['move CSV ownership', () => p.moveCsv('c', 'HV02')],
      ['query guest VSS writers', () => p.guestVssWriters(SQL)],
    ];
    for (const [action, call] of calls) {
      const e = await failure(call());
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toBe(
        `This estate is a read-only inventory file (HVCL01.hvbc.json, exported 2026-11-21T09:14:05.000Z on HV01); connect to the cluster to ${action}.`,
      );
    }
    const off = p.subscribe(() => undefined);
    off();
    await p.close();
  });

  it('rejects files it cannot read with the right code', async () => {
    expect((await failure(OfflineProvider.open(path.join(tempDir(), 'missing.json')))).code).toBe(
      'NOT_FOUND',
    );
    expect((await failure(OfflineProvider.open(writeTemp('{not json')))).code).toBe('PARSE_FAILED');
    expect(
      (await failure(OfflineProvider.open(writeTemp({ format: 'something-else' })))).message,
    ).toMatch(/not an inventory export/);
    const future = await failure(
      OfflineProvider.open(path.join(FIX, 'offline', 'future-version.hvbc.json')),
    );
    expect(future.code).toBe('UNSUPPORTED');
    expect(future.message).toMatch(/format version 2; this console reads version 1/);
    const doc = JSON.parse(readFileSync(FILE, 'utf8')) as {
      inventory: { vms: { drives: unknown }[] };
    };
    (doc.inventory.vms[0] as { drives: unknown }).drives = 'System.Object[]';
    const bad = await failure(OfflineProvider.open(writeTemp(doc)));
    expect(bad.code).toBe('PARSE_FAILED');
    expect(bad.message).toMatch(
      /inventory: unexpected output: data\.vms\[0\]\.drives: expected an array/,
    );
  });
});
