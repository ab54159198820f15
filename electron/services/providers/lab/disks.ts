// The lab's disk data plane: every call into the VHDX engine (create, write, merge, re-base, read) lives here, plus
// creating a new lab's files (seeded base disks, VHD Set descriptors, VM configuration files).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';
import { createDifferencing, createVhdx, mergeIntoParent, openChain, openVhdx } from '../../vhdx';
import { writeFileAtomic } from './atomic';
import { seedWrites, writeData, type WriteSpec } from './content';
import type { LabDefinition } from './definition';
import { appendWriteLog, ioLogPath, rctPath, rctStart, type LoggedWrite } from './journal';
import { appendEvents } from './events';
import { EAGER_DISK_LIMIT, writeLabFile, type LabFile } from './store';
import { initialState, vmConfigPath, vmId, type LabDiskState, type LabState } from './state';

/** Fraction of a new disk the seed content writes (the rest stays unallocated). */
export const SEED_FRACTION = 0.1;

export function abs(dir: string, rel: string): string {
  return path.join(dir, ...rel.split('/'));
}

/** Write a batch of generated writes into one VHDX file (the disk's active file), then flush. */
export async function writeToFile(
  file: string,
  writes: WriteSpec[],
  label: string,
  virtualSize: number,
): Promise<void> {
  const img = await openVhdx(file, { writable: true });
  try {
    for (const w of writes) await img.write(w.o, writeData(w, label, virtualSize));
    await img.flush();
  } finally {
    await img.close();
  }
}

/** Create a new differencing file (a checkpoint's .avhdx) under `parent`. */
export async function createChild(child: string, parent: string): Promise<void> {
  await fs.mkdir(path.dirname(child), { recursive: true });
  const img = await createDifferencing(child, parent);
  await img.close();
}

/** Merge `child` into its parent and delete it (engine: journaled, resumable after a crash). */
export async function mergeChild(child: string): Promise<void> {
  await mergeIntoParent(child);
}

/**
 * Give `child` a new parent without changing its content: a fresh differencing file under `newParent` receives the
 * child's own sectors (data and zero extents; 'parent' extents stay inherited), then replaces the child by rename.
 * Only valid for a leaf (its DataWriteGuid changes, which would break children of its own). Idempotent: rerunning it
 * after a crash gives the same file.
 */
export async function rebaseLeaf(child: string, newParent: string): Promise<void> {
  const tmp = `${child}.rebase.tmp`;
  await fs.rm(tmp, { force: true });
  const src = await openVhdx(child);
  try {
    const out = await createDifferencing(tmp, newParent);
    try {
      const chunk = 8 * 1024 * 1024;
      for (const e of await src.extents()) {
        if (e.kind === 'parent') continue;
        for (let o = 0; o < e.length; o += chunk) {
          const n = Math.min(chunk, e.length - o);
          await out.write(
            e.offset + o,
            e.kind === 'zero' ? Buffer.alloc(n) : await src.read(e.offset + o, n),
          );
        }
      }
      await out.flush();
    } finally {
      await out.close();
    }
  } finally {
    await src.close();
  }
  await fs.rename(tmp, child);
}

/** Read `length` bytes at `offset` of the chain ending at `file`. */
export async function readChain(file: string, offset: number, length: number): Promise<Buffer> {
  const chain = await openChain(file);
  try {
    return await chain.read(offset, length);
  } finally {
    await chain.close();
  }
}

/** Allocated bytes of a file on the host file system (sparse-aware), or 0 when missing. */
export async function allocatedSize(file: string): Promise<number> {
  const st = await fs.stat(file).catch(() => null);
  if (!st) return 0;
  return st.blocks !== undefined && st.blocks > 0 ? st.blocks * 512 : st.size;
}

/**
 * Create a disk's base file with its seed content (an MBR and tagged pseudo-random extents, ~10% of the disk),
 * log the seed writes, start change tracking (2016+), and write the VHD Set descriptor for a shared disk.
 * Anything a crashed earlier attempt left behind is removed first, so this is safe to rerun.
 */
export async function materializeDisk(
  dir: string,
  diskIdValue: string,
  disk: LabDiskState,
  rct: boolean,
): Promise<void> {
  const base = disk.files.base;
  if (!base)
    throw new HvbcError('INTERNAL', `disk ${diskIdValue} has no base file in the lab state`);
  const file = abs(dir, base.path);
  await fs.rm(file, { force: true });
  await fs.rm(ioLogPath(dir, diskIdValue), { force: true });
  await fs.rm(rctPath(dir, diskIdValue), { force: true });
  await fs.mkdir(path.dirname(file), { recursive: true });
  const img = await createVhdx(file, {
    virtualSize: disk.virtualSize,
    type: 'dynamic',
    blockSize: disk.blockSize,
  });
  const writes = seedWrites(disk.virtualSize, disk.seed, SEED_FRACTION);
  try {
    for (const w of writes) await img.write(w.o, writeData(w, disk.label, disk.virtualSize));
    await img.flush();
  } finally {
    await img.close();
  }
  const logged: LoggedWrite[] = writes.map((w) => ({ ...w, f: 'base', s: 'seed' }));
  await appendWriteLog(dir, diskIdValue, logged);
  if (rct) await rctStart(dir, diskIdValue, null);
  if (disk.vhdsPath) await writeVhdsDescriptor(dir, disk);
  disk.materialized = true;
}

