// Checkpoints in the lab: create (standard / production / recovery, with the per-version rules and faults), remove
// and merge (offline on 2008 R2, online on 2012+), apply, and the crash-safe merge/delete/move intents (the in-place
// restore's 'replace' intent lives in restore-in-place.ts).
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';
import type { Checkpoint } from '../../../../shared/model';
import type { CheckpointResult, Consistency, CreateCheckpointOptions } from '../types';
import { createChild, mergeChild, rctCapable, rebaseLeaf, writeVhdsDescriptor } from './disks';
import { appendWriteLog, rctSeal, rctStart } from './journal';
import { atLeast, fmtBytes, vmDiskIds, type Op, type VmRef } from './op';
import { pausePoint } from './pause';
import { releaseCsvSnapshots } from './csv-snapshots';
import { describeReplaceIntent, doReplaceIntent } from './restore-in-place';
import { writeLabFile } from './store';
import {
  allCheckpoints,
  chainOf,
  vmId,
  type LabCheckpoint,
  type LabDiskState,
  type LabIntent,
} from './state';

/** Space the lab requires per new differencing file when it checks a CSV's free space. */
export const DIFF_RESERVE = 32 * 1024 * 1024;

/** Thrown inside a checkpoint attempt when a CSV is held by another node's host snapshot and we may still wait. */
export class CsvWait extends Error {
  constructor(readonly csvId: string) {
    super(`CSV ${csvId} is busy`);
  }
}

export function publicCheckpoint(cp: LabCheckpoint): Checkpoint {
  return {
    id: cp.id,
    name: cp.name,
    type: cp.type,
    parentId: cp.parentId,
    created: cp.created,
    ...(cp.createdBy === undefined ? {} : { createdBy: cp.createdBy }),
  };
}

function hyperVName(vm: string, d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const h = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  return `${vm} - (${d.getMonth() + 1}/${d.getDate()}/${d.getFullYear()} - ${h}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getHours() < 12 ? 'AM' : 'PM'})`;
}

/** Documented VHD Set failures (hyperv-api.md §12, seed 003). */
const VHD_SET_ERRORS: Record<number, { message: (group: string) => string; reason: string }> = {
  32768: {
    message: (g) => `Failed to create checkpoint on collection '${g}'`,
    reason:
      'We failed to query the cluster service inside the Guest VM. Check that cluster feature is installed and running.',
  },
  32770: {
    message: () => 'Active-active access is not supported for the shared VHDX in VM group',
    reason:
      'The VHD Set disk is used as a Cluster Shared Volume inside the guest cluster. This cannot be checkpointed.',
  },
  32775: {
    message: (g) => `More than one VM claimed to be the owner of shared VHDX in VM group '${g}'`,
    reason:
      'The VHD Set must have exactly one owner; zero owners (the shared drive is offline in the guest cluster) gives this error too.',
  },
};

interface AppProblem {
  text: string;
  details: Record<string, unknown>;
}

/** Why application consistency cannot be reached in this VM, if it cannot. */
function appConsistencyProblem(
  op: Op,
  vm: VmRef,
  type: 'production' | 'recovery',
): AppProblem | undefined {
  const os = op.os(vm);
  const f = op.faults(vm);
  if (
    type === 'production' &&
    (!atLeast(os, '2016') || Number.parseFloat(vm.def.configVersion) < 6.2)
  ) {
    return {
      text: `production checkpoints need Windows Server 2016 or later and VM configuration version 6.2 or later ('${vm.def.name}' is version ${vm.def.configVersion} on a Windows Server ${os} host)`,
      details: { hyperVCode: 32770 },
    };
  }
  if (f.integrationServicesOff) {
    op.event(
      'vssIcDisabled',
      vm,
      `The Volume Shadow Copy integration service is not enabled for '${vm.def.name}': the guest cannot be quiesced. ${op.vmText(vm)}`,
    );
    return {
      text: `the Backup (volume shadow copy) integration service is disabled in '${vm.def.name}'`,
      details: { hyperVCode: 32768, event: 4093 },
    };
  }
  if (f.failedVssWriter) {
    const w = f.failedVssWriter;
    op.event(
      'vssWriterFailed',
      vm,
      `'${vm.def.name}' could not initiate a checkpoint operation: %%2147754996 (0x800423F4). The guest VSS writer '${w}' is in state [11] Failed, last error Non-retryable error. ${op.vmText(vm)}`,
    );
    return {
      text: `the guest VSS writer '${w}' is in a failed, non-retryable state ([11] Failed, 0x800423F4); repair or restart the service that hosts it inside the guest`,
      details: {
        hyperVCode: 32768,
        hresult: '0x800423F4',
        writer: w,
        writerState: '[11] Failed',
        lastError: 'Non-retryable error',
      },
    };
  }
  return undefined;
}

