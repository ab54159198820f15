// Edge: gather the doctor's facts (CSV listing, chain checks, events) from a provider and carry out a repair plan, logging each step.
import { promises as fs } from 'node:fs';
import nodePath from 'node:path';
import { HvbcError, toErrorData } from '../../../shared/errors';
import type { Inventory, VirtualDisk, Vm } from '../../../shared/model';
import type {
  ChainCheck,
  CsvFile,
  DoctorFacts,
  DoctorOptions,
  DoctorReport,
  RepairLog,
  RepairLogEntry,
  RepairPlan,
} from '../../../shared/planner';
import { REPLACED_DIR } from '../providers/lab/restore-in-place';
import { readLabFile } from '../providers/lab/store';
import type { EstateProvider } from '../providers/types';
import { openChain, openVhdx } from '../vhdx';
import { isInQuarantine, normPath, QUARANTINE_DIR, scanDoctor } from './doctor';
import { isOwnedByJob } from './rules/checkpoints';

/**
 * Optional provider capabilities the doctor uses when a provider has them (a PowerShell provider would list
 * C:\ClusterStorage\** on the coordinator and move files with Move-Item). The lab provider is handled by its folder.
 */
export interface DoctorCapabilities {
  /** Every file under the CSV mount points, with Windows-style paths as the inventory shows them. */
  listCsvFiles?(): Promise<CsvFile[]>;
  /** Move a file within its volume (rename); must refuse to overwrite. */
  quarantineFile?(path: string, quarantinePath: string): Promise<void>;
}

export type DoctorProvider = EstateProvider & DoctorCapabilities;

/** Opens one disk's chain and says whether its parent linkage holds. */
export type ChainOpener = (vm: Vm, disk: VirtualDisk) => Promise<ChainCheck>;

export interface DoctorLiveOptions extends DoctorOptions {
  activeCheckpointIds?: string[];
  activeTaskIds?: string[];
  /** Chain opener; default: the VHDX engine on the lab's files. null: do not open chains. */
  openChain?: ChainOpener | null;
  now?: string;
}

/* --------------------------------------------------------------- the lab */

/** The lab folder when the provider is a lab (its files are real, under <dir>/ClusterStorage). */
export function labDirOf(provider: EstateProvider): string | undefined {
  const dir = (provider as { dir?: unknown }).dir;
  return provider.kind === 'lab' && typeof dir === 'string' ? dir : undefined;
}

/** C:\ClusterStorage\Volume2\x → <lab>/ClusterStorage/Volume2/x; undefined for paths outside ClusterStorage. */
export function labLocalPath(dir: string, winPath: string): string | undefined {
  const segs = winPath
    .replace(/^[A-Za-z]:[\\/]/, '')
    .split(/[\\/]+/)
    .filter((s) => s.length > 0);
  if (segs[0]?.toLowerCase() !== 'clusterstorage' || segs.includes('..')) return undefined;
  return nodePath.join(dir, 'ClusterStorage', ...segs.slice(1));
}

/**
 * Walk <lab>/ClusterStorage/** and report files with Windows-style paths; the doctor's quarantine and the files an
 * in-place restore replaced (kept on purpose until the admin deletes them) are not candidates.
 */