/**
 * A VHD Set is a small .vhds descriptor plus the data files. The lab writes the descriptor as JSON naming the data
 * file (a VHDX in the chain), so tools can see the .vhds name; all reads and writes go to the chain.
 */
export async function writeVhdsDescriptor(dir: string, disk: LabDiskState): Promise<void> {
  if (!disk.vhdsPath) return;
  const active = disk.files[disk.active];
  const body = {
    format: 'hvbc-lab-vhds/1',
    note: 'Lab model of a VHD Set: the data lives in the VHDX chain named here (a real .vhds is a binary descriptor).',
    label: disk.label,
    virtualSize: disk.virtualSize,
    activeData: active ? path.posix.relative(path.posix.dirname(disk.vhdsPath), active.path) : null,
    files: Object.values(disk.files).map((f) =>
      path.posix.relative(path.posix.dirname(disk.vhdsPath ?? ''), f.path),
    ),
  };
  await fs.mkdir(path.dirname(abs(dir, disk.vhdsPath)), { recursive: true });
  await writeFileAtomic(abs(dir, disk.vhdsPath), JSON.stringify(body, null, 2));
}

/** True when the VM's host runs a version with resilient change tracking and the VM's configuration supports it. */
export function rctCapable(def: LabDefinition, state: LabState, disk: LabDiskState): boolean {
  const order = ['2008R2', '2012', '2012R2', '2016', '2019', '2022', '2025'];
  const vmIndex = def.vms.findIndex((_, i) => disk.vms.includes(vmId(def, i)));
  const v = def.vms[vmIndex];
  if (!v) return false;
  const host = state.vmHosts[vmId(def, vmIndex)] ?? v.host;
  const os = def.nodes.find((n) => n.name === host)?.osVersion ?? def.cluster.osVersion;
  return order.indexOf(os) >= order.indexOf('2016') && Number.parseFloat(v.configVersion) >= 6.2;
}

/** The informational VM configuration file (what Virtual Machines/<id>.json would hold). */
export async function writeVmConfig(
  dir: string,
  def: LabDefinition,
  state: LabState,
  index: number,
): Promise<void> {
  const v = def.vms[index];
  if (!v) return;
  const id = vmId(def, index);
  const file = abs(dir, vmConfigPath(def, index, state));
  const body = {
    note: 'Informational copy written by the lab; lab.json is authoritative.',
    id,
    name: v.name,
    generation: v.generation,
    configVersion: v.configVersion,
    checkpointType: v.checkpointType,
    host: state.vmHosts[id],
    state: state.vmStates[id],
    disks: v.disks.map((d) => d.file),
    checkpoints: (state.checkpoints[id] ?? []).map((c) => ({
      id: c.id,
      name: c.name,
      type: c.type,
      parentId: c.parentId,
    })),
  };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(body, null, 2));
}

/**
 * Write a new lab: lab.json first (disks marked not yet created), then each disk file, then lab.json again.
 * 'lazy' leaves the disks to be created on first use.
 */
export async function initLabContent(
  dir: string,
  def: LabDefinition,
  mode: 'eager' | 'lazy' | 'auto',
): Promise<LabFile> {
  const state = initialState(def);
  const lab: LabFile = { definition: def, state };
  await writeLabFile(dir, lab);
  const ids = Object.keys(state.disks);
  const eager = mode === 'eager' || (mode === 'auto' && ids.length <= EAGER_DISK_LIMIT);
  if (eager) {
    for (const id of ids) {
      const disk = state.disks[id];
      if (disk) await materializeDisk(dir, id, disk, rctCapable(def, state, disk));
    }
    for (let i = 0; i < def.vms.length; i++) await writeVmConfig(dir, def, state, i);
    await writeLabFile(dir, lab);
  }
  await appendEvents(dir, [
    {
      kind: 'labCreated',
      operation: 'lab-init',
      message: `Lab "${def.name}" created: cluster ${def.cluster.name} (Windows Server ${def.cluster.osVersion}), ${def.nodes.length} nodes, ${def.csvs.length} CSVs, ${def.vms.length} VMs, ${ids.length} disks${eager ? '' : ' (disk files are created on first use)'}.`,
    },
  ]);
  return lab;
}