/** The newest differencing file in the VM's chains (what a locked-.avhdx fault locks). */
function newestAvhdx(op: Op, vm: VmRef): string | undefined {
  let best: { path: string; created: string } | undefined;
  for (const did of vmDiskIds(vm)) {
    const d = op.disk(did);
    for (const fid of chainOf(d, d.active)) {
      const f = d.files[fid];
      if (!f || f.parent === null) continue;
      if (!best || f.created >= best.created) best = { path: f.path, created: f.created };
    }
  }
  return best?.path;
}

export async function createCheckpoint(
  op: Op,
  ref: string,
  opts: CreateCheckpointOptions,
  mayWait: boolean,
  waitedMs: number,
): Promise<CheckpointResult> {
  const vm = op.vm(ref);
  const os = op.os(vm);
  const faults = op.faults(vm);
  const running = op.running(vm);
  const dids = vmDiskIds(vm);
  const name = opts.name ?? hyperVName(vm.def.name, new Date());
  const failed = (message: string, details: Record<string, unknown>) => {
    op.event(
      'checkpointFailed',
      vm,
      `Checkpoint operation for '${vm.def.name}' failed. ${op.vmText(vm)} ${message}`,
    );
    return new HvbcError(
      'CHECKPOINT_FAILED',
      `Checkpoint operation for '${vm.def.name}' failed: ${message}`,
      { vmId: vm.id, vm: vm.def.name, type: opts.type, ...details },
    );
  };

  if (!['standard', 'production', 'recovery'].includes(opts.type)) {
    throw new HvbcError(
      'VALIDATION',
      `Unknown checkpoint type "${String(opts.type)}": use standard, production or recovery.`,
    );
  }
  if (opts.type !== 'recovery' && vm.def.checkpointType === 'Disabled') {
    throw failed(`Checkpoints have been disabled for '${vm.def.name}'.`, { hyperVCode: 32768 });
  }
  if (dids.length === 0)
    throw failed(`'${vm.def.name}' has no virtual disk that can be checkpointed.`, {});

  // Seed 003, issue 1: the .avhdx of an earlier backup is still locked, so the next backup fails.
  if (faults.avhdxLocked) {
    const locked = newestAvhdx(op, vm);
    if (locked) {
      const win = op.win(locked);
      op.event(
        'fileLocked',
        vm,
        `'${vm.def.name}' could not initiate a checkpoint operation: the process cannot access the file '${win}' because it is being used by another process. ${op.vmText(vm)}`,
      );
      throw new HvbcError(
        'FILE_LOCKED',
        `Checkpoint operation for '${vm.def.name}' failed: '${win}' is locked (in use by another process), so no new checkpoint can be taken. Turn the VM off and on again to release it (seed 003).`,
        { vmId: vm.id, file: win, labPath: op.abs(locked), hyperVCode: 32768 },
      );
    }
  }

  // Guest cluster on a VHD Set: the documented collection errors.
  const group = vm.def.group ? op.def.groups.find((g) => g.name === vm.def.group) : undefined;
  if (faults.vhdSetError !== undefined && vm.def.disks.some((d) => d.shared)) {
    const e = VHD_SET_ERRORS[faults.vhdSetError];
    const collection = group?.name ?? 'Hyper-V Collection';
    if (e) {
      op.event(
        'vhdSetError',
        vm,
        `${e.message(collection)}. Error code: '${faults.vhdSetError}'. Reason: ${e.reason} ${op.vmText(vm)}`,
      );
      throw failed(
        `Error code: '${faults.vhdSetError}'. ${e.message(collection)}. Reason: ${e.reason}`,
        { hyperVCode: faults.vhdSetError, reason: e.reason, collection },
      );
    }
  }

  // 2012 R2 hot backup needs a SCSI controller for the AutoRecovery .avhdx (event 10103).
  const scsi = faults.noScsiController ? 0 : vm.def.scsiControllers;
  if (opts.type === 'recovery' && os === '2012R2' && running && scsi === 0) {
    const text = `The virtual machine '${vm.def.name}' cannot be hot backed up since it has no SCSI controllers attached. Please add one or more SCSI controllers to the virtual machine before performing a backup. ${op.vmText(vm)}`;
    op.event('noScsi', vm, text);
    throw failed(text, { hyperVCode: 32768, event: 10103 });
  }

  // Consistency: what the guest can give.
  let type = opts.type;
  let reached: Consistency;
  let fallbackReason: string | undefined;
  if (!running) reached = opts.consistency;
  else if (type === 'standard') reached = 'crash';
  else {
    const wanted: Consistency = type === 'production' ? 'application' : opts.consistency;
    const problem = wanted === 'crash' ? undefined : appConsistencyProblem(op, vm, type);
    if (!problem) reached = wanted;
    else {
      const strict =
        opts.requireConsistency === true ||
        (type === 'production' && vm.def.checkpointType === 'ProductionOnly');
      if (strict) {
        const why =
          type === 'production' && vm.def.checkpointType === 'ProductionOnly'
            ? ' The VM allows production checkpoints only (ProductionOnly), so it does not fall back.'
            : ' Application consistency was required.';
        const code = String(problem.details.hyperVCode ?? 32768);
        throw failed(
          `'${vm.def.name}' could not initiate a checkpoint operation: ${problem.text}. Error code: '${code}'.${why}`,
          problem.details,
        );
      }
      reached = 'crash';
      if (type === 'production') {
        type = 'standard';
        fallbackReason = `A production checkpoint was not possible (${problem.text}); a standard checkpoint was taken instead.`;
      } else {
        fallbackReason = `Application consistency was not possible (${problem.text}); the recovery checkpoint is crash-consistent.`;
      }
      op.event('productionFallback', vm, `${fallbackReason} ${op.vmText(vm)}`);
    }
  }

  // Space: every new differencing file needs room on its CSV.
  const needed: Record<string, number> = {};
  for (const did of dids) {
    const c = op.disk(did).csv;
    if (c !== null) needed[c] = (needed[c] ?? 0) + DIFF_RESERVE;
  }
  if (Object.keys(needed).length > 0) {
    const free = await op.csvFree();
    for (const [c, need] of Object.entries(needed)) {
      const have = free[c] ?? 0;
      if (need > have) {
        const csv = op.def.csvs.find((x) => x.id === c);
        const msg = `Not enough space on ${op.csvName(c)} (C:\\ClusterStorage\\${csv?.volume ?? c}) for the checkpoint of '${vm.def.name}': it needs ${fmtBytes(need)} for its differencing disks and ${fmtBytes(have)} is free. Free up space or move disks to another CSV, then try again.`;
        op.event('outOfSpace', vm, msg);
        throw new HvbcError('OUT_OF_SPACE', msg, {
          vmId: vm.id,
          csvId: c,
          neededBytes: need,
          freeBytes: have,
        });
      }
    }
  }

  const cpId = randomUUID();
  // 2008 R2 – 2012 R2: a backup takes a host-level VSS snapshot of each CSV holding the VM's disks (seed 000). The node
  // must own the CSV; while the snapshot exists the CSV is in redirected access and its ownership cannot move.
  let csvSnapshots: string[] | undefined;
  if (opts.type === 'recovery' && !atLeast(os, '2016')) {
    const host = op.host(vm);
    const csvs = [
      ...new Set(dids.map((d) => op.disk(d).csv).filter((c): c is string => c !== null)),
    ];
    for (const c of csvs) {
      const snap = op.state.csvSnapshots[c];
      if (snap && snap.node !== host) {
        if (mayWait) throw new CsvWait(c);
        const holders = snap.holders.map((h) => vmName(op, h.vmId));
        const msg = `${op.csvName(c)} is in redirected access: ${snap.node} holds a host-level VSS snapshot of it for the backup of ${holders.join(', ')}. ${host} must own the CSV to snapshot it, and ownership cannot move until that backup ends${waitedMs > 0 ? ` (waited ${waitedMs} ms)` : ''}. Run the backups one after the other, or keep each node's VMs on a CSV that node owns (seed 000).`;
        op.event('csvBusy', vm, msg);
        throw new HvbcError('CSV_BUSY', msg, {
          csvId: c,
          holderNode: snap.node,
          requestingNode: host,
          waitedMs,
        });
      }
    }
    for (const c of csvs) {
      const owner = op.state.csvOwners[c];
      if (owner !== host) {
        op.state.csvOwners[c] = host;
        op.event(
          'csvMoved',
          vm,
          `Cluster Shared Volume '${op.csvName(c)}' moved from ${owner} to ${host}: the node taking the host-level snapshot for the backup of '${vm.def.name}' must own it.`,
        );
      }
      const snap = op.state.csvSnapshots[c];
      if (snap) snap.holders.push({ vmId: vm.id, checkpointId: cpId });
      else {
        op.state.csvSnapshots[c] = {
          node: host,
          holders: [{ vmId: vm.id, checkpointId: cpId }],
          since: new Date().toISOString(),
        };
        op.event(
          'csvRedirected',
          vm,
          `Cluster Shared Volume '${op.csvName(c)}' is now in redirected access: ${host} took a host-level VSS snapshot for the backup of '${vm.def.name}'. Other nodes send their I/O over the network to ${host}.`,
        );
      }
    }
    csvSnapshots = csvs;
  }

  // Files: a new .avhdx under each disk's active file; the VM writes only to the new files from now on.
  const created: string[] = [];
  const frozen: Record<string, string> = {};
  const newFiles: Record<string, string> = {};
  const now = new Date().toISOString();
  try {
    for (const did of dids) {
      const d = await op.ensureDisk(did);
      const parent = d.files[d.active];
      const base = d.files.base;
      if (!parent || !base) throw new HvbcError('INTERNAL', `disk ${did} has no active file`);
      const stem = path.posix.basename(base.path).replace(/\.vhdx$/i, '');
      const rel = `${path.posix.dirname(base.path)}/${stem}_${cpId.toUpperCase()}.avhdx`;
      await createChild(op.abs(rel), op.abs(parent.path));
      created.push(op.abs(rel));
      newFiles[did] = rel;
    }
  } catch (e) {
    await Promise.all(created.map((f) => fs.rm(f, { force: true })));
    throw e;
  }
  let rctIds: Record<string, string> | undefined;
  if (opts.type === 'recovery') {
    for (const did of dids) {
      if (!rctCapable(op.def, op.state, op.disk(did))) continue;
      rctIds ??= {};
      rctIds[did] = await rctSeal(op.dir, did, cpId);
    }
  }
  for (const did of dids)
    await appendWriteLog(op.dir, did, [{ m: 'checkpoint', id: cpId, t: now }]);
  await pausePoint('checkpoint:after-files');
  for (const did of dids) {
    const d = op.disk(did);
    const fid = randomUUID();
    d.files[fid] = {
      path: newFiles[did] ?? '',
      parent: d.active,
      checkpointId: cpId,
      created: now,
    };
    frozen[did] = d.active;
    d.active = fid;
    if (d.vhdsPath) await writeVhdsDescriptor(op.dir, d);
  }
  const cp: LabCheckpoint = {
    id: cpId,
    name,
    type,
    parentId: op.state.vmCurrent[vm.id] ?? null,
    created: now,
    ...(opts.createdBy === undefined ? {} : { createdBy: opts.createdBy }),
    vmId: vm.id,
    frozen,
    consistency: reached,
    ...(rctIds ? { rctIds } : {}),
    ...(csvSnapshots ? { csvSnapshots } : {}),
  };
  (op.state.checkpoints[vm.id] ??= []).push(cp);
  op.state.vmCurrent[vm.id] = cpId;
  op.touch(vm);
  op.event(
    'checkpointCreated',
    vm,
    `Checkpoint '${name}' (${type}, ${reached}-consistent) of '${vm.def.name}' was created; the VM now writes to ${Object.values(
      newFiles,
    )
      .map((p) => path.posix.basename(p))
      .join(', ')}. ${op.vmText(vm)}`,
  );
  return {
    checkpoint: publicCheckpoint(cp),
    consistencyReached: reached,
    ...(fallbackReason ? { fallbackReason } : {}),
  };
}

