// `hvbc backup`, `hvbc restore`, `hvbc points` and `hvbc repo …`: the backup engine from the command line.
import { parseArgs } from 'node:util';
import {
  BackupRequest,
  RestoreRequest,
  type BackupRunResult,
  type RestoreResult,
} from '../../../shared/backup';
import { HvbcError } from '../../../shared/errors';
import {
  startBackup,
  startCheck,
  startForget,
  startGc,
  startRestore,
} from '../../services/engine/operations';
import type { CliIO } from '../io';
import { commonOptions, withServices } from '../with-services';
import { exitCodeOf, followTask } from '../task-progress';

const common = commonOptions;

function gib(n: number): string {
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

export async function backupCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...common,
      full: { type: 'boolean' },
      consistency: { type: 'string' },
      'require-consistency': { type: 'boolean' },
    },
  });
  if (values.help || positionals.length === 0) {
    io.log(
      'hvbc backup <vm…> [--full] [--consistency app|fs|crash] [--require-consistency] [--lab PATH] [--repo PATH] [--json]\n  Back up VMs (names or ids) into the repository; incremental when change tracking allows.',
    );
    return values.help ? 0 : 2;
  }
  const map: Record<string, string> = {
    app: 'application',
    application: 'application',
    fs: 'file-system',
    'file-system': 'file-system',
    crash: 'crash',
  };
  const consistency = map[values.consistency ?? 'app'];
  if (!consistency)
    throw new HvbcError(
      'VALIDATION',
      `--consistency must be app, fs or crash, not "${values.consistency}".`,
    );
  const req = BackupRequest.parse({
    vmIds: positionals,
    consistency,
    full: values.full ?? false,
    requireConsistency: values['require-consistency'] ?? false,
    trigger: 'cli',
  });
  return withServices(values.lab, values.repo, async (s) => {
    const done = await followTask(s, await startBackup(s, req), io, values.json ?? false);
    const r = done.result as BackupRunResult | undefined;
    if (values.json)
      io.log(
        JSON.stringify(
          { state: done.state, error: done.error, result: r, warnings: done.warnings },
          null,
          2,
        ),
      );
    else {
      for (const vm of r?.vms ?? []) {
        io.log(
          `${vm.vmName}: ${vm.status}${vm.pointId ? ` → point ${vm.pointId}` : ''}${vm.consistencyReached ? ` (${vm.consistencyReached}-consistent)` : ''}${vm.error ? ` — ${vm.error.message}` : ''}`,
        );
        for (const d of vm.disks)
          io.log(
            `  ${d.file}: ${d.mode}${d.fullReason ? ` (${d.fullReason})` : ''}, read ${gib(d.bytesRead)}, stored ${gib(d.bytesStored)}`,
          );
        for (const c of vm.cleanupFailures) io.error(`  !! ${c}`);
      }
      if (done.error && !r) io.error(`Backup ${done.state}: ${done.error.message}`);
    }
    return exitCodeOf(done);
  });
}

export async function restoreCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...common,
      to: { type: 'string' },
      'new-id': { type: 'boolean' },
      'keep-id': { type: 'boolean' },
    },
  });
  if (values.help || positionals.length !== 1) {
    io.log(
      'hvbc restore <point> [--to FOLDER] [--new-id|--keep-id] [--lab PATH] [--repo PATH] [--json]\n  Restore a point as a new VM (new id by default) into a folder, verified by hash.',
    );
    return values.help ? 0 : 2;
  }
  const req = RestoreRequest.parse({
    pointId: positionals[0],
    ...(values.to ? { targetDir: values.to } : {}),
    newId: !values['keep-id'],
  });
  return withServices(values.lab, values.repo, async (s) => {
    const done = await followTask(s, await startRestore(s, req), io, values.json ?? false);
    const r = done.result as RestoreResult | undefined;
    if (values.json)
      io.log(JSON.stringify({ state: done.state, error: done.error, result: r }, null, 2));
    else if (r) {
      io.log(
        `Restored ${r.vmName} as ${r.newVmId} in ${r.targetDir} (${r.durationSeconds.toFixed(1)} s)`,
      );
      for (const d of r.disks)
        io.log(`  ${d.path}: ${d.verified ? 'verified' : 'MISMATCH'} sha256 ${d.sha256}`);
    } else io.error(`Restore ${done.state}: ${done.error?.message ?? ''}`);
    return exitCodeOf(done);
  });
}

