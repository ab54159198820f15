// `hvbc backup`, `hvbc restore`, `hvbc points` and `hvbc repo …`: the backup engine from the command line.
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BackupRequest,
  RestoreRequest,
  type BackupRunResult,
  type RestoreResult,
} from '../../../shared/backup';
import { HvbcError, toErrorData } from '../../../shared/errors';
import {
  startBackup,
  startCheck,
  startForget,
  startGc,
  startRestore,
} from '../../services/engine/operations';
import { previewInPlace } from '../../services/engine/restore-in-place';
import type { Services } from '../../services/services';
import type { CliIO } from '../io';
import { commonOptions, withServices } from '../with-services';
import { repoTaskLines } from '../repo-task-text';
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
      'in-place': { type: 'boolean' },
      confirm: { type: 'string' },
    },
  });
  if (values.help || positionals.length !== 1) {
    io.log(
      "hvbc restore <point> [--to FOLDER] [--new-id|--keep-id] [--lab PATH] [--repo PATH] [--json]\n  Restore a point as a new VM (new id by default) into a folder, verified by hash.\nhvbc restore <point> --in-place [--confirm <vm name>] [--lab PATH] [--repo PATH] [--json]\n  Lab only: restore over the original VM's disks (the VM must be off). Without --confirm, shows what would be\n  replaced and changes nothing. Replaced files are kept in .hvbc-replaced; the VM's checkpoints are removed.",
    );
    return values.help ? 0 : 2;
  }
  const inPlace = values['in-place'] ?? false;
  if (!inPlace && values.confirm !== undefined)
    throw new HvbcError(
      'VALIDATION',
      '--confirm goes with --in-place (restore over the original VM); a restore as a new VM needs no confirmation.',
    );
  if (values['new-id'] && values['keep-id'])
    throw new HvbcError('VALIDATION', '--new-id and --keep-id contradict each other: give one.');
  if (inPlace && (values.to !== undefined || values['new-id'] || values['keep-id']))
    throw new HvbcError(
      'VALIDATION',
      '--in-place restores over the original VM, in its own folder and with its own id: leave out --to, --new-id and --keep-id.',
    );
  const json = values.json ?? false;
  const req = RestoreRequest.parse(
    inPlace
      ? {
          pointId: positionals[0],
          inPlace: true,
          newId: false,
          ...(values.confirm !== undefined ? { confirmVmName: values.confirm } : {}),
        }
      : {
          pointId: positionals[0],
          ...(values.to !== undefined ? { targetDir: values.to } : {}),
          newId: !values['keep-id'],
        },
  );
  return withServices(values.lab, values.repo, async (s) => {
    req.pointId = await resolvePointId(s, req.pointId);
    if (inPlace && values.confirm === undefined) return inPlacePreview(s, req.pointId, io, json);
    let rec;
    try {
      rec = await startRestore(s, req);
    } catch (e) {
      if (!json) throw e;
      io.log(JSON.stringify({ state: 'refused', error: toErrorData(e) }, null, 2));
      return 1;
    }
    const done = await followTask(s, rec, io, json);
    const r = done.result as RestoreResult | undefined;
    if (json)
      io.log(
        JSON.stringify(
          { state: done.state, error: done.error, result: r, warnings: done.warnings },
          null,
          2,
        ),
      );
    else if (r?.inPlace) {
      io.log(
        `Restored ${r.vmName} in place from ${r.pointId} (${r.durationSeconds.toFixed(1)} s); ${r.inPlace.checkpointsRemoved} checkpoint(s) removed${r.inPlace.changeTrackingReset ? ', change tracking reset (the next backup is full)' : ''}.`,
      );
      for (const d of r.disks)
        io.log(`  ${d.path}: ${d.verified ? 'verified' : 'MISMATCH'} digest ${d.digest}`);
      io.log(`  Replaced files kept in: ${r.inPlace.replacedFilesDirs.join(', ')}`);
    } else if (r) {
      io.log(
        `Restored ${r.vmName} as ${r.newVmId} in ${r.targetDir} (${r.durationSeconds.toFixed(1)} s)`,
      );
      for (const d of r.disks)
        io.log(`  ${d.path}: ${d.verified ? 'verified' : 'MISMATCH'} digest ${d.digest}`);
    } else io.error(`Restore ${done.state}: ${done.error?.message ?? ''}`);
    return exitCodeOf(done);
  });
}