function vmName(op: Op, id: string): string {
  return op.def.vms.find((_, i) => vmId(op.def, i) === id)?.name ?? id;
}

/** Remove a checkpoint and merge what no longer needs to be separate. Returns false when the checkpoint lingers (fault). */
export async function removeCheckpoint(
  op: Op,
  vm: VmRef,
  cp: LabCheckpoint,
  verb = 'removed',
): Promise<boolean> {
  const faults = op.faults(vm);
  releaseCsvSnapshots(op, vm, cp);
  if (cp.type === 'recovery' && (faults.recoveryCheckpointNeverMerges || faults.avhdxLocked)) {
    const reason = faults.avhdxLocked ? 'locked' : 'never-merges';
    cp.lingering ??= { reason, since: new Date().toISOString() };
    const files = Object.entries(cp.frozen)
      .map(([did, fid]) => {
        const d = op.disk(did);
        const child = Object.values(d.files).find(
          (f) => f.parent === fid && f.checkpointId === cp.id,
        );
        return child ? op.win(child.path) : undefined;
      })
      .filter((x): x is string => x !== undefined);
    op.event(
      'mergeFailed',
      vm,
      `The background disk merge failed to complete for '${vm.def.name}': ${files.join(', ')} ${reason === 'locked' ? 'is in use by another process' : 'could not be merged'}. The recovery checkpoint '${cp.name}' stays listed and its .avhdx files stay on disk (seed 003). ${op.vmText(vm)}`,
    );
    op.touch(vm);
    return false;
  }
  const list = op.state.checkpoints[vm.id] ?? [];
  op.state.checkpoints[vm.id] = list.filter((c) => c.id !== cp.id);
  for (const c of list) if (c.parentId === cp.id) c.parentId = cp.parentId;
  if (op.state.vmCurrent[vm.id] === cp.id) op.state.vmCurrent[vm.id] = cp.parentId;
  op.touch(vm);
  op.event(
    'checkpointRemoved',
    vm,
    `Checkpoint '${cp.name}' of '${vm.def.name}' was ${verb}. ${op.vmText(vm)}`,
  );
  for (const did of Object.keys(cp.frozen)) await consolidate(op, did);
  return true;
}

