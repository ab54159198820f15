// `hvbc lab …`: create, reset and drive the embedded lab cluster (guest I/O, faults, checkpoints, CSVs, migrations, events).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HvbcError, isHvbcError } from '../../../shared/errors';
import type { HyperVEvent } from '../../../shared/model';
import {
  parseLabDefinitionText,
  type LabDefinition,
} from '../../services/providers/lab/definition';
import { LAB_FAULTS, LabProvider } from '../../services/providers/lab/provider';
import { scenarioNames, scenarios } from '../../services/providers/lab/scenarios';
import {
  createLabFile,
  labExists,
  readLabFile,
  removeLabContent,
} from '../../services/providers/lab/store';
import { resolveLabDir } from '../../services/services';

export interface LabIO {
  log(s: string): void;
  error(s: string): void;
  isTTY: boolean;
}

const HELP: Record<string, string> = {
  '': `hvbc lab <command> [options]      (every command takes --lab PATH, --json and --help)

Commands:
  init        create a lab from a scenario (${scenarioNames.join(', ')}) or a definition file
  reset       delete the lab's files and create it again from its own definition
  io          write guest data into a running VM's disks (deterministic for a seed)
  fault       switch a fault on or off (--list shows them)
  checkpoint  create | remove | list | apply checkpoints
  csv         move a CSV's ownership to another node
  migrate     live-migrate a VM to another node
  storage     storage-migrate one disk of a VM to another CSV (resets its change tracking)
  power       turn a VM on or off
  events      the lab's Hyper-V-style event log
  check       finish half-done operations and list orphan or missing files

The lab folder is --lab PATH, else $HVBC_LAB, else <data dir>/lab ($HVBC_DATA_DIR).`,
  init: `hvbc lab init [--scenario NAME] [--definition FILE.json] [--seed N] [--lab PATH] [--force] [--json]
  Create a lab. NAME is one of ${scenarioNames.join(', ')} (default: default). --force replaces an existing lab.
  The "large" scenario (1,000 VMs) creates its disk files on first use.`,
  reset: `hvbc lab reset [--lab PATH] [--json]
  Delete the lab's disks, logs and state and create it again from the same definition.`,
  io: `hvbc lab io <vm> [--bytes N | --seconds S] [--rate MiBps] [--pattern scattered|hotspot] [--seed N] [--disk FILE] [--json]
  Write guest data into the VM's active disk files (newest .avhdx, or the .vhdx). N takes K, M, G suffixes
  (default 16M). With --seconds, writes at --rate MiB/s (default 10). Same --seed on the same lab state gives the same writes.`,
  fault: `hvbc lab fault <vm|csv> <fault> on|off [--value V] [--json]
hvbc lab fault --list
  V is the writer name for failed-vss-writer (default SqlServerWriter), 32768|32770|32775 for vhd-set-error, or MB/s for slow-storage (default 20).`,
  checkpoint: `hvbc lab checkpoint create <vm> [--type standard|production|recovery] [--name N] [--consistency application|crash] [--require-consistency]
hvbc lab checkpoint remove <vm> <checkpoint>     (name or id)
hvbc lab checkpoint apply <vm> <checkpoint>
hvbc lab checkpoint list <vm>
  All take --json.`,
  csv: `hvbc lab csv move <csv> <node> [--json]
  Move ownership (coordinator) of a CSV. Refused with CSV_BUSY while a host-level snapshot holds it (2008 R2 – 2012 R2).`,
  migrate: `hvbc lab migrate <vm> <node> [--json]
  Live-migrate a VM (or move it, when it is off) to another node. Change tracking survives.`,
  storage: `hvbc lab storage <vm> <disk> <csv> [--json]
  Move every file of one disk to another CSV. Its change tracking starts again (the next backup is full).`,
  power: `hvbc lab power on|off <vm> [--json]
  Turning a VM off merges checkpoint files that wait for it (2008 R2) and releases a locked .avhdx.`,
  events: `hvbc lab events [--vm NAME] [--since SEQ] [--limit N] [--json]
  Ids below 60000 are real Hyper-V ids (10103, 19100, 4093); 60000 and up are invented by the lab (log HVBC-Lab/Operational).`,
  check: `hvbc lab check [--json]
  Finish operations a stopped process left half done; list disk files no VM uses (orphans) and listed files that are missing.`,
};

