// In-place restore in the lab ("restore entire VM to its original location"): staged, verified disks take the place of
// a VM's disk chains, the old files go to a quarantine folder, the VM's checkpoints go and the content model is reset.
//
// Crash safety: everything is checked first (nothing changes on a refusal); then a 'replace' intent is written to
// lab.json, the files are renamed (old chain → <folder>/.hvbc-replaced/<stamp>/, staged file → base file name), the
// write log gets a reset line and change tracking restarts, and only then does the state change. A process killed in
// between leaves the intent; the next operation (or open) finishes it, or rolls it back when a staged file is gone.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError, type ErrorCode } from '../../../../shared/errors';
import { openVhdx } from '../../vhdx';
import { releaseCsvSnapshots } from './csv-snapshots';
import { abs, rctCapable } from './disks';
import { appendWriteLog, isMarker, isReset, readWriteLog, rctStart } from './journal';
import { diskModel, verifyAgainstModel } from './model';
import { findDisk, findVm, fmtBytes, type Op, type VmRef } from './op';
import { pausePoint } from './pause';
import { writeLabFile, type LabFile } from './store';
import {
  chainOf,
  vmConfigPath,
  vmId as vmIdOf,
  type LabIntent,
  type LabReplaceDisk,
} from './state';

/** Folder (beside the disk files) that receives the files an in-place restore replaced. Nothing is deleted. */
export const REPLACED_DIR = '.hvbc-replaced';

export type ReplaceIntent = Extract<LabIntent, { kind: 'replace' }>;

/** One disk of a restore point to put in place of the VM's current disk. */
export interface InPlaceDiskRequest {
  /** Disk id (the restore point's disk key) or file name. */
  diskRef: string;
  /** Size of the point's copy; must equal the current disk's. */
  virtualSize?: number;
  /** The checkpoint the point's copy was read from (the backup records it). */
  fromCheckpointId?: string;
}