function children(d: LabDiskState, fid: string): string[] {
  return Object.entries(d.files)
    .filter(([, f]) => f.parent === fid)
    .map(([id]) => id);
}

/** Can files of this disk be merged now? 2008 R2 merges only while every VM using the disk is off (seed 000). */
function canMergeNow(op: Op, d: LabDiskState): { ok: boolean; blockers: string[] } {
  const blockers: string[] = [];
  for (const id of d.vms) {
    const vm = op.vm(id);
    if (op.os(vm) === '2008R2' && op.state.vmStates[id] !== 'Off') blockers.push(vm.def.name);
  }
  return { ok: blockers.length === 0, blockers };
}

/**
 * Merge or discard the files of a disk that no checkpoint needs any more:
 * - a file with no children that is neither active nor frozen by a checkpoint is discarded (its data is unreachable);
 * - a file no checkpoint needs with exactly one child takes that child's content (the child is merged into it, the
 *   way Hyper-V merges a deleted checkpoint's .avhdx) and the child's own children are re-based onto it. A child
 *   whose children have children of their own cannot be re-based (the engine cannot re-point a parent locator
 *   without changing the file), so that merge waits until newer checkpoints are removed: reported as pending.
 */
export async function consolidate(op: Op, did: string): Promise<void> {
  const d = op.disk(did);
  const gate = canMergeNow(op, d);
  const pending: string[] = [];
  for (let progress = true; progress;) {
    progress = false;
    pending.length = 0;
    const needed = new Set(
      allCheckpoints(op.state)
        .map((c) => c.frozen[did])
        .filter((x): x is string => x !== undefined),
    );
    for (const [fid, f] of Object.entries(d.files)) {
      if (fid === d.active || needed.has(fid)) continue;
      const kids = children(d, fid);
      if (kids.length === 0 && fid !== 'base') {
        if (!gate.ok) {
          pending.push(f.path);
          continue;
        }
        await runIntent(op, {
          kind: 'delete',
          diskId: did,
          file: fid,
          started: new Date().toISOString(),
        });
        progress = true;
        break;
      }
      if (kids.length !== 1) continue;
      const k = kids[0] ?? '';
      const grand = children(d, k);
      if (!gate.ok || grand.some((g) => children(d, g).length > 0)) {
        pending.push(d.files[k]?.path ?? k);
        continue;
      }
      await runIntent(op, {
        kind: 'merge',
        diskId: did,
        child: k,
        parent: fid,
        rebase: grand,
        started: new Date().toISOString(),
      });
      progress = true;
      break;
    }
  }
  if (pending.length > 0) {
    const why = gate.ok
      ? 'it waits until the newer checkpoints that sit on it are removed (the lab cannot re-point a differencing disk that has children of its own)'
      : `Windows Server 2008 R2 merges checkpoint files only while the VM is turned off (${gate.blockers.join(', ')} running); the files stay until then (seed 000)`;
    op.event(
      'mergePending',
      null,
      `Merge pending for ${d.label}: ${pending.map((p) => op.win(p)).join(', ')} stay on disk: ${why}.`,
    );
  }
  if (d.vhdsPath) await writeVhdsDescriptor(op.dir, d);
}

