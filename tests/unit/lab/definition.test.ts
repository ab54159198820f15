import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseLabDefinition,
  parseLabDefinitionText,
} from '../../../electron/services/providers/lab/definition';
import { scenarios } from '../../../electron/services/providers/lab/scenarios';
import { createLabFile, readLabFile } from '../../../electron/services/providers/lab/store';
import { HvbcError } from '../../../shared/errors';
import { tempDir } from '../../helpers/tmp';

function errorOf(fn: () => unknown): HvbcError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HvbcError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<HvbcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HvbcError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

const base = () => structuredClone(scenarios.default?.() ?? ({} as never));

describe('lab definition validation', () => {
  const tmp = tempDir('hvbc-labdef-');
  afterAll(() => tmp.cleanup());

  it('names the file, the field and the expectation for a disk on an unknown CSV', () => {
    const def = base();
    (def.vms[2]?.disks[1] as { csv?: string }).csv = 'csv9';
    const e = errorOf(() => parseLabDefinition(def, 'lab-a.json'));
    expect(e.code).toBe('LAB_INVALID');
    expect(e.message).toContain('lab-a.json');
    expect(e.message).toContain('vms[2].disks[1].csv');
    expect(e.message).toMatch(/expected one of the CSV ids \(csv1, csv2, csv3, csv4\), got "csv9"/);
    expect(e.details).toMatchObject({ file: 'lab-a.json' });
  });

  it('rejects disk sizes that are not whole MiB, CSV owners that are not nodes, duplicate VM names and bad fault values', () => {
    const def = base();
    (def.vms[0]?.disks[0] as { size: number }).size = 1024 * 1024 + 512;
    (def.csvs[1] as { owner: string }).owner = 'HV-Q';
    (def.vms[3] as { name: string }).name = 'DC01';
    const e = errorOf(() => parseLabDefinition(def, 'lab-b.json'));
    expect(e.message).toContain('vms[0].disks[0].size: expected a multiple of 1 MiB');
    expect(e.message).toContain('csvs[1].owner');
    expect(e.message).toMatch(/vms: "DC01" appears twice/);
    const def2 = base() as unknown as { vms: Array<{ faults: Record<string, unknown> }> };
    (def2.vms[0] as { faults: Record<string, unknown> }).faults = { vhdSetError: 12345 };
    expect(errorOf(() => parseLabDefinition(def2, 'lab-c.json')).message).toMatch(
      /vms\[0\]\.faults\.vhdSetError/,
    );
  });

  it('rejects a disk file name without .vhdx/.vhds and an unknown fault, with the expectation', () => {
    const def = base() as unknown as {
      vms: Array<{ disks: Array<{ file: string }>; faults: Record<string, unknown> }>;
    };
    (def.vms[0]?.disks[0] as { file: string }).file = 'disk.img';
    const e = errorOf(() => parseLabDefinition(def, 'd.json'));
    expect(e.message).toContain('vms[0].disks[0].file: a file name ending in .vhdx or .vhds');
    const def2 = base() as unknown as { vms: Array<{ faults: Record<string, unknown> }> };
    (def2.vms[1] as { faults: Record<string, unknown> }).faults = { meteorStrike: true };
    expect(errorOf(() => parseLabDefinition(def2, 'e.json')).message).toMatch(
      /vms\[1\]\.faults.*meteorStrike/,
    );
  });

  it('accepts the runtime-switchable faults in a definition (no-SCSI, nearly-full CSV)', () => {
    const def = base();
    (def.vms[0] as { faults: object }).faults = {
      noScsiController: true,
      avhdxLocked: true,
      vhdSetError: 32770,
    };
    (def.csvs[0] as { faults?: object }).faults = { nearlyFull: true };
    expect(() => parseLabDefinition(def, 'ok.json')).not.toThrow();
  });

  it('createLabFile with a malformed definition throws LAB_INVALID and creates nothing', async () => {
    const dir = path.join(tmp.dir, 'never');
    const def = base();
    (def.vms[0] as { host: string }).host = 'nowhere';
    const e = await asyncErrorOf(createLabFile(dir, def));
    expect(e.code).toBe('LAB_INVALID');
    expect(e.message).toContain('vms[0].host');
    expect(existsSync(dir)).toBe(false);
  });

  it('a malformed lab.json on disk gives LAB_INVALID naming the file and the field', async () => {
    const dir = path.join(tmp.dir, 'bad');
    mkdirSync(dir);
    const def = base() as unknown as { cluster: { osVersion: string } };
    def.cluster.osVersion = '2099';
    writeFileSync(path.join(dir, 'lab.json'), JSON.stringify({ definition: def }));
    const e = await asyncErrorOf(readLabFile(dir));
    expect(e.code).toBe('LAB_INVALID');
    expect(e.message).toContain(path.join(dir, 'lab.json'));
    expect(e.message).toContain('cluster.osVersion');
    writeFileSync(path.join(dir, 'lab.json'), '{ "definition": ');
    expect((await asyncErrorOf(readLabFile(dir))).message).toMatch(/not valid JSON/);
    expect(readdirSync(dir)).toEqual(['lab.json']);
  });

  it('parses JSON text and points at syntax errors', () => {
    expect(errorOf(() => parseLabDefinitionText('{"schema":1', 'f.json')).message).toMatch(
      /^f\.json: not valid JSON/,
    );
  });
});