class UsageError extends Error {}

const common = {
  lab: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...common, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** "16M" → 16777216; K, M, G are binary. */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/i.exec(s.trim());
  if (!m)
    throw new UsageError(
      `"${s}" is not a size; use a number with an optional K, M or G suffix (e.g. 16M).`,
    );
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[
    (m[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'
  ];
  const n = Math.round(Number(m[1]) * mult);
  if (!(n > 0)) throw new UsageError(`The size must be positive, got "${s}".`);
  return n;
}

function int(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new UsageError(`${what} must be a whole number, got "${s}".`);
  return Number(s);
}

function positive(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${what} must be a positive number, got "${s}".`);
  return n;
}

function oneOf<T extends string>(
  s: string | undefined,
  allowed: readonly T[],
  what: string,
): T | undefined {
  if (s === undefined) return undefined;
  if (!allowed.includes(s as T))
    throw new UsageError(`${what} must be one of ${allowed.join(', ')}, got "${s}".`);
  return s as T;
}

function need(positionals: string[], n: number, usage: string): string[] {
  if (positionals.length !== n) throw new UsageError(`expected ${n} argument(s): ${usage}`);
  return positionals;
}

function fmtEvent(e: HyperVEvent): string {
  return `${String(e.seq).padStart(5)} ${e.time} ${String(e.id).padStart(5)} ${e.level.padEnd(11)} ${(e.vmName ?? '-').padEnd(10)} ${e.message}`;
}

async function openLab(dir: string): Promise<LabProvider> {
  if (!(await labExists(dir)))
    throw new HvbcError(
      'NOT_FOUND',
      `No lab in ${dir}. Create one with "hvbc lab init --lab ${dir}".`,
      { dir },
    );
  return LabProvider.open(dir);
}

async function withLab<T>(dir: string, fn: (p: LabProvider) => Promise<T>): Promise<T> {
  const p = await openLab(dir);
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

export async function labCommand(argv: string[], io: LabIO): Promise<number> {
  const [sub, ...rest] = argv;
  const out = (json: boolean, value: unknown, text: string | string[]) => {
    if (json) io.log(JSON.stringify(value, null, 2));
    else for (const l of Array.isArray(text) ? text : [text]) io.log(l);
  };
  try {
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      io.log(HELP[''] ?? '');
      return sub === undefined ? 2 : 0;
    }
    if (!(sub in HELP) || sub === '') throw new UsageError(`unknown lab command "${sub}".`);

    switch (sub) {
      case 'init': {
        const { values, positionals } = parse(rest, {
          scenario: { type: 'string' },
          definition: { type: 'string' },
          seed: { type: 'string' },
          force: { type: 'boolean' },
        });
        if (values.help) return help(io, sub);
        need(positionals, 0, 'hvbc lab init [options]');
        if (values.scenario !== undefined && values.definition !== undefined)
          throw new UsageError('use either --scenario or --definition, not both.');
        const seed = int(values.seed, '--seed');
        let def: LabDefinition;
        if (values.definition !== undefined) {
          const { readFile } = await import('node:fs/promises');
          const text = await readFile(values.definition, 'utf8').catch(() => {
            throw new UsageError(`cannot read the definition file ${values.definition}.`);
          });
          def = parseLabDefinitionText(text, values.definition);
        } else {
          const name = values.scenario ?? 'default';
          const make = scenarios[name];
          if (!make)
            throw new UsageError(
              `unknown scenario "${name}"; scenarios: ${scenarioNames.join(', ')}.`,
            );
          def = make();
        }
        if (seed !== undefined) def = { ...def, seed };
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        if (await labExists(dir)) {
          if (!values.force)
            throw new HvbcError(
              'CONFLICT',
              `A lab already exists in ${dir}; nothing was changed. Use --force to replace it, or "hvbc lab reset".`,
              { dir },
            );
          await removeLabContent(dir);
        }
        const t0 = Date.now();
        const lab = await createLabFile(dir, def);
        const disks = Object.keys(lab.state.disks).length;
        out(
          values.json === true,
          { dir, name: def.name, vms: def.vms.length, disks, seconds: (Date.now() - t0) / 1000 },
          `Lab "${def.name}" created in ${dir}: ${def.vms.length} VMs, ${disks} disks (${((Date.now() - t0) / 1000).toFixed(1)} s).`,
        );
        return 0;
      }
      case 'reset': {
        const { values, positionals } = parse(rest, {});
        if (values.help) return help(io, sub);
        need(positionals, 0, 'hvbc lab reset');
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        const { definition } = await readLabFile(dir);
        await removeLabContent(dir);
        const lab = await createLabFile(dir, definition);
        out(
          values.json === true,
          { dir, name: definition.name, disks: Object.keys(lab.state.disks).length },
          `Lab "${definition.name}" in ${dir} was reset.`,
        );
        return 0;
      }
      case 'io': {
        const { values, positionals } = parse(rest, {
          bytes: { type: 'string' },
          seconds: { type: 'string' },
          rate: { type: 'string' },
          pattern: { type: 'string' },
          seed: { type: 'string' },
          disk: { type: 'string' },
        });
        if (values.help) return help(io, sub);
        const [vm] = need(positionals, 1, 'hvbc lab io <vm> [options]');
        if (values.bytes !== undefined && values.seconds !== undefined)
          throw new UsageError('use either --bytes or --seconds, not both.');
        const pattern =
          oneOf(values.pattern, ['scattered', 'hotspot'] as const, '--pattern') ?? 'scattered';
        const seed = int(values.seed, '--seed');
        const seconds = positive(values.seconds, '--seconds');
        const rate = positive(values.rate, '--rate');
        if (rate !== undefined && seconds === undefined)
          throw new UsageError('--rate goes with --seconds.');
        const bytes = values.bytes !== undefined ? parseBytes(values.bytes) : 16 * 1024 * 1024;
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        return await withLab(dir, async (p) => {
          if (seconds !== undefined) {
            const r = await p.startIo(vm ?? '', {
              rateMBps: rate ?? 10,
              seconds,
              pattern,
              ...(seed === undefined ? {} : { seed }),
            }).done;
            out(
              values.json === true,
              r,
              `Wrote ${(r.bytes / 1048576).toFixed(1)} MiB in ${r.writes} writes (${r.bursts} bursts) to ${vm}.`,
            );
            return 0;
          }
          const r = await p.ioBurst(vm ?? '', {
            bytes,
            pattern,
            ...(seed === undefined ? {} : { seed }),
            ...(values.disk ? { disk: values.disk } : {}),
          });
          out(values.json === true, r, [
            `Wrote ${(r.bytes / 1048576).toFixed(1)} MiB in ${r.writes} writes to ${vm} (seed ${r.seed}):`,
            ...Object.values(r.perDisk).map(
              (d) => `  ${d.file}: ${d.writes} writes, ${(d.bytes / 1048576).toFixed(1)} MiB`,
            ),
          ]);
          return 0;
        });
      }
      case 'fault': {
        const { values, positionals } = parse(rest, {
          list: { type: 'boolean' },
          value: { type: 'string' },
        });
        if (values.help) return help(io, sub);
        if (values.list) {
          out(
            values.json === true,
            LAB_FAULTS,
            LAB_FAULTS.map(
              (f) =>
                `  ${f.name.padEnd(34)} ${f.target === 'csv' ? '(on a CSV) ' : ''}${f.description}${f.value ? ` Value: ${f.value}.` : ''}`,
            ),
          );
          return 0;
        }
        const [target, faultArg, state] = need(
          positionals,
          3,
          'hvbc lab fault <vm|csv> <fault> on|off',
        );
        const [fault, inline] = (faultArg ?? '').split('=', 2) as [string, string | undefined];
        if (!LAB_FAULTS.some((f) => f.name === fault))
          throw new UsageError(`unknown fault "${fault}"; run "hvbc lab fault --list".`);
        const on = oneOf(state, ['on', 'off'] as const, 'the state') === 'on';
        const value = values.value ?? inline;
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        await withLab(dir, (p) => p.setFault(target ?? '', fault, on, value));
        out(
          values.json === true,
          { target, fault, on, ...(value ? { value } : {}) },
          `Fault ${fault} is ${on ? 'on' : 'off'} for ${target}.`,
        );
        return 0;
      }
      case 'checkpoint': {
        const { values, positionals } = parse(rest, {
          type: { type: 'string' },
          name: { type: 'string' },
          consistency: { type: 'string' },
          'require-consistency': { type: 'boolean' },
        });
        if (values.help) return help(io, sub);
        const [action, ...args] = positionals;
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        if (action === 'create') {
          const [vm] = need(args, 1, 'hvbc lab checkpoint create <vm> [--type T] [--name N]');
          const type =
            oneOf(values.type, ['standard', 'production', 'recovery'] as const, '--type') ??
            'standard';
          const consistency =
            oneOf(values.consistency, ['application', 'crash'] as const, '--consistency') ??
            (type === 'standard' ? 'crash' : 'application');
          const r = await withLab(dir, (p) =>
            p.createCheckpoint(vm ?? '', {
              type,
              consistency,
              createdBy: 'hvbc lab',
              ...(values.name ? { name: values.name } : {}),
              ...(values['require-consistency'] ? { requireConsistency: true } : {}),
            }),
          );
          out(values.json === true, r, [
            `Checkpoint "${r.checkpoint.name}" (${r.checkpoint.type}, ${r.consistencyReached}-consistent) created: ${r.checkpoint.id}`,
            ...(r.fallbackReason ? [`  Note: ${r.fallbackReason}`] : []),
          ]);
          return 0;
        }
        if (action === 'remove' || action === 'apply') {
          const [vm, cp] = need(args, 2, `hvbc lab checkpoint ${action} <vm> <checkpoint>`);
          await withLab(dir, async (p) => {
            const id = await checkpointId(p, vm ?? '', cp ?? '');
            if (action === 'remove') await p.removeCheckpoint(vm ?? '', id);
            else await p.applyCheckpoint(vm ?? '', id);
          });
          out(
            values.json === true,
            { vm, checkpoint: cp, action },
            `Checkpoint "${cp}" of ${vm}: ${action === 'remove' ? 'removed' : 'applied'}. See "hvbc lab events --vm ${vm}" for merges.`,
          );
          return 0;
        }
        if (action === 'list') {
          const [vm] = need(args, 1, 'hvbc lab checkpoint list <vm>');
          const inv = await withLab(dir, (p) => p.inventory());
          const v = inv.vms.find(
            (x) => x.name.toLowerCase() === (vm ?? '').toLowerCase() || x.id === vm,
          );
          if (!v) throw new HvbcError('NOT_FOUND', `No VM "${vm}" in the lab.`);
          out(
            values.json === true,
            {
              checkpoints: v.checkpoints,
              disks: v.disks.map((d) => ({ id: d.id, chain: d.chain })),
            },
            [
              `${v.name}: ${v.checkpoints.length} checkpoint(s)`,
              ...v.checkpoints.map(
                (c) =>
                  `  ${c.type.padEnd(15)} ${c.created}  ${c.name}  ${c.id}${c.parentId ? `  (parent ${c.parentId})` : ''}`,
              ),
              ...v.disks.map(
                (d) =>
                  `  disk ${d.path}: ${d.chain.map((f) => f.path.split('\\').pop()).join(' ← ')}`,
              ),
            ],
          );
          return 0;
        }
        throw new UsageError(
          'expected create, remove, list or apply: hvbc lab checkpoint create|remove|list|apply <vm> …',
        );
      }
      case 'csv': {
        const { values, positionals } = parse(rest, {});
        if (values.help) return help(io, sub);
        const [action, csv, node] = need(positionals, 3, 'hvbc lab csv move <csv> <node>');
        if (action !== 'move')
          throw new UsageError(
            `unknown csv action "${action}"; use: hvbc lab csv move <csv> <node>`,
          );
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        await withLab(dir, (p) => p.moveCsv(csv ?? '', node ?? ''));
        out(values.json === true, { csv, node }, `${csv} is now owned by ${node}.`);
        return 0;
      }
      case 'migrate': {
        const { values, positionals } = parse(rest, {});
        if (values.help) return help(io, sub);
        const [vm, node] = need(positionals, 2, 'hvbc lab migrate <vm> <node>');
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        await withLab(dir, (p) => p.liveMigrate(vm ?? '', node ?? ''));
        out(values.json === true, { vm, node }, `${vm} now runs on ${node}.`);
        return 0;
      }
      case 'storage': {
        const { values, positionals } = parse(rest, {});
        if (values.help) return help(io, sub);
        const [vm, disk, csv] = need(positionals, 3, 'hvbc lab storage <vm> <disk> <csv>');
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        await withLab(dir, (p) => p.storageMigrate(vm ?? '', disk ?? '', csv ?? ''));
        out(
          values.json === true,
          { vm, disk, csv },
          `${disk} of ${vm} moved to ${csv}; its change tracking starts again.`,
        );
        return 0;
      }
      case 'power': {
        const { values, positionals } = parse(rest, {});
        if (values.help) return help(io, sub);
        const [action, vm] = need(positionals, 2, 'hvbc lab power on|off <vm>');
        const how = oneOf(action, ['on', 'off'] as const, 'the power action');
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        await withLab(dir, (p) => (how === 'on' ? p.powerOn(vm ?? '') : p.powerOff(vm ?? '')));
        out(
          values.json === true,
          { vm, state: how === 'on' ? 'Running' : 'Off' },
          `${vm} is ${how === 'on' ? 'running' : 'off'}.`,
        );
        return 0;
      }
      case 'events': {
        const { values, positionals } = parse(rest, {
          vm: { type: 'string' },
          since: { type: 'string' },
          limit: { type: 'string' },
        });
        if (values.help) return help(io, sub);
        need(positionals, 0, 'hvbc lab events [--vm NAME]');
        const since = int(values.since, '--since');
        const limit = int(values.limit, '--limit');
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        const events = await withLab(dir, async (p) => {
          let vmId: string | undefined;
          if (values.vm !== undefined) {
            const inv = await p.inventory();
            const v = inv.vms.find(
              (x) => x.name.toLowerCase() === values.vm?.toLowerCase() || x.id === values.vm,
            );
            if (!v) throw new HvbcError('NOT_FOUND', `No VM "${values.vm}" in the lab.`);
            vmId = v.id;
          }
          return p.events({
            ...(vmId ? { vmId } : {}),
            ...(since === undefined ? {} : { sinceSeq: since }),
            ...(limit === undefined ? {} : { limit }),
          });
        });
        out(values.json === true, events, events.length ? events.map(fmtEvent) : 'No events.');
        return 0;
      }
      case 'check': {
        const { values, positionals } = parse(rest, {});
        if (values.help) return help(io, sub);
        need(positionals, 0, 'hvbc lab check');
        const dir = resolveLabDir({ ...(values.lab ? { labDir: values.lab } : {}) });
        const r = await withLab(dir, (p) => p.reconcile());
        out(values.json === true, r, [
          `${r.completed.length} half-done operation(s) finished, ${r.orphans.length} orphan file(s), ${r.missing.length} missing file(s).`,
          ...r.orphans.map((o) => `  orphan  ${o}`),
          ...r.missing.map((m) => `  missing ${m}`),
        ]);
        return r.missing.length > 0 ? 1 : 0;
      }
    }
    throw new UsageError(`unknown lab command "${sub}".`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.error(
        `hvbc lab${sub && sub in HELP ? ` ${sub}` : ''}: ${e.message} Nothing was changed. Run "hvbc lab ${sub && sub in HELP ? `${sub} ` : ''}--help".`,
      );
      return 2;
    }
    if (isHvbcError(e)) {
      io.error(`hvbc lab ${sub}: [${e.code}] ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function help(io: LabIO, sub: string): number {
  io.log(HELP[sub] ?? HELP[''] ?? '');
  return 0;
}

/** A checkpoint named or given by id. */
async function checkpointId(p: LabProvider, vm: string, ref: string): Promise<string> {
  const inv = await p.inventory();
  const v = inv.vms.find((x) => x.name.toLowerCase() === vm.toLowerCase() || x.id === vm);
  if (!v) throw new HvbcError('NOT_FOUND', `No VM "${vm}" in the lab.`);
  const hits = v.checkpoints.filter(
    (c) => c.type !== 'reference-point' && (c.id === ref || c.name === ref),
  );
  if (hits.length === 0)
    throw new HvbcError(
      'NOT_FOUND',
      `${v.name} has no checkpoint "${ref}". Run "hvbc lab checkpoint list ${v.name}".`,
    );
  if (hits.length > 1)
    throw new HvbcError(
      'VALIDATION',
      `${v.name} has ${hits.length} checkpoints named "${ref}"; give the id.`,
    );
  return hits[0]?.id ?? ref;
}