/**
 * Finish merges a stopped process did not get to (its checkpoint removal was saved, the merge was not): any disk with
 * a file no checkpoint needs is consolidated, unless its VM's version merges only while off (2008 R2).
 */
export async function consolidateLeftovers(op: Op): Promise<void> {
  const needed = new Set(
    allCheckpoints(op.state).flatMap((c) =>
      Object.entries(c.frozen).map(([did, f]) => `${did}/${f}`),
    ),
  );
  for (const [did, d] of Object.entries(op.state.disks)) {
    if (!d.materialized || !canMergeNow(op, d).ok) continue;
    if (Object.keys(d.files).some((fid) => fid !== d.active && !needed.has(`${did}/${fid}`))) {
      const before = Object.keys(d.files).length;
      await consolidate(op, did);
      if (Object.keys(d.files).length !== before) op.dirty = true;
    }
  }
}

/** Record the intent durably, do the file work, then apply the state change (so a crash can finish it). */
async function runIntent(op: Op, intent: LabIntent): Promise<void> {
  op.state.intents.push(intent);
  await writeLabFile(op.dir, op.lab);
  await doIntent(op, intent);
  await pausePoint('intent:after-files');
  op.state.intents = op.state.intents.filter((i) => i !== intent);
  op.dirty = true;
}

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/** Do (or finish, after a crash) the file work of an intent, then its state change. Idempotent. */
export async function doIntent(op: Op, intent: LabIntent): Promise<void> {
  if (intent.kind === 'replace') {
    await doReplaceIntent(op, intent);
    return;
  }
  const d = op.state.disks[intent.diskId];
  if (!d) return;
  if (intent.kind === 'delete') {
    const f = d.files[intent.file];
    if (f) await fs.rm(op.abs(f.path), { force: true });
    delete d.files[intent.file];
    d.merged[intent.file] = null;
    op.event(
      'mergeCompleted',
      null,
      `Discarded ${f ? op.win(f.path) : intent.file} of ${d.label}: no checkpoint and no running VM uses it any more.`,
    );
    return;
  }
  if (intent.kind === 'merge') {
    const child = d.files[intent.child];
    const parent = d.files[intent.parent];
    if (!parent) return;
    if (child && (await exists(op.abs(child.path)))) await mergeChild(op.abs(child.path));
    for (const g of intent.rebase) {
      const gf = d.files[g];
      if (gf) await rebaseLeaf(op.abs(gf.path), op.abs(parent.path));
    }
    if (child) {
      if (d.active === intent.child) d.active = intent.parent;
      for (const c of allCheckpoints(op.state))
        if (c.frozen[intent.diskId] === intent.child) c.frozen[intent.diskId] = intent.parent;
      for (const g of intent.rebase) {
        const gf = d.files[g];
        if (gf) gf.parent = intent.parent;
      }
      delete d.files[intent.child];
      d.merged[intent.child] = intent.parent;
      op.event(
        'mergeCompleted',
        null,
        `Merged ${op.win(child.path)} into ${op.win(parent.path)} (${d.label})${intent.rebase.length ? `; ${intent.rebase.length} newer file(s) now sit on ${path.posix.basename(parent.path)}` : ''}.`,
      );
    }
    return;
  }
  // Storage migration: rename every file that is still at its old place, then update the paths.
  for (const m of intent.moves) {
    const f = d.files[m.file];
    if (!f) continue;
    const from = op.abs(f.path);
    const to = op.abs(m.to);
    await fs.mkdir(path.dirname(to), { recursive: true });
    if (await exists(from)) await fs.rename(from, to);
    f.path = m.to;
  }
  if (intent.vhdsTo && d.vhdsPath) {
    await fs.rm(op.abs(d.vhdsPath), { force: true });
    d.vhdsPath = intent.vhdsTo;
    await writeVhdsDescriptor(op.dir, d);
  }
  d.csv = intent.csv;
}

