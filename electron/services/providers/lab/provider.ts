// The lab provider: an embedded cluster whose control plane is simulated and whose data is real VHDX files.
//
// Concurrency: every changing operation takes the lab lock (lab.lock: pid, host, time, operation) for its own
// duration, re-reads lab.json, changes files, writes lab.json atomically and appends its events, then releases the
// lock. Operations of one provider run one at a time. A second process waits up to `lockWaitMs` for the lock and then
// gets LAB_LOCKED naming the holder; a lock left by a dead process (same host) is taken over. Reads (inventory,
// events, reference points, changed ranges, frozen disks) take no lock: lab.json is only ever replaced atomically.
import { randomUUID } from 'node:crypto';
import { promises as fs, unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';
import type { HyperVEvent, Inventory, VssWriter } from '../../../../shared/model';
import type {
  ChangedRanges,
  CheckpointResult,
  CreateCheckpointOptions,
  EstateProvider,
  EventFilter,
  FrozenDisk,
  ReferencePoint,
} from '../types';
import {
  applyCheckpoint,
  completeIntents,
  consolidate,
  consolidateLeftovers,
  createCheckpoint,
  CsvWait,
  doIntent,
  removeCheckpoint,
} from './checkpoints';
import { hash32, mix32, planWrites, unionRanges } from './content';
import { GUEST_WRITERS, LAB_FAULTS, withVmFault } from './faults';
import { abs, allocatedSize, rctCapable, writeToFile, writeVmConfig } from './disks';
import { appendEvents, EVENTS_FILE, readEvents } from './events';
import { buildInventory, effectiveFaults } from './inventory';
import { appendWriteLog, rctQuery, rctRecord, rctStart, type LoggedWrite } from './journal';
import {
  atLeast,
  findCsv,
  findDisk,
  findNode,
  findVm,
  fmtBytes,
  hostOs,
  Op,
  vmDiskIds,
  type VmRef,
} from './op';
import { acquireLock } from './lock';
import { EAGER_DISK_LIMIT, readLabFile, writeLabFile, type LabFile } from './store';
import { diskFolder, vmConfigPath } from './state';
import { diskModel, verifyAgainstModel } from './model';
import {
  planReplace,
  REPLACED_DIR,
  replaceDisks,
  type InPlaceDiskRequest,
  type InPlacePlan,
  type ReplaceRequest,
  type ReplaceResult,
} from './restore-in-place';
import { openChain } from '../../vhdx';

export { LAB_FAULTS } from './faults';

export interface LabProviderOptions {
  /** How long a changing operation waits for another process's lock before LAB_LOCKED (default 5000 ms). */
  lockWaitMs?: number;
  /** How long a host-level snapshot waits for a CSV held by another node's snapshot before CSV_BUSY (default 2000 ms). */
  csvWaitMs?: number;
}

export interface LabCheckpointOptions extends CreateCheckpointOptions {
  /** Overrides the provider's csvWaitMs for this call. */
  csvWaitMs?: number;
}

export interface IoOptions {
  bytes: number;
  pattern?: 'scattered' | 'hotspot';
  /** Same seed, same lab state → same writes. Defaults to a seed derived from the VM and its burst count. */
  seed?: number;
  /** Only this disk (id or file name); default: all the VM's virtual disks, weighted by size. */
  disk?: string;
  taskId?: string;
}

export interface IoResult {
  vmId: string;
  seed: number;
  bytes: number;
  writes: number;
  perDisk: Record<string, { file: string; writes: number; bytes: number }>;
}

export interface IoRun {
  /** Resolves when the run ends (duration reached or stop()). */
  done: Promise<{ bursts: number; bytes: number; writes: number }>;
  stop(): Promise<{ bursts: number; bytes: number; writes: number }>;
}

export interface ReconcileReport {
  /** Disk files in the lab's storage folders that no disk of the state knows (left for the doctor). */
  orphans: string[];
  /** Files the state lists that are not on disk. */
  missing: string[];
  /** Half-done operations of a stopped process that were finished. */
  completed: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LabProvider implements EstateProvider {
  readonly kind = 'lab' as const;
  readonly readOnly = false;
  private listeners = new Set<(c: { reason: string; event?: HyperVEvent }) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private runs = new Set<{ stop(): Promise<unknown> }>();
  private emitted = new Set<number>();
  private scannedSeq = 0;
  private watching = false;
  private readonly lockWaitMs: number;
  private readonly csvWaitMs: number;
  /** What the reconcile at open found. */
  lastReconcile: ReconcileReport = { orphans: [], missing: [], completed: [] };

  private constructor(
    readonly dir: string,
    opts: LabProviderOptions,
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? 5000;
    this.csvWaitMs = opts.csvWaitMs ?? 2000;
  }

  /**
   * Open a lab folder (validates lab.json). Then, if the lock is free within a second, finishes operations a stopped
   * process left half done and reports orphan and missing files (see reconcile()).
   */
  static async open(dir: string, opts: LabProviderOptions = {}): Promise<LabProvider> {
    const p = new LabProvider(path.resolve(dir), opts);
    await readLabFile(p.dir);
    try {
      await p.reconcile(Math.min(1000, p.lockWaitMs));
    } catch (e) {
      if (!(e instanceof HvbcError && e.code === 'LAB_LOCKED')) throw e;
    }
    return p;
  }

  // ------------------------------------------------------------------ plumbing

  private async mutate<T>(
    operation: string,
    taskId: string | undefined,
    fn: (op: Op) => Promise<T>,
    lockWaitMs = this.lockWaitMs,
  ): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new HvbcError('CONFLICT', 'The lab provider is closed.');
      const release = await acquireLock(this.dir, operation, lockWaitMs);
      let op: Op | undefined;
      try {
        op = new Op(this.dir, await readLabFile(this.dir), operation, taskId);
        await completeIntents(op);
        const result = await fn(op);
        await this.commit(op, true);
        return result;
      } catch (e) {
        if (op && !(e instanceof CsvWait)) await this.commit(op, false).catch(() => undefined);
        throw e;
      } finally {
        await release();
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Write state (on success) and events (always), then tell listeners. */
  private async commit(op: Op, success: boolean): Promise<void> {
    if (success && op.dirty) {
      await writeLabFile(this.dir, op.lab);
      for (const i of op.touched) await writeVmConfig(this.dir, op.def, op.state, i);
    }
    const written = await appendEvents(this.dir, op.events.splice(0));
    for (const ev of written) this.emit({ reason: ev.operation, event: ev });
    if (success && op.dirty && written.length === 0) this.emit({ reason: op.operation });
  }

  private emit(change: { reason: string; event?: HyperVEvent }): void {
    if (change.event) {
      if (this.emitted.has(change.event.seq)) return;
      this.emitted.add(change.event.seq);
      if (this.emitted.size > 10_000) this.emitted = new Set([...this.emitted].slice(-5000));
    }
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        /* a listener's error is its own */
      }
    }
  }

  private async read(): Promise<LabFile> {
    return readLabFile(this.dir);
  }

  /**
   * Finish half-done operations (intents) and compare the files on disk with the state: disk files nobody knows are
   * orphans (left for the doctor), listed files that are gone are missing. Logged as an event when it changes.
   */
  async reconcile(lockWaitMs = this.lockWaitMs): Promise<ReconcileReport> {
    return this.mutate(
      'reconcile',
      undefined,
      async (op) => {
        const completed = op.events.filter((e) => e.kind === 'labReconciled').map((e) => e.message);
        await consolidateLeftovers(op);
        // A lab whose creation was interrupted (or written by an older version) gets its missing disks now, unless it
        // is a large lab that creates them on first use.
        const lazy = Object.keys(op.state.disks).length > EAGER_DISK_LIMIT;
        if (!lazy) {
          for (const id of Object.keys(op.state.disks))
            if (!op.disk(id).materialized) await op.ensureDisk(id);
        }
        const known = new Set<string>();
        const missing: string[] = [];
        for (const d of Object.values(op.state.disks)) {
          if (d.vhdsPath) known.add(d.vhdsPath);
          for (const f of Object.values(d.files)) {
            known.add(f.path);
            if (d.materialized && !(await fs.stat(op.abs(f.path)).catch(() => null)))
              missing.push(f.path);
          }
        }
        const orphans: string[] = [];
        const walk = async (rel: string): Promise<void> => {
          const entries = await fs.readdir(op.abs(rel), { withFileTypes: true }).catch(() => []);
          for (const e of entries) {
            const r = `${rel}/${e.name}`;
            // Files an in-place restore replaced are kept on purpose: not orphans.
            if (e.isDirectory()) {
              if (e.name !== REPLACED_DIR) await walk(r);
            } else if (
              /\.(a?vhdx|vhds)$|\.rebase\.tmp$|\.hvbc-merge\.json$/i.test(e.name) &&
              !known.has(r)
            )
              orphans.push(r);
          }
        };
        await walk('ClusterStorage');
        await walk('Local');
        orphans.sort();
        missing.sort();
        const before = op.state.lastReconcile;
        if (
          JSON.stringify(before ?? { orphans: [], missing: [] }) !==
          JSON.stringify({ orphans, missing })
        ) {
          op.state.lastReconcile = { orphans, missing };
          op.dirty = true;
          if (orphans.length + missing.length > 0) {
            op.event(
              'labReconciled',
              null,
              `Lab check: ${orphans.length} file(s) on disk that no VM uses (left for the doctor)${
                orphans.length
                  ? `: ${orphans
                      .slice(0, 5)
                      .map((o) => op.win(o))
                      .join(', ')}`
                  : ''
              }; ${missing.length} listed file(s) missing${
                missing.length
                  ? `: ${missing
                      .slice(0, 5)
                      .map((m) => op.win(m))
                      .join(', ')}`
                  : ''
              }.`,
            );
          }
        }
        this.lastReconcile = { orphans, missing, completed };
        return this.lastReconcile;
      },
      lockWaitMs,
    );
  }

  // ------------------------------------------------------------------ reads

  async inventory(): Promise<Inventory> {
    const lab = await this.read();
    const fileSizes: Record<string, number> = {};
    await Promise.all(
      Object.values(lab.state.disks).flatMap((d) =>
        Object.values(d.files).map(
          async (f) => void (fileSizes[f.path] = await allocatedSize(abs(this.dir, f.path))),
        ),
      ),
    );
    return buildInventory({
      def: lab.definition,
      state: lab.state,
      location: this.dir,
      fileSizes,
      now: new Date().toISOString(),
    });
  }

  async events(filter?: EventFilter): Promise<HyperVEvent[]> {
    return readEvents(this.dir, filter);
  }

  /** Listeners get this provider's changes and, while subscribed, events other processes append to events.jsonl. */
  subscribe(listener: (c: { reason: string; event?: HyperVEvent }) => void): () => void {
    this.listeners.add(listener);
    if (!this.watching) {
      this.watching = true;
      void readEvents(this.dir).then((evs) => {
        this.scannedSeq = Math.max(this.scannedSeq, evs[evs.length - 1]?.seq ?? 0);
      });
      watchFile(path.join(this.dir, EVENTS_FILE), { interval: 500, persistent: false }, () => {
        void readEvents(this.dir, { sinceSeq: this.scannedSeq }).then((evs) => {
          for (const ev of evs) {
            this.scannedSeq = Math.max(this.scannedSeq, ev.seq);
            this.emit({ reason: ev.operation, event: ev });
          }
        });
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.watching) {
        unwatchFile(path.join(this.dir, EVENTS_FILE));
        this.watching = false;
      }
    };
  }

  /** Restore drills: compare a restored disk with the lab's model of the disk when the backup's checkpoint was taken. */
  async verifyRestoredDisk(
    vmRef: string,
    diskId: string,
    at: { checkpointId?: string; referencePointId?: string },
    restoredPath: string,
  ): Promise<{ match: boolean; detail: string; evidence: Record<string, unknown> }> {
    findVm((await this.read()).definition, vmRef);
    const model = await diskModel(this.dir, diskId, at.checkpointId);
    const chain = await openChain(restoredPath);
    try {
      const r = await verifyAgainstModel(model, (o, n) => chain.read(o, n), chain.virtualSize);
      const detail = r.ok
        ? `Byte for byte equal to the lab's model of the disk at checkpoint ${at.checkpointId ?? '(now)'} (${model.writes.length} writes replayed).`
        : `${r.mismatches.length} range(s) differ from the lab's model, first at byte ${r.mismatches[0]?.offset ?? 0}.`;
      return {
        match: r.ok,
        detail,
        evidence: {
          bytesCompared: r.bytesCompared,
          writesInModel: model.writes.length,
          mismatches: r.mismatches.slice(0, 10),
          checkpointId: at.checkpointId ?? null,
        },
      };
    } finally {
      await chain.close();
    }
  }

  async frozenDisks(vmRef: string, checkpointId: string): Promise<FrozenDisk[]> {
    const lab = await this.read();
    const vm = findVm(lab.definition, vmRef);
    const cp = (lab.state.checkpoints[vm.id] ?? []).find((c) => c.id === checkpointId);
    if (!cp)
      throw new HvbcError('NOT_FOUND', `VM ${vm.def.name} has no checkpoint ${checkpointId}.`, {
        vmId: vm.id,
        checkpointId,
      });
    const slow = effectiveFaults(lab.definition, lab.state, vm.index).slowStorageMBps;
    return Object.entries(cp.frozen).map(([did, fid]) => {
      const d = lab.state.disks[did];
      const f = d?.files[fid];
      if (!d || !f)
        throw new HvbcError(
          'CHAIN_BROKEN',
          `Checkpoint ${cp.name} refers to a file of disk ${did} the lab no longer has.`,
          { diskId: did },
        );
      return {
        diskId: did,
        chainPath: abs(this.dir, f.path),
        virtualSize: d.virtualSize,
        ...(slow ? { readBytesPerSecond: slow * 1e6 } : {}),
      };
    });
  }

  async listReferencePoints(vmRef: string): Promise<ReferencePoint[]> {
    const lab = await this.read();
    const vm = findVm(lab.definition, vmRef);
    return structuredClone(lab.state.referencePoints[vm.id] ?? []);
  }

  async changedRanges(
    vmRef: string,
    diskRef: string,
    referencePointId: string,
  ): Promise<ChangedRanges> {
    const lab = await this.read();
    const vm = findVm(lab.definition, vmRef);
    const did = findDisk(vm, diskRef);
    const os = hostOs(lab.definition, lab.state, vm);
    if (!atLeast(os, '2016')) {
      return {
        kind: 'full-required',
        reason: `Windows Server ${os} has no native change tracking (resilient change tracking arrived with Windows Server 2016): every backup of '${vm.def.name}' reads the whole disk.`,
      };
    }
    const d = lab.state.disks[did];
    if (!d) throw new HvbcError('NOT_FOUND', `No disk ${did}.`);
    if (!rctCapable(lab.definition, lab.state, d)) {
      return {
        kind: 'full-required',
        reason: `'${vm.def.name}' has configuration version ${vm.def.configVersion}; resilient change tracking needs 6.2 or later (Update-VMVersion), so every backup is full.`,
      };
    }
    const rp = (lab.state.referencePoints[vm.id] ?? []).find((r) => r.id === referencePointId);
    if (!rp)
      return {
        kind: 'full-required',
        reason: `Reference point ${referencePointId} of '${vm.def.name}' does not exist (removed, or never made): the next backup must be full.`,
      };
    const rctId = rp.rctIds[did];
    if (!rctId)
      return {
        kind: 'full-required',
        reason: `The disk ${d.label} was not change-tracked when reference point ${referencePointId} was made: the next backup must be full.`,
      };
    return rctQuery(this.dir, did, rctId, d.virtualSize);
  }

  async guestVssWriters(vmRef: string): Promise<VssWriter[]> {
    const lab = await this.read();
    const vm = findVm(lab.definition, vmRef);
    if (lab.state.vmStates[vm.id] !== 'Running') {
      throw new HvbcError(
        'CONFLICT',
        `'${vm.def.name}' is ${lab.state.vmStates[vm.id]}: guest VSS writers can be listed only while the guest runs.`,
        { vmId: vm.id },
      );
    }
    const faults = effectiveFaults(lab.definition, lab.state, vm.index);
    const names = ['System Writer', 'Registry Writer', 'COM+ REGDB Writer', 'WMI Writer'];
    const text = `${vm.def.name} ${vm.def.tags.join(' ')}`.toLowerCase();
    if (text.includes('sql')) names.push('SqlServerWriter');
    if (/\bdc\d*\b/.test(text)) names.push('NTDS');
    if (faults.failedVssWriter && !names.includes(faults.failedVssWriter))
      names.push(faults.failedVssWriter);
    return names.map((name) => {
      const failed = name === faults.failedVssWriter;
      const id = GUEST_WRITERS[name];
      return {
        name,
        ...(id ? { id } : {}),
        state: failed ? '[11] Failed' : '[1] Stable',
        lastError: failed ? 'Non-retryable error' : 'No error',
        retryable: !failed,
      };
    });
  }

  // ------------------------------------------------------------------ checkpoints

  async createCheckpoint(vmRef: string, opts: LabCheckpointOptions): Promise<CheckpointResult> {
    const waitMs = opts.csvWaitMs ?? this.csvWaitMs;
    const start = Date.now();
    for (;;) {
      opts.signal?.throwIfAborted();
      const waited = Date.now() - start;
      try {
        return await this.mutate('checkpoint', opts.taskId, (op) =>
          createCheckpoint(op, vmRef, opts, waited < waitMs, waited),
        );
      } catch (e) {
        if (!(e instanceof CsvWait)) throw e;
        await sleep(Math.max(1, Math.min(50, waitMs - waited)));
      }
    }
  }

  async removeCheckpoint(
    vmRef: string,
    checkpointId: string,
    opts: { taskId?: string } = {},
  ): Promise<void> {
    await this.mutate('remove-checkpoint', opts.taskId, async (op) => {
      const vm = op.vm(vmRef);
      await removeCheckpoint(op, vm, op.checkpoint(vm, checkpointId));
    });
  }

  async applyCheckpoint(
    vmRef: string,
    checkpointId: string,
    opts: { taskId?: string } = {},
  ): Promise<void> {
    await this.mutate('apply-checkpoint', opts.taskId, async (op) => {
      const vm = op.vm(vmRef);
      await applyCheckpoint(op, vm, op.checkpoint(vm, checkpointId));
    });
  }

  async convertToReferencePoint(
    vmRef: string,
    checkpointId: string,
    opts: { taskId?: string } = {},
  ): Promise<ReferencePoint> {
    return this.mutate('convert-to-reference-point', opts.taskId, async (op) => {
      const vm = op.vm(vmRef);
      const os = op.os(vm);
      if (!atLeast(os, '2016')) {
        throw new HvbcError(
          'UNSUPPORTED',
          `Reference points need Windows Server 2016 or later ('${vm.def.name}' runs on ${os}). Remove the checkpoint instead; the next backup of this VM is full.`,
          { vmId: vm.id },
        );
      }
      const cp = op.checkpoint(vm, checkpointId);
      if (cp.type !== 'recovery') {
        throw new HvbcError(
          'VALIDATION',
          `Only recovery checkpoints can be converted to reference points; '${cp.name}' is a ${cp.type} checkpoint.`,
          { checkpointId },
        );
      }
      const rp: ReferencePoint = {
        id: randomUUID(),
        vmId: vm.id,
        created: new Date().toISOString(),
        rctIds: { ...(cp.rctIds ?? {}) },
      };
      (op.state.referencePoints[vm.id] ??= []).push(rp);
      op.event(
        'referencePointCreated',
        vm,
        `Recovery checkpoint '${cp.name}' of '${vm.def.name}' was converted to reference point ${rp.id}. ${op.vmText(vm)}`,
      );
      await removeCheckpoint(op, vm, cp, 'converted to a reference point');
      op.touch(vm);
      return rp;
    });
  }

  async removeReferencePoint(vmRef: string, referencePointId: string): Promise<void> {
    await this.mutate('remove-reference-point', undefined, async (op) => {
      const vm = op.vm(vmRef);
      const list = op.state.referencePoints[vm.id] ?? [];
      if (!list.some((r) => r.id === referencePointId)) {
        throw new HvbcError(
          'NOT_FOUND',
          `VM ${vm.def.name} has no reference point ${referencePointId}.`,
          { vmId: vm.id, referencePointId },
        );
      }
      op.state.referencePoints[vm.id] = list.filter((r) => r.id !== referencePointId);
      op.event(
        'referencePointRemoved',
        vm,
        `Reference point ${referencePointId} of '${vm.def.name}' was removed. ${op.vmText(vm)}`,
      );
      op.touch(vm);
    });
  }

  // ------------------------------------------------------------------ cluster

  async moveCsv(csvRef: string, node: string): Promise<void> {
    await this.mutate('move-csv', undefined, async (op) => {
      const csv = findCsv(op.def, csvRef);
      const n = findNode(op.def, node);
      if (n.state !== 'Up')
        throw new HvbcError(
          'CONFLICT',
          `Node ${n.name} is ${n.state}; a CSV can move only to a node that is Up.`,
        );
      const snap = op.state.csvSnapshots[csv.id];
      if (snap) {
        const holders = snap.holders.map((h) => findVm(op.def, h.vmId).def.name).join(', ');
        const msg = `${csv.name} is in redirected access: ${snap.node} holds a host-level VSS snapshot of it (backup of ${holders}). Its ownership cannot move to ${n.name} until that backup ends (seed 000).`;
        op.event('csvBusy', null, msg);
        throw new HvbcError('CSV_BUSY', msg, {
          csvId: csv.id,
          holderNode: snap.node,
          requestedNode: n.name,
        });
      }
      const from = op.state.csvOwners[csv.id] ?? csv.owner;
      if (from === n.name) return;
      op.state.csvOwners[csv.id] = n.name;
      op.dirty = true;
      op.event(
        'csvMoved',
        null,
        `Cluster Shared Volume '${csv.name}' (C:\\ClusterStorage\\${csv.volume}) moved from ${from} to ${n.name}.`,
      );
    });
  }

  async liveMigrate(vmRef: string, node: string): Promise<void> {
    await this.mutate('live-migrate', undefined, async (op) => {
      const vm = op.vm(vmRef);
      const n = findNode(op.def, node);
      if (n.state !== 'Up')
        throw new HvbcError(
          'CONFLICT',
          `Node ${n.name} is ${n.state}; VMs can move only to a node that is Up.`,
        );
      const from = op.host(vm);
      if (from === n.name)
        throw new HvbcError('VALIDATION', `'${vm.def.name}' already runs on ${n.name}.`);
      op.state.vmHosts[vm.id] = n.name;
      op.touch(vm);
      const how = op.running(vm) ? 'Live migration' : 'Move (the VM is not running)';
      op.event(
        'liveMigrated',
        vm,
        `${how} of '${vm.def.name}' from ${from} to ${n.name} completed; change tracking continues. ${op.vmText(vm)}`,
      );
    });
  }

  /** Move all files of one disk to another CSV (Move-VMStorage). Change tracking of the disk starts again. */
  async storageMigrate(vmRef: string, diskRef: string, csvRef: string): Promise<void> {
    await this.mutate('storage-migrate', undefined, async (op) => {
      const vm = op.vm(vmRef);
      const did = findDisk(vm, diskRef);
      const target = findCsv(op.def, csvRef);
      const d = await op.ensureDisk(did);
      if (d.csv === target.id)
        throw new HvbcError('VALIDATION', `${d.label} is already on ${target.name}.`);
      const dd = vm.def.disks.find((x) => findDisk(vm, x.file) === did);
      if (!dd) throw new HvbcError('INTERNAL', `disk ${did} not in definition`);
      let need = 0;
      for (const f of Object.values(d.files)) need += await allocatedSize(op.abs(f.path));
      const free = (await op.csvFree())[target.id] ?? 0;
      if (need > free) {
        const msg = `Not enough space on ${target.name} to move ${d.label}: it needs ${fmtBytes(need)}, ${fmtBytes(free)} is free.`;
        op.event('outOfSpace', vm, msg);
        throw new HvbcError('OUT_OF_SPACE', msg, {
          csvId: target.id,
          neededBytes: need,
          freeBytes: free,
        });
      }
      const folder = diskFolder(
        op.def,
        vm.def.name,
        { csv: target.id, shared: dd.shared },
        op.host(vm),
      );
      const moves = Object.entries(d.files).map(([fid, f]) => ({
        file: fid,
        to: `${folder}/${path.posix.basename(f.path)}`,
      }));
      const intent = {
        kind: 'move' as const,
        diskId: did,
        csv: target.id,
        moves,
        ...(d.vhdsPath ? { vhdsTo: `${folder}/${dd.file}` } : {}),
        started: new Date().toISOString(),
      };
      const from = d.csv;
      const oldConfig = vmConfigPath(op.def, vm.index, op.state);
      op.state.intents.push(intent);
      await writeLabFile(op.dir, op.lab);
      await doIntent(op, intent);
      op.state.intents = op.state.intents.filter((i) => i !== intent);
      if (vmConfigPath(op.def, vm.index, op.state) !== oldConfig)
        await fs.rm(op.abs(oldConfig), { force: true });
      op.touch(vm);
      op.event(
        'storageMigrated',
        vm,
        `Storage migration of ${d.label} from ${from ? op.csvName(from) : 'local storage'} to ${target.name} completed (${moves.length} file(s)). ${op.vmText(vm)}`,
      );
      if (rctCapable(op.def, op.state, d)) {
        await rctStart(
          op.dir,
          did,
          `storage migration of ${d.label} from ${from ? op.csvName(from) : 'local storage'} to ${target.name} on ${new Date().toISOString()}`,
        );
        op.event(
          'rctReset',
          vm,
          `Change tracking of ${d.label} was reset by the storage migration: the next backup of this disk must be full.`,
        );
      }
    });
  }

  /** What an in-place restore of these disks of a VM would replace and remove, and what stands in its way (reads only). */
  async planInPlaceRestore(vmRef: string, disks: InPlaceDiskRequest[]): Promise<InPlacePlan> {
    return planReplace(this.dir, await this.read(), vmRef, disks);
  }

  /**
   * In-place restore ("restore entire VM to its original location"), VM off: each staged file (a restored, verified
   * copy beside the disk's base file) takes the base file's name; every file of the old chain moves to
   * <folder>/.hvbc-replaced/<stamp>/ (nothing is deleted); all checkpoints of the VM are removed; the content model
   * and change tracking are reset. The VM's other disks merge their checkpoint files. Crash-safe (an intent).
   */
  async replaceDisksInPlace(
    vmRef: string,
    replacements: ReplaceRequest[],
    opts: { taskId?: string; source?: string } = {},
  ): Promise<ReplaceResult> {
    return this.mutate('restore-in-place', opts.taskId, async (op) => {
      const r = await replaceDisks(op, vmRef, replacements, opts.source ?? 'a restored copy');
      const vm = op.vm(r.vmId);
      for (const did of vmDiskIds(vm))
        if (!r.disks.some((d) => d.diskId === did) && op.state.disks[did]?.materialized)
          await consolidate(op, did);
      return r;
    });
  }

  async powerOn(vmRef: string): Promise<void> {
    await this.mutate('power-on', undefined, async (op) => {
      const vm = op.vm(vmRef);
      if (op.running(vm)) return;
      op.state.vmStates[vm.id] = 'Running';
      op.touch(vm);
      op.event('poweredOn', vm, `'${vm.def.name}' started. ${op.vmText(vm)}`);
    });
  }

  /** Turn a VM off: 2008 R2 merges pending checkpoint files now; a locked .avhdx is released and merged (seed 003). */
  async powerOff(vmRef: string): Promise<void> {
    await this.mutate('power-off', undefined, async (op) => {
      const vm = op.vm(vmRef);
      if (op.state.vmStates[vm.id] === 'Off') return;
      op.state.vmStates[vm.id] = 'Off';
      op.touch(vm);
      op.event('poweredOff', vm, `'${vm.def.name}' was turned off. ${op.vmText(vm)}`);
      for (const cp of [...(op.state.checkpoints[vm.id] ?? [])]) {
        if (cp.lingering?.reason !== 'locked') continue;
        delete cp.lingering;
        const list = op.state.checkpoints[vm.id] ?? [];
        op.state.checkpoints[vm.id] = list.filter((c) => c.id !== cp.id);
        for (const c of list) if (c.parentId === cp.id) c.parentId = cp.parentId;
        if (op.state.vmCurrent[vm.id] === cp.id) op.state.vmCurrent[vm.id] = cp.parentId;
        op.event(
          'checkpointRemoved',
          vm,
          `The locked recovery checkpoint '${cp.name}' of '${vm.def.name}' was released by the power-off and removed. ${op.vmText(vm)}`,
        );
      }
      for (const did of vmDiskIds(vm))
        if (op.state.disks[did]?.materialized) await consolidate(op, did);
    });
  }

  /** Switch a fault on or off at runtime. `target` is a VM (id or name) or, for csv-nearly-full, a CSV. */
  async setFault(target: string, fault: string, on: boolean, value?: string): Promise<void> {
    const f = LAB_FAULTS.find((x) => x.name === fault);
    if (!f)
      throw new HvbcError(
        'VALIDATION',
        `Unknown fault "${fault}". Faults: ${LAB_FAULTS.map((x) => x.name).join(', ')}.`,
      );
    await this.mutate('set-fault', undefined, async (op) => {
      if (f.target === 'csv') {
        const csv = findCsv(op.def, target);
        op.state.csvFaults[csv.id] = { ...op.state.csvFaults[csv.id], nearlyFull: on };
        op.dirty = true;
        op.event('faultChanged', null, `Fault ${fault} ${on ? 'on' : 'off'} for ${csv.name}.`);
        return;
      }
      const vm = op.vm(target);
      const current = withVmFault(op.faults(vm), f, on, value, {
        name: vm.def.name,
        hasVhdSet: vm.def.disks.some((d) => d.shared),
      });
      op.state.faults[vm.id] = current;
      op.touch(vm);
      op.event(
        'faultChanged',
        vm,
        `Fault ${fault} ${on ? `on${value ? ` (${value})` : ''}` : 'off'} for '${vm.def.name}'. ${op.vmText(vm)}`,
      );
    });
  }

  // ------------------------------------------------------------------ guest I/O

  /** Write `bytes` into the VM's active disk files now (deterministic for a seed), logging every write. */
  async ioBurst(vmRef: string, opts: IoOptions): Promise<IoResult> {
    if (!Number.isFinite(opts.bytes) || opts.bytes <= 0)
      throw new HvbcError('VALIDATION', `--bytes must be a positive number, got ${opts.bytes}.`);
    return this.mutate('io', opts.taskId, async (op) => {
      const vm = op.vm(vmRef);
      if (!op.running(vm))
        throw new HvbcError(
          'CONFLICT',
          `'${vm.def.name}' is ${op.state.vmStates[vm.id]}; guest I/O needs a running VM. Start it first.`,
          { vmId: vm.id },
        );
      const ids = opts.disk ? [findDisk(vm, opts.disk)] : vmDiskIds(vm);
      const n = op.state.ioBursts[vm.id] ?? 0;
      op.state.ioBursts[vm.id] = n + 1;
      op.dirty = true;
      const seed = opts.seed ?? mix32(hash32(vm.id) ^ n);
      const disks: { id: string; virtualSize: number }[] = [];
      for (const id of ids) disks.push({ id, virtualSize: (await op.ensureDisk(id)).virtualSize });
      const plan = planWrites({
        bytes: opts.bytes,
        pattern: opts.pattern ?? 'scattered',
        seed,
        disks,
      });
      const result: IoResult = { vmId: vm.id, seed, bytes: 0, writes: 0, perDisk: {} };
      for (const id of ids) {
        const writes = plan.filter((w) => w.diskId === id);
        if (writes.length === 0) continue;
        const d = op.disk(id);
        const active = d.files[d.active];
        if (!active) throw new HvbcError('INTERNAL', `disk ${id} has no active file`);
        const logged: LoggedWrite[] = writes.map((w) => ({
          o: w.o,
          l: w.l,
          d: w.d,
          f: d.active,
          s: `io:${vm.id}:${n}`,
        }));
        // Write-ahead: the write log and the change-tracking record first, so a crash can over-report but never miss a change.
        await appendWriteLog(op.dir, id, logged);
        if (rctCapable(op.def, op.state, d))
          await rctRecord(
            op.dir,
            id,
            unionRanges(writes.map((w) => ({ offset: w.o, length: w.l }))),
          );
        await writeToFile(op.abs(active.path), writes, d.label, d.virtualSize);
        const bytes = writes.reduce((s, w) => s + w.l, 0);
        result.perDisk[id] = { file: op.abs(active.path), writes: writes.length, bytes };
        result.bytes += bytes;
        result.writes += writes.length;
      }
      return result;
    });
  }

  /**
   * Keep writing at `rateMBps` (MiB/s) in bursts every `tickMs` until `seconds` pass or stop(). Burst k uses the seed
   * derived from `seed` and k, so a run is repeatable.
   */
  startIo(
    vmRef: string,
    opts: {
      rateMBps: number;
      seconds?: number;
      pattern?: 'scattered' | 'hotspot';
      seed?: number;
      tickMs?: number;
    },
  ): IoRun {
    if (!(opts.rateMBps > 0))
      throw new HvbcError(
        'VALIDATION',
        `--rate must be a positive number of MiB/s, got ${opts.rateMBps}.`,
      );
    const tick = opts.tickMs ?? 250;
    const perTick = Math.max(4096, Math.round((opts.rateMBps * 1024 * 1024 * tick) / 1000));
    const totals = { bursts: 0, bytes: 0, writes: 0 };
    let stopping = false;
    const endAt = opts.seconds !== undefined ? Date.now() + opts.seconds * 1000 : Infinity;
    const done = (async () => {
      while (!stopping && !this.closed && Date.now() < endAt) {
        const t0 = Date.now();
        const r = await this.ioBurst(vmRef, {
          bytes: perTick,
          pattern: opts.pattern ?? 'scattered',
          ...(opts.seed === undefined
            ? {}
            : { seed: mix32(opts.seed ^ Math.imul(totals.bursts + 1, 0x9e3779b1)) }),
        });
        totals.bursts++;
        totals.bytes += r.bytes;
        totals.writes += r.writes;
        await sleep(Math.max(0, Math.min(tick - (Date.now() - t0), endAt - Date.now())));
      }
      return { ...totals };
    })();
    const handle = {
      done,
      stop: async () => {
        stopping = true;
        const r = await done.catch(() => ({ ...totals }));
        this.runs.delete(handle);
        return r;
      },
    };
    this.runs.add(handle);
    void done.finally(() => this.runs.delete(handle)).catch(() => undefined);
    return handle;
  }

  async close(): Promise<void> {
    await Promise.all([...this.runs].map((r) => r.stop()));
    await this.queue;
    this.closed = true;
    if (this.watching) unwatchFile(path.join(this.dir, EVENTS_FILE));
    this.watching = false;
    this.listeners.clear();
  }
}

export type { VmRef };
