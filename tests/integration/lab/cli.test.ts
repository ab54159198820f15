import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCommand, parseBytes } from '../../../electron/cli/commands/lab';
import { capture } from '../../helpers/cli';
import { tempDir } from '../../helpers/tmp';
import { smallLab } from './helpers';

async function run(...argv: string[]) {
  const c = capture();
  const code = await labCommand(argv, c.io);
  return { code, out: c.out.join('\n'), err: c.err.join('\n') };
}

describe('hvbc lab', () => {
  const tmp = tempDir('hvbc-labcli-');
  const lab = path.join(tmp.dir, 'lab');
  const defFile = path.join(tmp.dir, 'small.json');
  const labJson = () => readFileSync(path.join(lab, 'lab.json'), 'utf8');
  beforeAll(() => writeFileSync(defFile, JSON.stringify(smallLab('2012R2'))));
  afterAll(() => tmp.cleanup());

  it('prints help for the group and for each command', async () => {
    expect((await run('--help')).out).toMatch(/hvbc lab <command>/);
    for (const c of ['init', 'reset', 'io', 'fault', 'checkpoint', 'csv', 'migrate', 'events']) {
      const r = await run(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.out, c).toContain(`hvbc lab ${c}`);
    }
  });

  it('init from a definition file, with --seed, as JSON; a second init without --force changes nothing', async () => {
    const r = await run('init', '--definition', defFile, '--seed', '99', '--lab', lab, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ dir: lab, name: 'small-2012R2', vms: 4, disks: 5 });
    expect(JSON.parse(labJson()).definition.seed).toBe(99);
    const before = labJson();
    const again = await run('init', '--lab', lab);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/\[CONFLICT\].*already exists.*--force/);
    expect(labJson()).toBe(before);
  });

  it('bad input: clear message, non-zero exit, nothing changed', async () => {
    const before = labJson();
    const cases: [string[], RegExp][] = [
      [['io', 'APP', '--bytes', 'lots', '--lab', lab], /"lots" is not a size/],
      [
        ['io', 'APP', '--pattern', 'zigzag', '--lab', lab],
        /--pattern must be one of scattered, hotspot/,
      ],
      [
        ['io', 'APP', '--bytes', '1M', '--seconds', '2', '--lab', lab],
        /either --bytes or --seconds/,
      ],
      [['fault', 'APP', 'gremlins', 'on', '--lab', lab], /unknown fault "gremlins"/],
      [['fault', 'APP', 'no-scsi', 'maybe', '--lab', lab], /must be one of on, off/],
      [
        ['checkpoint', 'create', 'APP', '--type', 'golden', '--lab', lab],
        /--type must be one of standard, production, recovery/,
      ],
      [['checkpoint', 'explode', 'APP', '--lab', lab], /expected create, remove, list or apply/],
      [['csv', 'move', 'csv1', '--lab', lab], /expected 3 argument/],
      [['init', '--scenario', 'huge', '--lab', path.join(tmp.dir, 'x')], /unknown scenario "huge"/],
      [['teleport'], /unknown lab command "teleport"/],
      [['events', '--colour', '--lab', lab], /Unknown option '--colour'/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(msg);
      expect(r.err).toMatch(/Nothing was changed/);
    }
    const notFound = await run('io', 'NOPE', '--lab', lab);
    expect(notFound.code).toBe(1);
    expect(notFound.err).toMatch(/\[NOT_FOUND\] No VM "NOPE"/);
    expect((await run('csv', 'move', 'csv9', 'HV-A', '--lab', lab)).err).toMatch(
      /\[NOT_FOUND\] No CSV "csv9"/,
    );
    expect(labJson()).toBe(before);
  });

  it('io, fault, checkpoint, csv move, migrate and events work end to end (2012 R2 lab)', async () => {
    const io = await run('io', 'APP', '--bytes', '2M', '--seed', '5', '--lab', lab, '--json');
    expect(io.code).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ seed: 5, bytes: 2 * 1024 * 1024 });
    expect((await run('io', 'APP', '--seconds', '0.6', '--rate', '4', '--lab', lab)).out).toMatch(
      /Wrote [\d.]+ MiB in \d+ writes \(\d+ bursts\)/,
    );

    const list = await run('fault', '--list', '--json');
    expect(JSON.parse(list.out).map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining(['no-scsi', 'avhdx-locked', 'csv-nearly-full', 'vhd-set-error']),
    );
    expect((await run('fault', 'WEB', 'no-scsi', 'on', '--lab', lab)).code).toBe(0);
    const fail = await run('checkpoint', 'create', 'WEB', '--type', 'recovery', '--lab', lab);
    expect(fail.code).toBe(1);
    expect(fail.err).toMatch(/\[CHECKPOINT_FAILED\].*no SCSI controllers/);
    expect((await run('fault', 'WEB', 'no-scsi', 'off', '--lab', lab)).code).toBe(0);

    const made = await run(
      'checkpoint',
      'create',
      'APP',
      '--type',
      'recovery',
      '--name',
      'nightly',
      '--lab',
      lab,
      '--json',
    );
    expect(made.code).toBe(0);
    expect(JSON.parse(made.out).checkpoint).toMatchObject({ name: 'nightly', type: 'recovery' });
    const busy = await run('csv', 'move', 'csv2', 'HV-B', '--lab', lab);
    expect(busy.code).toBe(1);
    expect(busy.err).toMatch(/\[CSV_BUSY\]/);
    const listed = await run('checkpoint', 'list', 'APP', '--lab', lab);
    expect(listed.out).toMatch(/recovery .* nightly/);
    expect(listed.out).toMatch(/APP-os\.vhdx ← APP-os_[0-9A-F-]+\.avhdx/);
    expect((await run('checkpoint', 'remove', 'APP', 'nightly', '--lab', lab)).code).toBe(0);
    expect((await run('csv', 'move', 'csv2', 'HV-B', '--lab', lab)).code).toBe(0);
    expect((await run('migrate', 'APP', 'HV-B', '--lab', lab)).code).toBe(0);

    const evs = await run('events', '--vm', 'APP', '--lab', lab, '--json');
    const parsed = JSON.parse(evs.out) as { id: number; vmName: string }[];
    expect(parsed.every((e) => e.vmName === 'APP')).toBe(true);
    expect(parsed.map((e) => e.id)).toEqual(
      expect.arrayContaining([60001, 60002, 60010, 60011, 60020]),
    );
    const text = await run('events', '--limit', '3', '--lab', lab);
    expect(text.out.split('\n')).toHaveLength(3);
    expect((await run('events', '--lab', lab)).out).toMatch(/10103 Error/);
  });

  it('reset recreates the lab from its own definition; the default lab dir follows HVBC_LAB', async () => {
    const r = await run('reset', '--lab', lab);
    expect(r.code).toBe(0);
    const state = JSON.parse(labJson()) as {
      definition: { seed: number };
      state: { checkpoints: Record<string, unknown[]> };
    };
    expect(state.definition.seed).toBe(99);
    expect(Object.values(state.state.checkpoints).flat()).toEqual([]);
    const old = process.env.HVBC_LAB;
    process.env.HVBC_LAB = lab;
    try {
      const ev = await run('events', '--json');
      expect(JSON.parse(ev.out)).toHaveLength(1);
    } finally {
      if (old === undefined) delete process.env.HVBC_LAB;
      else process.env.HVBC_LAB = old;
    }
  });

  it('parses sizes with binary suffixes', () => {
    expect(parseBytes('16M')).toBe(16 * 1024 * 1024);
    expect(parseBytes('4k')).toBe(4096);
    expect(parseBytes('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(() => parseBytes('0')).toThrow(/positive/);
  });
});