/** Finish intents a crashed process left behind (under the lock, before any other change). */
export async function completeIntents(op: Op): Promise<string[]> {
  const done: string[] = [];
  for (const intent of [...op.state.intents]) {
    await doIntent(op, intent);
    op.state.intents = op.state.intents.filter((i) => i !== intent);
    done.push(
      intent.kind === 'replace'
        ? describeReplaceIntent(op, intent)
        : `${intent.kind} on ${op.state.disks[intent.diskId]?.label ?? intent.diskId} (started ${intent.started})`,
    );
  }
  if (done.length > 0) {
    op.event(
      'labReconciled',
      null,
      `Finished ${done.length} operation(s) a stopped process left half done: ${done.join('; ')}.`,
    );
    op.dirty = true;
    await writeLabFile(op.dir, op.lab);
  }
  return done;
}

/** Apply a checkpoint: each disk starts a new .avhdx on the checkpoint's frozen file; the current state is discarded. */
export async function applyCheckpoint(op: Op, vm: VmRef, cp: LabCheckpoint): Promise<void> {
  if (cp.type === 'recovery') {
    throw new HvbcError(
      'VALIDATION',
      `'${cp.name}' is a recovery (backup) checkpoint; those belong to backup software and cannot be applied. Restore from a backup instead.`,
    );
  }
  if (vm.def.disks.some((d) => d.shared)) {
    throw new HvbcError(
      'UNSUPPORTED',
      `'${vm.def.name}' shares a VHD Set with other guest-cluster nodes; applying a checkpoint of one node alone would revert the shared disk under the others.`,
    );
  }
  const now = new Date().toISOString();
  for (const [did, frozenFid] of Object.entries(cp.frozen)) {
    const d = op.disk(did);
    const parent = d.files[frozenFid];
    const base = d.files.base;
    if (!parent || !base)
      throw new HvbcError('INTERNAL', `checkpoint ${cp.id} refers to a missing file of ${d.label}`);
    const fid = randomUUID();
    const stem = path.posix.basename(base.path).replace(/\.vhdx$/i, '');
    const rel = `${path.posix.dirname(base.path)}/${stem}_${fid.toUpperCase()}.avhdx`;
    await createChild(op.abs(rel), op.abs(parent.path));
    d.files[fid] = { path: rel, parent: frozenFid, checkpointId: cp.id, created: now };
    d.active = fid;
    if (rctCapable(op.def, op.state, d)) {
      await rctStart(
        op.dir,
        did,
        `checkpoint '${cp.name}' was applied on ${now}: the disk went back to an earlier state`,
      );
    }
  }
  op.state.vmCurrent[vm.id] = cp.id;
  if (cp.type === 'production') op.state.vmStates[vm.id] = 'Off';
  op.touch(vm);
  op.event(
    'checkpointApplied',
    vm,
    `Checkpoint '${cp.name}' was applied to '${vm.def.name}'; changes since then were discarded${cp.type === 'production' ? ' and the VM is off (production checkpoints hold no memory state)' : ''}. ${op.vmText(vm)}`,
  );
  for (const did of Object.keys(cp.frozen)) await consolidate(op, did);
}