/** `--in-place` without `--confirm`: what would be replaced and removed, and what stands in the way. Exit 2. */
async function inPlacePreview(
  s: Services,
  pointId: string,
  io: CliIO,
  json: boolean,
): Promise<number> {
  const { point, plan } = await previewInPlace(await s.repos.get(), s.provider, pointId);
  const message = `Nothing was changed. Add --confirm ${quoteArg(point.vmName)} to restore ${point.vmName} in place.`;
  if (json) {
    io.log(JSON.stringify({ state: 'not-confirmed', message, point, plan }, null, 2));
    return 2;
  }
  io.log(
    `In-place restore of ${plan.vmName} (${plan.vmId}, now ${plan.state}) from ${point.id} (${point.kind}, ${point.createdAt}) would:`,
  );
  for (const d of plan.disks) {
    io.log(`  replace ${d.label} (${gib(d.virtualSize)}) with the point's copy, at ${d.basePath}`);
    io.log(`    moving ${d.files.length} file(s) to ${d.replacedRoot}${path.sep}<time>:`);
    for (const f of d.files) io.log(`      ${f}`);
  }
  io.log(
    plan.checkpoints.length === 0
      ? '  remove no checkpoint (the VM has none)'
      : `  remove ${plan.checkpoints.length} checkpoint(s): ${plan.checkpoints.map((c) => `'${c.name}' (${c.type}${c.lingering ? `, lingering: ${c.lingering}` : ''})`).join(', ')}`,
  );
  if (plan.otherDisks.length > 0)
    io.log(
      `  leave ${plan.otherDisks.join(', ')} as they are (not in the point; their checkpoint files are merged)`,
    );
  io.log('  reset change tracking of the replaced disks (the next backup is full)');
  for (const p of plan.problems) io.error(`  ! [${p.code}] ${p.message}`);
  io.error(
    plan.problems.length > 0
      ? `Fix the problem(s) above first. ${message}`
      : `${message} The VM's current disks are kept in .hvbc-replaced; everything written since the point is no longer in use.`,
  );
  return 2;
}

/** A VM name as the admin would type it on a command line. */
function quoteArg(s: string): string {
  return /^[A-Za-z0-9._-]+$/.test(s) ? s : `"${s.replace(/"/g, '\\"')}"`;
}

/** A point id as typed: the whole id, or a prefix that only one point starts with (as git takes commit ids). */
async function resolvePointId(s: Services, typed: string): Promise<string> {
  const repo = await s.repos.get();
  // A whole id reads one manifest; only a prefix needs the list (a damaged point still says so).
  try {
    await repo.getPoint(typed);
    return typed;
  } catch (e) {
    if (!(e instanceof HvbcError && e.code === 'NOT_FOUND')) throw e;
  }
  const matches = (await repo.listPoints()).filter((p) => p.id.startsWith(typed));
  if (matches.length === 1 && matches[0]) return matches[0].id;
  throw new HvbcError(
    'NOT_FOUND',
    matches.length > 1
      ? `${matches.length} restore points start with ${typed} (${matches.map((p) => p.id).join(', ')}): give more of the id.`
      : `There is no restore point ${typed}. List them with "hvbc points [<vm>]".`,
    { pointId: typed },
  );
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
  if (positionals.length > 1)
    throw new HvbcError('VALIDATION', 'hvbc points takes one VM (or none for all of them).');
  return withServices(values.lab, values.repo, async (s) => {
    const inv = await s.provider.inventory();
    const asked = positionals[0]?.toLowerCase();
    const vm = inv.vms.find((v) => v.name.toLowerCase() === asked || v.id === positionals[0]);
    const unreadable: string[] = [];
    const all = await (
      await s.repos.get()
    ).listPoints({ onUnreadable: (id, why) => unreadable.push(`${id}: ${why}`) });
    // By id, and by the name the points recorded: a VM deleted or re-created since (a new id) keeps its points.
    const points = asked
      ? all.filter((p) => p.vmId === vm?.id || p.vmName.toLowerCase() === asked)
      : all;
    if (asked && !vm && points.length === 0)
      throw new HvbcError('NOT_FOUND', `No VM and no restore points named "${positionals[0]}".`);
    for (const u of unreadable)
      io.error(`!! restore point ${u} (run "hvbc repo check" to see what it affects)`);
    if (values.json) io.log(JSON.stringify(points, null, 2));
    else
      for (const p of points)
        io.log(
          `${p.id}  ${p.vmName.padEnd(12)} ${p.kind.padEnd(11)} ${p.time}  ${gib(p.logicalBytes)} logical, ${gib(p.bytesStored)} new`,
        );
    return unreadable.length ? 1 : 0; // the list is incomplete
  });
}