export async function pointsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: common,
  });
  if (values.help) {
    io.log('hvbc points [<vm>] [--lab PATH] [--repo PATH] [--json]\n  List restore points.');
    return 0;
  }
  return withServices(values.lab, values.repo, async (s) => {
    const inv = await s.provider.inventory();
    const vm = positionals[0]
      ? inv.vms.find(
          (v) => v.name.toLowerCase() === positionals[0]?.toLowerCase() || v.id === positionals[0],
        )
      : undefined;
    if (positionals[0] && !vm) throw new HvbcError('NOT_FOUND', `No VM "${positionals[0]}".`);
    const points = await (await s.repos.get()).listPoints(vm ? { vmId: vm.id } : {});
    if (values.json) io.log(JSON.stringify(points, null, 2));
    else
      for (const p of points)
        io.log(
          `${p.id}  ${p.vmName.padEnd(12)} ${p.kind.padEnd(11)} ${p.time}  ${gib(p.logicalBytes)} logical, ${gib(p.bytesStored)} new`,
        );
    return 0;
  });
}

export async function repoCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      ...common,
      'read-data': { type: 'boolean' },
      path: { type: 'string' },
      encrypt: { type: 'boolean' },
      'keep-last': { type: 'string' },
      daily: { type: 'string' },
      weekly: { type: 'string' },
      monthly: { type: 'string' },
      yearly: { type: 'string' },
      apply: { type: 'boolean' },
    },
  });
  if (!sub || values.help || !['init', 'check', 'gc', 'stats', 'forget'].includes(sub)) {
    io.log(
      'hvbc repo init [--path P] [--encrypt]   (passphrase from HVBC_REPO_PASSPHRASE)\nhvbc repo check [--read-data]\nhvbc repo gc\nhvbc repo stats\nhvbc repo forget --keep-last N [--daily N --weekly N --monthly N --yearly N] [--apply]\n  (all take --repo PATH, --lab PATH, --json)',
    );
    return values.help ? 0 : 2;
  }
  const json = values.json ?? false;
  return withServices(values.lab, sub === 'init' ? undefined : values.repo, async (s) => {
    if (sub === 'init') {
      const passphrase = process.env.HVBC_REPO_PASSPHRASE;
      if (values.encrypt && !passphrase)
        throw new HvbcError(
          'VALIDATION',
          '--encrypt needs the passphrase in HVBC_REPO_PASSPHRASE (never on the command line).',
        );
      const repo = await s.repos.init({
        ...((values.path ?? values.repo) ? { path: values.path ?? values.repo } : {}),
        ...(values.encrypt && passphrase ? { passphrase } : {}),
      });
      io.log(
        json
          ? JSON.stringify({ path: s.repos.path, chunkSize: repo.chunkSize })
          : `Created a repository in ${s.repos.path} (chunk size ${repo.chunkSize / 1024} KiB${values.encrypt ? ', encrypted' : ''}).`,
      );
      return 0;
    }
    if (sub === 'stats') {
      const st = await (await s.repos.get()).stats();
      io.log(
        json
          ? JSON.stringify(st, null, 2)
          : `${s.repos.path}: ${st.points} points of ${st.vms.length} VMs; logical ${gib(st.logicalBytes)}, stored ${gib(st.storedBytes)}; dedupe ×${st.dedupeRatio.toFixed(2)}, compression ×${st.compressionRatio.toFixed(2)}`,
      );
      return 0;
    }
    const num = (x: string | undefined) => (x === undefined ? undefined : Number(x));
    const rec =
      sub === 'check'
        ? await startCheck(s, values['read-data'] ?? false)
        : sub === 'gc'
          ? await startGc(s)
          : await startForget(s, {
              keepLast: num(values['keep-last']),
              daily: num(values.daily),
              weekly: num(values.weekly),
              monthly: num(values.monthly),
              yearly: num(values.yearly),
              dryRun: !values.apply,
            });
    const done = await followTask(s, rec, io, json);
    io.log(
      json
        ? JSON.stringify({ state: done.state, error: done.error, result: done.result }, null, 2)
        : `${done.title}: ${done.state}${done.error ? ` — ${done.error.message}` : ''}\n${JSON.stringify(done.result ?? {}, null, 2)}`,
    );
    return exitCodeOf(done);
  });
}