export interface InPlaceProblem {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface InPlacePlanDisk {
  diskRef: string;
  diskId: string;
  label: string;
  virtualSize: number;
  blockSize: number;
  /** Absolute path of the base .vhdx: the restored disk takes this name. */
  basePath: string;
  /** Every current file of the disk (base first, then its .avhdx files), absolute: all are moved away. */
  files: string[];
  /** They go to <replacedRoot>/<time of the restore>/. */
  replacedRoot: string;
}

/** What an in-place restore would do to a VM, and what stands in its way (problems: empty when it can run). */
export interface InPlacePlan {
  vmId: string;
  vmName: string;
  state: string;
  /** The VM configuration file (absolute). */
  configPath: string;
  disks: InPlacePlanDisk[];
  /** Every checkpoint of the VM: all are removed (they describe the replaced timeline). */
  checkpoints: Array<{ id: string; name: string; type: string; lingering?: string }>;
  /** The VM's disks the point does not replace: their checkpoint files merge, as when checkpoints are deleted. */
  otherDisks: string[];
  problems: InPlaceProblem[];
}

/** One staged file to put in place of a disk. */
export interface ReplaceRequest {
  diskRef: string;
  /** Absolute path of the restored disk: a dynamic or fixed .vhdx in the same folder as the disk's base file. */
  stagedFile: string;
  /** The checkpoint whose content the staged file holds (required: the lab models every disk's content). */
  fromCheckpointId?: string;
}

export interface ReplaceResult {
  vmId: string;
  vmName: string;
  disks: Array<{
    diskId: string;
    label: string;
    /** The restored disk, now the base file (absolute). */
    path: string;
    movedFiles: Array<{ from: string; to: string }>;
  }>;
  /** Quarantine folders that received the replaced files (absolute). */
  replacedFilesDirs: string[];
  checkpointsRemoved: Array<{ id: string; name: string; type: string }>;
  /** True when change tracking restarted (2016+ hosts with configuration ≥ 6.2): the next backup is full. */
  changeTrackingReset: boolean;
}

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

const RESTORE_AS_NEW = 'Restore it as a new VM instead.';

/**
 * Check an in-place restore of `vmRef` with the given disks against the lab as it is now. Throws NOT_FOUND when the VM
 * is gone; everything else that stands in the way is listed in `problems`, in the order an admin should fix it.
 */
export async function planReplace(
  dir: string,
  lab: LabFile,
  vmRef: string,
  disks: InPlaceDiskRequest[],
): Promise<InPlacePlan> {
  let vm: VmRef;
  try {
    vm = findVm(lab.definition, vmRef);
  } catch (e) {
    if (!(e instanceof HvbcError && e.code === 'NOT_FOUND')) throw e;
    throw new HvbcError(
      'NOT_FOUND',
      `The VM ${vmRef} no longer exists in the lab (removed, or the lab was reset), so there is nothing to restore in place. ${RESTORE_AS_NEW}`,
      { vmId: vmRef },
    );
  }
  const { state } = lab;
  const name = vm.def.name;
  const power = state.vmStates[vm.id] ?? vm.def.state;
  const problems: InPlaceProblem[] = [];
  if (power !== 'Off') {
    problems.push({
      code: 'CONFLICT',
      message:
        power === 'Running'
          ? `'${name}' is running: turn it off first (Stop-VM, or "hvbc lab power off ${name}"). An in-place restore replaces its disks and needs the VM off; nothing was changed.`
          : `'${name}' is ${power}: turn it off first (Stop-VM -TurnOff, or "hvbc lab power off ${name}"). Its saved state belongs to the current disks; nothing was changed.`,
      details: { vmId: vm.id, state: power },
    });
  }
  const planned: InPlacePlanDisk[] = [];
  const seen = new Set<string>();
  for (const req of disks) {
    let did: string;
    try {
      did = findDisk(vm, req.diskRef);
    } catch {
      problems.push({
        code: 'CONFLICT',
        message: `The restore point holds disk ${req.diskRef}, which '${name}' no longer has: an in-place restore needs the same disks. ${RESTORE_AS_NEW}`,
        details: { vmId: vm.id, disk: req.diskRef },
      });
      continue;
    }
    const def = vm.def.disks.find((x) => findDisk(vm, x.file) === did);
    const d = state.disks[did];
    const base = d?.files.base;
    if (!d || !def || !base) {
      problems.push({
        code: 'CONFLICT',
        message: `The lab has no files for disk ${req.diskRef} of '${name}'. ${RESTORE_AS_NEW}`,
        details: { vmId: vm.id, diskId: did },
      });
      continue;
    }
    if (seen.has(did)) {
      problems.push({
        code: 'VALIDATION',
        message: `${d.label} is named twice; give each disk once.`,
        details: { diskId: did },
      });
      continue;
    }
    seen.add(did);
    if (def.shared || d.vms.length > 1) {
      problems.push({
        code: 'UNSUPPORTED',
        message: `${d.label} is a VHD Set shared with other guest-cluster nodes: restoring it in place would change the disk under them. ${RESTORE_AS_NEW}`,
        details: { diskId: did },
      });
    } else if (def.attachment !== 'virtual') {
      problems.push({
        code: 'UNSUPPORTED',
        message: `${d.label} is not a virtual disk of the VM (${def.attachment}). ${RESTORE_AS_NEW}`,
        details: { diskId: did },
      });
    } else if (!d.materialized) {
      problems.push({
        code: 'CONFLICT',
        message: `${d.label} has no file yet (this lab creates disks on first use), so it cannot be replaced. ${RESTORE_AS_NEW}`,
        details: { diskId: did },
      });
    }
    if (req.virtualSize !== undefined && req.virtualSize !== d.virtualSize) {
      problems.push({
        code: 'CONFLICT',
        message: `${d.label} is ${fmtBytes(d.virtualSize)} now but ${fmtBytes(req.virtualSize)} in the restore point (resized since the backup): an in-place restore needs the same size. ${RESTORE_AS_NEW}`,
        details: { diskId: did, virtualSize: d.virtualSize, pointVirtualSize: req.virtualSize },
      });
    }
    if (req.fromCheckpointId === undefined) {
      problems.push({
        code: 'VALIDATION',
        message: `The restore point does not say which checkpoint of ${d.label} it was read from, so the lab cannot model the restored content. ${RESTORE_AS_NEW}`,
        details: { diskId: did },
      });
    } else {
      const cpId = req.fromCheckpointId;
      const live = Object.values(state.checkpoints)
        .flat()
        .some((c) => c.id === cpId && c.frozen[did] !== undefined);
      const logged =
        live || (await readWriteLog(dir, did)).some((l) => isMarker(l) && l.id === cpId);
      if (!logged) {
        problems.push({
          code: 'NOT_FOUND',
          message: `The lab has no record of checkpoint ${cpId} on ${d.label} (the lab was reset or re-created since the backup), so it cannot model the restored content. ${RESTORE_AS_NEW}`,
          details: { diskId: did, checkpointId: cpId },
        });
      }
    }
    const baseAbs = abs(dir, base.path);
    planned.push({
      diskRef: req.diskRef,
      diskId: did,
      label: d.label,
      virtualSize: d.virtualSize,
      blockSize: d.blockSize,
      basePath: baseAbs,
      files: [
        baseAbs,
        ...Object.entries(d.files)
          .filter(([fid]) => fid !== 'base')
          .map(([, f]) => abs(dir, f.path)),
      ],
      replacedRoot: path.join(path.dirname(baseAbs), REPLACED_DIR),
    });
  }
  const replaced = new Set(planned.map((p) => p.diskId));
  return {
    vmId: vm.id,
    vmName: name,
    state: power,
    configPath: abs(dir, vmConfigPath(lab.definition, vm.index, state)),
    disks: planned,
    checkpoints: (state.checkpoints[vm.id] ?? []).map((c) => ({
      id: c.id,
      name: c.name,
      type: c.type,
      ...(c.lingering ? { lingering: c.lingering.reason } : {}),
    })),
    otherDisks: vm.def.disks
      .filter((x) => x.attachment === 'virtual' && !replaced.has(findDisk(vm, x.file)))
      .map((x) => state.disks[findDisk(vm, x.file)]?.label ?? x.file),
    problems,
  };
}

/** The first problem of a plan as an error (nothing has changed yet). */
export function planError(plan: InPlacePlan): HvbcError | null {
  const p = plan.problems[0];
  if (!p) return null;
  const more =
    plan.problems.length > 1 ? ` (${plan.problems.length - 1} more problem(s) after this one)` : '';
  return new HvbcError(p.code, `${p.message}${more}`, {
    ...p.details,
    problems: plan.problems.map((x) => x.message),
  });
}

/** A staged file must be a base VHDX of the disk's size, beside the base file, holding what the lab will record. */
async function checkStaged(
  op: Op,
  p: InPlacePlanDisk,
  staged: string,
  fromCheckpointId: string,
): Promise<LabReplaceDisk['writes']> {
  const refuse = (why: string) =>
    new HvbcError(
      'VALIDATION',
      `The staged file ${staged} cannot replace ${p.label}: ${why}. Nothing was changed.`,
      { stagedFile: staged, diskId: p.diskId },
    );
  if (path.dirname(staged) !== path.dirname(p.basePath))
    throw refuse(`it must be in the same folder as ${path.basename(p.basePath)}`);
  const known = new Set(
    Object.values(op.state.disks).flatMap((d) => Object.values(d.files).map((f) => op.abs(f.path))),
  );
  if (known.has(staged)) throw refuse('it is a file of a lab disk');
  if (!(await exists(staged))) throw refuse('it does not exist');
  const img = await openVhdx(staged).catch((e: unknown) => {
    throw refuse(`it does not open as a VHDX (${(e as Error).message})`);
  });
  try {
    const info = img.info;
    if (info.kind === 'differencing') throw refuse('it is a differencing disk, not a full copy');
    if (info.virtualSize !== p.virtualSize)
      throw refuse(
        `its virtual size is ${fmtBytes(info.virtualSize)}, the disk's is ${fmtBytes(p.virtualSize)}`,
      );
    const model = await diskModel(op.dir, p.diskId, fromCheckpointId);
    const v = await verifyAgainstModel(model, (o, n) => img.read(o, n), info.virtualSize);
    if (!v.ok) {
      throw new HvbcError(
        'CONFLICT',
        `The staged file ${staged} does not hold what ${p.label} held at checkpoint ${fromCheckpointId} (${v.mismatches.length} range(s) differ, first at byte ${v.mismatches[0]?.offset ?? 0}); the lab would lose track of the disk's content. Nothing was changed; restore as a new VM instead.`,
        { stagedFile: staged, diskId: p.diskId, mismatches: v.mismatches.slice(0, 10) },
      );
    }
    return model.writes;
  } finally {
    await img.close();
  }
}

/**
 * Put staged files in place of a VM's disks (under the lab lock, VM off). See the module comment for the steps and
 * the crash rules. `source` names what was restored, for events and the change-tracking reason.
 */
export async function replaceDisks(
  op: Op,
  vmRef: string,
  replacements: ReplaceRequest[],
  source: string,
): Promise<ReplaceResult> {
  if (replacements.length === 0)
    throw new HvbcError('VALIDATION', 'Name at least one disk to restore in place.');
  const plan = await planReplace(
    op.dir,
    op.lab,
    vmRef,
    replacements.map((r) => ({
      diskRef: r.diskRef,
      ...(r.fromCheckpointId === undefined ? {} : { fromCheckpointId: r.fromCheckpointId }),
    })),
  );
  const err = planError(plan);
  if (err) throw err;
  const vm = op.vm(plan.vmId);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const disks: LabReplaceDisk[] = [];
  for (const [i, r] of replacements.entries()) {
    const p = plan.disks[i];
    const d = p ? op.disk(p.diskId) : undefined;
    const base = d?.files.base;
    if (!p || !d || !base || r.fromCheckpointId === undefined)
      throw new HvbcError('INTERNAL', `in-place plan lost disk ${r.diskRef}`);
    const staged = path.resolve(r.stagedFile);
    const writes = await checkStaged(op, p, staged, r.fromCheckpointId);
    disks.push({
      diskId: p.diskId,
      staged: path.relative(op.dir, staged).split(path.sep).join('/'),
      base: base.path,
      moves: Object.entries(d.files)
        .sort(([a], [b]) => (a === 'base' ? -1 : b === 'base' ? 1 : 0))
        .map(([file, f]) => ({
          file,
          from: f.path,
          to: `${path.posix.dirname(f.path)}/${REPLACED_DIR}/${stamp}/${path.posix.basename(f.path)}`,
        })),
      fromCheckpointId: r.fromCheckpointId,
      resetId: randomUUID(),
      writes,
    });
  }
  const removed = (op.state.checkpoints[vm.id] ?? []).map((c) => ({
    id: c.id,
    name: c.name,
    type: c.type,
  }));
  const intent: ReplaceIntent = {
    kind: 'replace',
    vmId: vm.id,
    source,
    stamp,
    disks,
    started: new Date().toISOString(),
  };
  op.state.intents.push(intent);
  await writeLabFile(op.dir, op.lab);
  try {
    await swapFiles(op, intent);
  } catch (e) {
    const why = (e as Error).message;
    const undone = await rollBack(op, intent).then(
      () => true,
      () => false,
    );
    if (!undone)
      throw new HvbcError(
        'INTERNAL',
        `The in-place restore of '${vm.def.name}' stopped while moving files (${why}). The lab finishes or undoes it at its next operation ("hvbc lab check"); do not start the VM before that.`,
      );
    op.state.intents = op.state.intents.filter((x) => x !== intent);
    await writeLabFile(op.dir, op.lab);
    throw new HvbcError(
      e instanceof HvbcError ? e.code : 'INTERNAL',
      `The in-place restore of '${vm.def.name}' failed while moving files and was undone: ${why}. The VM's disks are as they were.`,
    );
  }
  // From here on the restore only goes forward: an error leaves the intent for the next operation to finish.
  const rct = await finish(op, intent);
  op.state.intents = op.state.intents.filter((x) => x !== intent);
  outcomes.set(intent, 'completed');
  const dirs = new Set<string>();
  return {
    vmId: vm.id,
    vmName: vm.def.name,
    disks: disks.map((d) => ({
      diskId: d.diskId,
      label: op.disk(d.diskId).label,
      path: op.abs(d.base),
      movedFiles: d.moves.map((m) => {
        dirs.add(path.dirname(op.abs(m.to)));
        return { from: op.abs(m.from), to: op.abs(m.to) };
      }),
    })),
    replacedFilesDirs: [...dirs],
    checkpointsRemoved: removed,
    changeTrackingReset: rct,
  };
}

/** Move the old files to quarantine and the staged file to the base name. Idempotent; never overwrites. */
async function swapFiles(op: Op, intent: ReplaceIntent): Promise<void> {
  for (const [i, d] of intent.disks.entries()) {
    for (const m of d.moves) {
      const from = op.abs(m.from);
      const to = op.abs(m.to);
      if ((await exists(to)) || !(await exists(from))) continue;
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(from, to);
    }
    if (i === 0) await pausePoint('replace:after-quarantine');
    const staged = op.abs(d.staged);
    if (await exists(staged)) {
      const base = op.abs(d.base);
      if (await exists(base))
        throw new HvbcError(
          'CONFLICT',
          `${base} is still in place, so ${path.basename(staged)} cannot take its name.`,
        );
      await fs.rename(staged, base);
    }
  }
}

/** Forward is possible when each disk's staged file is either still there or already took the base file's name. */
async function canFinish(op: Op, intent: ReplaceIntent): Promise<boolean> {
  for (const d of intent.disks) {
    if (await exists(op.abs(d.staged))) continue;
    const baseMove = d.moves.find((m) => m.file === 'base');
    const swapped =
      baseMove !== undefined &&
      (await exists(op.abs(baseMove.to))) &&
      (await exists(op.abs(d.base)));
    if (!swapped) return false;
  }
  return true;
}

/** Undo the renames (restored files are removed, old files go back); only before any reset line was written. */
async function rollBack(op: Op, intent: ReplaceIntent): Promise<void> {
  for (const d of intent.disks) {
    const log = await readWriteLog(op.dir, d.diskId);
    if (log.some((l) => isReset(l) && l.id === d.resetId))
      throw new HvbcError('INTERNAL', `the reset of ${d.diskId} is already logged`);
  }
  for (const d of intent.disks) {
    const staged = op.abs(d.staged);
    const base = op.abs(d.base);
    const baseMove = d.moves.find((m) => m.file === 'base');
    // The restored copy already took the base name (the old base is in quarantine): it goes, the old base comes back.
    if (baseMove && (await exists(op.abs(baseMove.to))) && (await exists(base))) await fs.rm(base);
    for (const m of d.moves) {
      const from = op.abs(m.from);
      const to = op.abs(m.to);
      if ((await exists(to)) && !(await exists(from))) await fs.rename(to, from);
    }
    await fs.rm(staged, { force: true });
    for (const m of d.moves) {
      const stampDir = path.dirname(op.abs(m.to));
      await fs.rmdir(stampDir).catch(() => undefined);
      await fs.rmdir(path.dirname(stampDir)).catch(() => undefined);
    }
  }
}

/**
 * After the files: reset lines in the write logs (once each), change tracking restarted, then the state: each disk is
 * its base file alone, old file ids resolve to the base (files of the running chain) or to nothing (other branches),
 * the VM's checkpoints are gone. Returns whether change tracking was reset.
 */
async function finish(op: Op, intent: ReplaceIntent): Promise<boolean> {
  const vm = findVm(op.def, intent.vmId);
  const now = new Date().toISOString();
  for (const d of intent.disks) {
    const log = await readWriteLog(op.dir, d.diskId);
    if (!log.some((l) => isReset(l) && l.id === d.resetId))
      await appendWriteLog(op.dir, d.diskId, [
        {
          m: 'reset',
          id: d.resetId,
          t: now,
          from: d.fromCheckpointId,
          source: intent.source,
          writes: d.writes,
        },
      ]);
  }
  let rct = false;
  for (const d of intent.disks) {
    const disk = op.disk(d.diskId);
    if (!rctCapable(op.def, op.state, disk)) continue;
    rct = true;
    await rctStart(
      op.dir,
      d.diskId,
      `in-place restore of ${disk.label} from ${intent.source} on ${intent.started}`,
    );
  }
  for (const d of intent.disks) {
    const disk = op.disk(d.diskId);
    // Models of checkpoints taken before the reset replay the log up to their markers: an old file id of the running
    // chain resolves to the base (as it did to a file of that chain), any other old file to nothing (as before).
    const running = new Set(chainOf(disk, disk.active));
    for (const fid of Object.keys(disk.files))
      if (fid !== 'base') disk.merged[fid] = running.has(fid) ? 'base' : null;
    disk.files = { base: { path: d.base, parent: null, checkpointId: null, created: now } };
    disk.active = 'base';
  }
  const checkpoints = op.state.checkpoints[vm.id] ?? [];
  for (const cp of checkpoints) {
    releaseCsvSnapshots(op, vm, cp);
    op.event(
      'checkpointRemoved',
      vm,
      `Checkpoint '${cp.name}' of '${vm.def.name}' was removed by the in-place restore${cp.lingering ? ` (it was lingering: ${cp.lingering.reason})` : ''}: it described the replaced disks, whose files were kept in ${REPLACED_DIR}\\${intent.stamp}. ${op.vmText(vm)}`,
    );
  }
  op.state.checkpoints[vm.id] = [];
  op.state.vmCurrent[vm.id] = null;
  op.touch(vm);
  const moved = intent.disks.reduce((s, d) => s + d.moves.length, 0);
  op.event(
    'restoredInPlace',
    vm,
    `'${vm.def.name}' was restored in place from ${intent.source}: ${intent.disks
      .map((d) => op.win(d.base))
      .join(
        ', ',
      )} now hold the restored content; the ${moved} replaced file(s) were moved to ${[...new Set(intent.disks.map((d) => op.win(`${path.posix.dirname(d.base)}/${REPLACED_DIR}/${intent.stamp}`)))].join(', ')} and ${checkpoints.length} checkpoint(s) were removed. ${op.vmText(vm)}`,
  );
  if (rct)
    for (const d of intent.disks)
      op.event(
        'rctReset',
        vm,
        `Change tracking of ${op.disk(d.diskId).label} was reset by the in-place restore: the next backup of this disk must be full.`,
      );
  return rct;
}

/** How each replayed intent ended, for the reconcile message. */
const outcomes = new WeakMap<ReplaceIntent, 'completed' | 'rolled back'>();

/** Finish (or, when a staged file is gone, undo) a 'replace' intent a stopped process left. Idempotent. */
export async function doReplaceIntent(op: Op, intent: ReplaceIntent): Promise<void> {
  if (!(await canFinish(op, intent))) {
    await rollBack(op, intent);
    outcomes.set(intent, 'rolled back');
    return;
  }
  await swapFiles(op, intent);
  await finish(op, intent);
  outcomes.set(intent, 'completed');
}

/** One line for the reconcile report. */
export function describeReplaceIntent(op: Op, intent: ReplaceIntent): string {
  const i = op.def.vms.findIndex((_, k) => vmIdOf(op.def, k) === intent.vmId);
  const name = op.def.vms[i]?.name ?? intent.vmId;
  const how = outcomes.get(intent) ?? 'completed';
  return `in-place restore of '${name}' from ${intent.source} (started ${intent.started}) ${how === 'completed' ? 'completed' : 'rolled back: a staged file was missing, the VM keeps its old disks'}`;
}