/** "256K", "1M", "262144" → bytes (the repository validates the value). */
function parseChunkSize(text: string): number {
  const m = /^(\d+)\s*([KkMm])?(?:i?B)?$/.exec(text.trim());
  if (!m)
    throw new HvbcError(
      'VALIDATION',
      `--chunk-size "${text}" is not a size. Use 256K, 512K, 1M, 2M or 4M.`,
    );
  const unit = (m[2] ?? '').toUpperCase();
  return Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1024 * 1024 : 1);
}

export async function repoCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...common,
      'read-data': { type: 'boolean' },
      path: { type: 'string' },
      encrypt: { type: 'boolean' },
      'chunk-size': { type: 'string' },
      'keep-last': { type: 'string' },
      daily: { type: 'string' },
      weekly: { type: 'string' },
      monthly: { type: 'string' },
      yearly: { type: 'string' },
      apply: { type: 'boolean' },
    },
  });
  if (
    !sub ||
    values.help ||
    !['init', 'check', 'gc', 'stats', 'forget', 'quarantine'].includes(sub)
  ) {
    io.log(
      'hvbc repo init [--path P] [--encrypt] [--chunk-size 256K|512K|1M|2M|4M]   (passphrase from HVBC_REPO_PASSPHRASE)\nhvbc repo check [--read-data]\nhvbc repo gc\nhvbc repo stats\nhvbc repo forget --keep-last N [--daily N --weekly N --monthly N --yearly N] [--apply]\nhvbc repo quarantine <point-id>   (moves a point whose manifest is damaged aside)\n  (all take --repo PATH, --lab PATH, --json)',
    );
    return values.help ? 0 : 2;
  }
  // Options of one subcommand given to another would be ignored: refuse them instead.
  const own: Record<string, string[]> = {
    init: ['path', 'encrypt', 'chunk-size'],
    check: ['read-data'],
    gc: [],
    stats: [],
    forget: ['keep-last', 'daily', 'weekly', 'monthly', 'yearly', 'apply'],
    quarantine: [],
  };
  const shared = Object.keys(common);
  const stray = Object.keys(values).filter((k) => !shared.includes(k) && !own[sub]?.includes(k));
  if (stray.length)
    throw Object.assign(
      new Error(`hvbc repo ${sub} does not take ${stray.map((k) => `--${k}`).join(', ')}`),
      { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' },
    );
  if (positionals.length !== (sub === 'quarantine' ? 1 : 0))
    throw Object.assign(
      new Error(
        sub === 'quarantine'
          ? 'hvbc repo quarantine takes one restore point id'
          : `hvbc repo ${sub} takes no arguments`,
      ),
      { code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' },
    );
  const json = values.json ?? false;
  return withServices(values.lab, sub === 'init' ? undefined : values.repo, async (s) => {
    if (sub === 'quarantine') {
      const r = await (await s.repos.get()).quarantinePoint(positionals[0] ?? '');
      io.log(
        json
          ? JSON.stringify(r, null, 2)
          : `Moved restore point ${r.pointId} aside to ${path.join(s.repos.path, ...r.movedTo.split('/'))}: gc and the figures no longer wait for it. With a copy of the repository, put the point's file back into points/ instead; gc now frees the data only that point used.`,
      );
      return 0;
    }
    if (sub === 'init') {
      const passphrase = process.env.HVBC_REPO_PASSPHRASE;
      if (values.encrypt && !passphrase)
        throw new HvbcError(
          'VALIDATION',
          '--encrypt needs the passphrase in HVBC_REPO_PASSPHRASE (never on the command line).',
        );
      if (passphrase && !values.encrypt)
        throw new HvbcError(
          'VALIDATION',
          'HVBC_REPO_PASSPHRASE is set but --encrypt was not given: the repository would not be encrypted. Add --encrypt, or unset HVBC_REPO_PASSPHRASE for an unencrypted one. Nothing was created.',
        );
      if (values.encrypt && passphrase && passphrase.length < 8)
        throw new HvbcError(
          'VALIDATION',
          'The passphrase in HVBC_REPO_PASSPHRASE is too short: use at least 8 characters (the console asks the same). Nothing was created.',
        );
      if (values.path && values.repo && path.resolve(values.path) !== path.resolve(values.repo))
        throw new HvbcError(
          'VALIDATION',
          `--path ${values.path} and --repo ${values.repo} name two folders: give one. Nothing was created.`,
        );
      const chunkSize =
        values['chunk-size'] !== undefined ? parseChunkSize(values['chunk-size']) : undefined;
      const repo = await s.repos.init({
        ...((values.path ?? values.repo) ? { path: values.path ?? values.repo } : {}),
        ...(chunkSize !== undefined ? { chunkSize } : {}),
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
          : `${s.repos.path}: ${st.points} points of ${st.vms.length} VMs; logical ${gib(st.logicalBytes)}, stored ${gib(st.storedBytes)}; dedupe ×${st.dedupeRatio.toFixed(2)}, compression ×${st.compressionRatio.toFixed(2)}${st.volume ? `; ${gib(st.volume.freeBytes)} free of ${gib(st.volume.sizeBytes)} on its volume` : ''}`,
      );
      for (const u of st.unreadablePoints)
        io.error(
          `!! restore point ${u.id}${u.vmName ? ` (${u.vmName}, ${u.time ?? ''})` : ''} is left out: ${u.why} (run "hvbc repo check --read-data" to see what it affects)`,
        );
      return st.unreadablePoints.length ? 1 : 0; // the figures are incomplete
    }
    const num = (flag: string, x: string | undefined): number | undefined => {
      if (x === undefined) return undefined;
      if (!/^\d+$/.test(x.trim()) || Number(x) < 1 || !Number.isSafeInteger(Number(x)))
        throw new HvbcError(
          'VALIDATION',
          `--${flag} must be a whole number of 1 or more, not "${x}". Nothing was removed.`,
        );
      return Number(x);
    };
    const rec =
      sub === 'check'
        ? await startCheck(s, values['read-data'] ?? false)
        : sub === 'gc'
          ? await startGc(s)
          : await startForget(s, {
              keepLast: num('keep-last', values['keep-last']),
              daily: num('daily', values.daily),
              weekly: num('weekly', values.weekly),
              monthly: num('monthly', values.monthly),
              yearly: num('yearly', values.yearly),
              dryRun: !values.apply,
            });
    const done = await followTask(s, rec, io, json);
    io.log(
      json
        ? JSON.stringify(
            {
              state: done.state,
              error: done.error,
              result: done.result,
              warnings: done.warnings,
            },
            null,
            2,
          )
        : [
            `${done.title}: ${done.state}${done.error ? ` — ${done.error.message}` : ''}`,
            ...(done.result
              ? repoTaskLines(
                  sub as 'check' | 'gc' | 'forget',
                  done.result,
                  values['read-data'] ?? false,
                )
              : []),
          ].join('\n'),
    );
    return exitCodeOf(done);
  });
}