export async function listLabCsvFiles(dir: string): Promise<CsvFile[]> {
  const root = nodePath.join(dir, 'ClusterStorage');
  const out: CsvFile[] = [];
  const walk = async (abs: string, win: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const a = nodePath.join(abs, e.name);
      const w = `${win}\\${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== QUARANTINE_DIR && e.name !== REPLACED_DIR) await walk(a, w);
      } else if (e.isFile()) {
        const st = await fs.stat(a).catch(() => null);
        if (st) out.push({ path: w, size: st.size, mtime: st.mtime.toISOString() });
      }
    }
  };
  await walk(root, 'C:\\ClusterStorage');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The VHDX engine as chain opener for the lab: opens the active file and its parents, child first. */
export function labChainOpener(dir: string): ChainOpener {
  return async (_vm, disk) => {
    // The active file: the chain's last entry (disk.path may be a VHD Set's .vhds descriptor).
    const active = disk.chain[disk.chain.length - 1]?.path ?? disk.path;
    const leaf = labLocalPath(dir, active);
    if (!leaf) return { ok: null, message: 'Not on a CSV of the lab.' };
    try {
      const chain = await openChain(leaf);
      const depth = chain.files.length;
      await chain.close();
      if (depth !== disk.chain.length) {
        return {
          ok: false,
          code: 'CHAIN_BROKEN',
          message: `the file headers give a chain of ${depth} file${depth > 1 ? 's' : ''} but Hyper-V lists ${disk.chain.length}`,
          path: active,
        };
      }
      return { ok: true };
    } catch (e) {
      const d = toErrorData(e);
      if (['PARENT_MISSING', 'CHAIN_BROKEN', 'CHAIN_CYCLE', 'VHDX_CORRUPT'].includes(d.code)) {
        return {
          ok: false,
          code: d.code,
          message: d.message,
          ...(typeof d.details?.path === 'string' ? { path: d.details.path } : {}),
        };
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return {
          ok: false,
          code: 'PARENT_MISSING',
          message: `${active} does not exist`,
          path: active,
        };
      return { ok: null, message: d.message };
    }
  };
}

/** Disks a lab creates on first use (large scenarios) and has not created yet: their files are not missing. */
async function labDisksNotCreated(dir: string): Promise<string[]> {
  try {
    const lab = await readLabFile(dir);
    return Object.entries(lab.state.disks)
      .filter(([, d]) => (d as { materialized?: boolean }).materialized === false)
      .map(([id]) => id);
  } catch {
    return [];
  }
}

/** Parent of each listed .avhdx, read from its header (resolved like Hyper-V: relative path first). */
async function labFileParents(
  dir: string,
  files: CsvFile[],
): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const f of files) {
    if (!/\.avhdx$/i.test(f.path)) continue;
    const local = labLocalPath(dir, f.path);
    if (!local) continue;
    try {
      const img = await openVhdx(local);
      const ref = img.info.parent;
      await img.close();
      if (!ref) {
        out[f.path] = null;
        continue;
      }
      const winDir = f.path.slice(0, f.path.lastIndexOf('\\'));
      if (ref.relativePath && !/^[A-Za-z]:|^\\\\/.test(ref.relativePath)) {
        const parts = `${winDir}\\${ref.relativePath}`.split(/[\\/]+/);
        const norm: string[] = [];
        for (const p of parts) {
          if (p === '.' || p === '') continue;
          if (p === '..') norm.pop();
          else norm.push(p);
        }
        out[f.path] = norm.join('\\');
      } else if (ref.absoluteWin32Path) {
        out[f.path] = ref.absoluteWin32Path;
      }
    } catch {
      /* unreadable header: parent unknown */
    }
  }
  return out;
}

/* ---------------------------------------------------------------- facts */

/** Everything the pure scan needs, from the provider (and the lab folder when it is a lab). */
export async function gatherDoctorFacts(
  provider: DoctorProvider,
  inv: Inventory,
  opts: DoctorLiveOptions = {},
): Promise<DoctorFacts> {
  const dir = labDirOf(provider);
  let files: CsvFile[] | undefined;
  if (provider.listCsvFiles) files = await provider.listCsvFiles();
  else if (dir) files = await listLabCsvFiles(dir);
  const fileParents = dir && files ? await labFileParents(dir, files) : undefined;
  const notCreated = dir ? await labDisksNotCreated(dir) : [];
  const opener =
    opts.openChain === undefined
      ? dir
        ? labChainOpener(dir)
        : undefined
      : (opts.openChain ?? undefined);
  const chainChecks: Record<string, ChainCheck> = {};
  if (opener) {
    const seen = new Set<string>(notCreated);
    for (const vm of inv.vms)
      for (const d of vm.disks) {
        if (seen.has(d.id) || d.chain.length === 0 || d.csvId === null) continue;
        seen.add(d.id);
        chainChecks[d.id] = await opener(vm, d);
      }
  }
  const events = await provider.events({}).catch(() => []);
  return {
    ...(files ? { files } : {}),
    ...(fileParents ? { fileParents } : {}),
    chainChecks,
    ...(notCreated.length > 0 ? { notCreatedDiskIds: notCreated } : {}),
    activeCheckpointIds: opts.activeCheckpointIds ?? [],
    activeTaskIds: opts.activeTaskIds ?? [],
    events,
    now: opts.now ?? new Date().toISOString(),
  };
}

/** Inventory + facts + scan. */
export async function scanLive(
  provider: DoctorProvider,
  opts: DoctorLiveOptions = {},
): Promise<{ inv: Inventory; facts: DoctorFacts; report: DoctorReport }> {
  const inv = await provider.inventory();
  const facts = await gatherDoctorFacts(provider, inv, opts);
  return { inv, facts, report: scanDoctor(inv, facts, opts) };
}

/* --------------------------------------------------------------- repair */

export interface RepairOptions {
  dryRun: boolean;
  /** How long to wait for Hyper-V to finish a merge after a checkpoint removal. Default 30 s. */
  mergeTimeoutMs?: number;
  pollMs?: number;
  activeCheckpointIds?: string[];
  activeTaskIds?: string[];
  signal?: AbortSignal;
}

function referencedPaths(inv: Inventory): Set<string> {
  const out = new Set<string>();
  for (const vm of inv.vms)
    for (const d of vm.disks) {
      if (d.path) out.add(normPath(d.path));
      for (const f of d.chain) {
        out.add(normPath(f.path));
        if (f.parentPath) out.add(normPath(f.parentPath));
      }
    }
  return out;
}

async function moveFile(provider: DoctorProvider, from: string, to: string): Promise<void> {
  if (provider.quarantineFile) return provider.quarantineFile(from, to);
  const dir = labDirOf(provider);
  const a = dir ? labLocalPath(dir, from) : undefined;
  const b = dir ? labLocalPath(dir, to) : undefined;
  if (!a || !b) {
    throw new HvbcError(
      'UNSUPPORTED',
      `This estate cannot move files for the doctor. Move it yourself: Move-Item -LiteralPath '${from}' -Destination '${to}'.`,
    );
  }
  await fs.mkdir(nodePath.dirname(b), { recursive: true });
  const exists = await fs.stat(b).then(
    () => true,
    () => false,
  );
  if (exists) throw new HvbcError('CONFLICT', `${to} already exists; nothing was moved.`);
  await fs.rename(a, b);
}

/**
 * Carry out a repair plan, step by step, re-checking the estate before each change. With dryRun nothing is
 * changed and every step is logged as "planned" with what it would do. Returns the log of what was done.
 */
export async function repair(
  provider: DoctorProvider,
  plan: RepairPlan,
  opts: RepairOptions,
): Promise<RepairLog> {
  const startedAt = new Date().toISOString();
  const entries: RepairLogEntry[] = [];
  const log = (
    stepId: string,
    kind: RepairLogEntry['kind'],
    status: RepairLogEntry['status'],
    message: string,
  ) => entries.push({ stepId, kind, status, message, at: new Date().toISOString() });
  const halted = new Map<string, string>();
  const timeout = opts.mergeTimeoutMs ?? 30_000;
  const poll = opts.pollMs ?? 500;

  for (const step of plan.steps) {
    if (opts.dryRun) {
      log(
        step.id,
        step.kind,
        'planned',
        step.kind === 'manual' ? `Manual: ${step.description}` : step.description,
      );
      continue;
    }
    opts.signal?.throwIfAborted();
    try {
      if (step.kind === 'manual') {
        log(
          step.id,
          step.kind,
          'skipped',
          `Manual step, not done automatically: ${step.description}`,
        );
      } else if (step.kind === 'remove-checkpoint') {
        const why = halted.get(step.vmId);
        if (why) {
          log(step.id, step.kind, 'skipped', `Skipped: ${why}`);
          continue;
        }
        const inv = await provider.inventory();
        const vm = inv.vms.find((v) => v.id === step.vmId);
        const cp = vm?.checkpoints.find((c) => c.id === step.checkpointId);
        if (!vm || !cp) {
          log(
            step.id,
            step.kind,
            'skipped',
            `Checkpoint ${step.checkpointId} of ${step.vmName} no longer exists: nothing to do.`,
          );
          continue;
        }
        if (isOwnedByJob(cp, opts.activeCheckpointIds ?? [], opts.activeTaskIds ?? [])) {
          halted.set(step.vmId, `a running backup now owns a checkpoint of ${step.vmName}.`);
          log(
            step.id,
            step.kind,
            'skipped',
            `A running backup owns checkpoint "${cp.name}" now: left alone.`,
          );
          continue;
        }
        await provider.removeCheckpoint(step.vmId, step.checkpointId);
        log(
          step.id,
          step.kind,
          'done',
          `Asked Hyper-V to remove checkpoint "${cp.name}" of ${step.vmName}; the merge runs in the background.`,
        );
      } else if (step.kind === 'verify-merge') {
        const why = halted.get(step.vmId);
        if (why) {
          log(step.id, step.kind, 'skipped', `Skipped: ${why}`);
          continue;
        }
        const deadline = Date.now() + timeout;
        let merged = false;
        for (;;) {
          const inv = await provider.inventory();
          const vm = inv.vms.find((v) => v.id === step.vmId);
          const stillListed = vm?.checkpoints.some((c) => c.id === step.checkpointId) ?? false;
          const stillInChain =
            vm?.disks.some((d) => d.chain.some((f) => f.checkpointId === step.checkpointId)) ??
            false;
          if (!stillListed && !stillInChain) {
            merged = true;
            break;
          }
          if (Date.now() >= deadline) break;
          await new Promise((r) => setTimeout(r, poll));
        }
        if (merged)
          log(
            step.id,
            step.kind,
            'done',
            `${step.vmName}: the checkpoint is gone and its file left the chain.`,
          );
        else {
          halted.set(
            step.vmId,
            `the merge of the previous checkpoint of ${step.vmName} has not finished.`,
          );
          log(
            step.id,
            step.kind,
            'failed',
            `${step.vmName}: the checkpoint or its file is still there after ${Math.round(timeout / 1000)} s (merge pending or refused). Stopped for this VM; scan again later.`,
          );
        }
      } else {
        const inv = await provider.inventory();
        if (referencedPaths(inv).has(normPath(step.path))) {
          log(
            step.id,
            step.kind,
            'skipped',
            `${step.path} is referenced by a chain now: left alone.`,
          );
          continue;
        }
        if (isInQuarantine(step.path)) {
          log(step.id, step.kind, 'skipped', `${step.path} is already in quarantine.`);
          continue;
        }
        await moveFile(provider, step.path, step.quarantinePath);
        log(step.id, step.kind, 'done', `Moved ${step.path} to ${step.quarantinePath}.`);
      }
    } catch (e) {
      const d = toErrorData(e);
      if (step.kind === 'remove-checkpoint' || step.kind === 'verify-merge')
        halted.set(step.vmId, `an earlier step for ${step.vmName} failed (${d.code}).`);
      log(step.id, step.kind, 'failed', `[${d.code}] ${d.message}`);
    }
  }
  const count = (s: RepairLogEntry['status']) => entries.filter((e) => e.status === s).length;
  return {
    dryRun: opts.dryRun,
    startedAt,
    finishedAt: new Date().toISOString(),
    entries,
    summary: {
      planned: count('planned'),
      done: count('done'),
      skipped: count('skipped'),
      failed: count('failed'),
    },
  };
}
