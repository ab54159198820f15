// The lab's mutable state (what Hyper-V would know): owners, hosts, power states, checkpoints, reference points,
// disk files and their parents, faults switched at runtime, and intents of multi-step operations (crash recovery).
import type { Checkpoint, CsvAccess } from '../../../../shared/model';
import type { Consistency, ReferencePoint } from '../types';
import { stableGuid, type LabDefinition, type LabFaults } from './definition';
import { hash32, type WriteSpec } from './content';

/** One VHDX file of a disk: the base .vhdx or a differencing .avhdx. */
export interface LabFileEntry {
  /** Path relative to the lab folder, with forward slashes. */
  path: string;
  /** Parent file id (null for the base). */
  parent: string | null;
  /** The checkpoint whose creation (or apply) started this file; null for the base. */
  checkpointId: string | null;
  created: string;
}

export interface LabDiskState {
  /** VMs with this disk attached (two for a guest cluster's VHD Set). */
  vms: string[];
  /** "<vm>/<file>": written into every generated page so data can be recognised. */
  label: string;
  /** CSV that holds the files now (changes with storage migration); null for local storage. */
  csv: string | null;
  virtualSize: number;
  /** VHDX block size of the base file. */
  blockSize: number;
  /** Seed of the initial content. */
  seed: number;
  /** VHD Set: the .vhds descriptor path (the data lives in the chain's .vhdx/.avhdx files). */
  vhdsPath?: string;
  /** File id → file. The base has id "base". */
  files: Record<string, LabFileEntry>;
  /** File id the VM writes to now (newest .avhdx, or the base). */
  active: string;
  /** Files that no longer exist: merged into another file (id → id) or discarded (id → null). Logged writes follow. */
  merged: Record<string, string | null>;
  /** False until the base file exists and holds its seed content (the large scenario creates disks on first use). */
  materialized: boolean;
}

export interface LabCheckpoint extends Checkpoint {
  type: 'standard' | 'production' | 'recovery';
  vmId: string;
  /** Per disk id: the file that was active when the checkpoint was taken (frozen; its chain is the checkpoint's disk). */
  frozen: Record<string, string>;
  consistency: Consistency;
  /** Per disk id: the change-tracking id sealed by this (recovery) checkpoint, 2016+. */
  rctIds?: Record<string, string>;
  /** Removal was asked but the merge cannot happen (fault): the checkpoint stays listed. */
  lingering?: { reason: 'never-merges' | 'locked'; since: string };
  /** CSVs whose host-level VSS snapshot this backup checkpoint holds (2008 R2 – 2012 R2 modes). */
  csvSnapshots?: string[];
}

/** A host-level VSS snapshot of a CSV (2008 R2 – 2012 R2): the CSV is in redirected access while it exists. */
export interface LabCsvSnapshot {
  node: string;
  holders: { vmId: string; checkpointId: string }[];
  since: string;
}

export type LabIntent =
  /** Merge file `child` into `parent`, then re-base the child's own children (leaves) onto the parent. */
  | {
      kind: 'merge';
      diskId: string;
      child: string;
      parent: string;
      rebase: string[];
      started: string;
    }
  /** Discard file `file` (no checkpoint needs it and nothing is written to it). */
  | { kind: 'delete'; diskId: string; file: string; started: string }
  /** Storage migration: move every file of the disk (renames) to another CSV. */
  | {
      kind: 'move';
      diskId: string;
      csv: string | null;
      moves: { file: string; to: string }[];
      vhdsTo?: string;
      started: string;
    }
  /**
   * In-place restore (restore-in-place.ts): every file of each disk's chain moves to a quarantine folder, the staged
   * (restored, verified) file takes the base file's name, the write log gets a reset line, the VM's checkpoints go.
   */
  | {
      kind: 'replace';
      vmId: string;
      /** What the content comes from, for events ("restore point …"). */
      source: string;
      stamp: string;
      disks: LabReplaceDisk[];
      started: string;
    };

/** One disk of a 'replace' intent. Paths are lab-relative, with forward slashes. */
export interface LabReplaceDisk {
  diskId: string;
  /** The restored file, beside the base file until it takes its name. */
  staged: string;
  /** The base file's path (kept: the staged file is renamed to it). */
  base: string;
  /** Every file of the disk (base and .avhdx) → its place in the quarantine folder. */
  moves: { file: string; from: string; to: string }[];
  /** The checkpoint whose content the staged file holds (the model's reset takes its writes). */
  fromCheckpointId: string;
  /** Id of the write-log reset line, so a replay appends it once. */
  resetId: string;
  /** The content model at fromCheckpointId: the reset line's writes. */
  writes: WriteSpec[];
}

export interface LabState {
  version: 2;
  csvOwners: Record<string, string>;
  /** Per CSV: redirected access set explicitly (e.g. lost storage connectivity), on every node or on one. */
  csvRedirected: Record<
    string,
    { state: Exclude<CsvAccess, 'Direct'>; reason: string; node?: string }
  >;
  /** Host-level VSS snapshots of CSVs (2008 R2 – 2012 R2 backups): every node but the owner is redirected meanwhile. */
  csvSnapshots: Record<string, LabCsvSnapshot>;
  vmHosts: Record<string, string>;
  vmStates: Record<string, 'Running' | 'Off' | 'Saved' | 'Paused'>;
  /** The checkpoint each VM currently runs from (Get-VM ParentCheckpointId). */
  vmCurrent: Record<string, string | null>;
  checkpoints: Record<string, LabCheckpoint[]>;
  referencePoints: Record<string, ReferencePoint[]>;
  disks: Record<string, LabDiskState>;
  /** Faults switched at runtime (whole object per VM; falls back to the definition's faults). */
  faults: Record<string, LabFaults>;
  csvFaults: Record<string, { nearlyFull?: boolean }>;
  /** Multi-step operations in flight; replayed or completed under the lock after a crash. */
  intents: LabIntent[];
  /** Guest I/O bursts per VM (feeds the default seed of the next burst). */
  ioBursts: Record<string, number>;
  /** What the last reconcile reported (orphan and missing files), so it is logged once, not at every open. */
  lastReconcile?: { orphans: string[]; missing: string[] };
}

export function vmId(def: LabDefinition, index: number): string {
  const v = def.vms[index];
  if (!v) throw new Error(`no VM at index ${index}`);
  return v.id ?? stableGuid('vm', def.name, v.name);
}

export function diskId(vmGuid: string, file: string, shared: boolean): string {
  return shared
    ? stableGuid('shared-disk', file.toLowerCase())
    : stableGuid('disk', vmGuid, file.toLowerCase());
}

/** Lab-relative root of a CSV ("ClusterStorage/Volume2") or of a node's local storage. */
export function storageRoot(
  def: LabDefinition,
  csvId: string | null | undefined,
  host: string,
): string {
  const csv = csvId == null ? undefined : def.csvs.find((c) => c.id === csvId);
  return csv ? `ClusterStorage/${csv.volume}` : `Local/${host}`;
}

/** Where a disk's base file lives, relative to the lab folder. */
export function diskFolder(
  def: LabDefinition,
  vmName: string,
  d: { csv?: string | null; shared: boolean },
  host: string,
): string {
  const root = storageRoot(def, d.csv, host);
  return d.shared ? `${root}/Shared` : `${root}/${vmName}/Virtual Hard Disks`;
}

/** The VM configuration file (informational copy of the VM's settings), on the CSV of its first disk. */
export function vmConfigPath(def: LabDefinition, index: number, state: LabState): string {
  const v = def.vms[index];
  if (!v) throw new Error(`no VM at index ${index}`);
  const id = vmId(def, index);
  const first = v.disks[0];
  const csv = first
    ? (state.disks[diskId(id, first.file, first.shared)]?.csv ?? first.csv)
    : undefined;
  return `${storageRoot(def, csv, v.host)}/${v.name}/Virtual Machines/${id.toUpperCase()}.json`;
}

/** VHD Set data file beside the .vhds descriptor: "SQLCL-shared.vhds" → "SQLCL-shared-data.vhdx". */
export function vhdSetDataName(file: string): string {
  return `${file.replace(/\.vhds$/i, '')}-data.vhdx`;
}

/** The state of a freshly created lab: everything as the definition says, no checkpoints, disks not yet created. */
export function initialState(def: LabDefinition): LabState {
  const now = new Date().toISOString();
  const state: LabState = {
    version: 2,
    csvOwners: {},
    csvRedirected: {},
    csvSnapshots: {},
    vmHosts: {},
    vmStates: {},
    vmCurrent: {},
    checkpoints: {},
    referencePoints: {},
    disks: {},
    faults: {},
    csvFaults: {},
    intents: [],
    ioBursts: {},
  };
  for (const c of def.csvs) state.csvOwners[c.id] = c.owner;
  def.vms.forEach((v, i) => {
    const id = vmId(def, i);
    state.vmHosts[id] = v.host;
    state.vmStates[id] = v.state;
    state.vmCurrent[id] = null;
    state.checkpoints[id] = [];
    state.referencePoints[id] = [];
    for (const d of v.disks) {
      const did = diskId(id, d.file, d.shared);
      const existing = state.disks[did];
      if (existing) {
        existing.vms.push(id);
        continue;
      }
      const folder = diskFolder(def, v.name, d, v.host);
      const label = d.shared ? `${v.group ?? 'shared'}/${d.file}` : `${v.name}/${d.file}`;
      state.disks[did] = {
        vms: [id],
        label,
        csv: d.csv ?? null,
        virtualSize: d.size,
        blockSize: 2 * 1024 * 1024,
        seed: hash32(`${def.seed}:${did}`),
        ...(d.shared ? { vhdsPath: `${folder}/${d.file}` } : {}),
        files: {
          base: {
            path: `${folder}/${d.shared ? vhdSetDataName(d.file) : d.file}`,
            parent: null,
            checkpointId: null,
            created: now,
          },
        },
        active: 'base',
        merged: {},
        materialized: false,
      };
    }
  });
  return state;
}

/** Bring a state written by an older version (or partly missing) to the current shape. */
export function upgradeState(def: LabDefinition, raw: unknown): LabState {
  const fresh = initialState(def);
  if (!raw || typeof raw !== 'object') return fresh;
  const s = raw as Partial<LabState> & { version?: number };
  if (s.version !== 2) {
    // Version 1 (the foundation's stub) had no disk files and no checkpoints: keep owners, hosts and power states.
    return {
      ...fresh,
      csvOwners: { ...fresh.csvOwners, ...(s.csvOwners ?? {}) },
      csvRedirected: { ...(s.csvRedirected ?? {}) },
      vmHosts: { ...fresh.vmHosts, ...(s.vmHosts ?? {}) },
      vmStates: { ...fresh.vmStates, ...(s.vmStates ?? {}) },
    };
  }
  return { ...fresh, ...s } as LabState;
}

/** File ids of a disk's chain ending at `fileId`, base first. */
export function chainOf(disk: LabDiskState, fileId: string): string[] {
  const out: string[] = [];
  let cur: string | null = fileId;
  const seen = new Set<string>();
  while (cur !== null) {
    if (seen.has(cur)) throw new Error(`cycle in lab disk chain at ${cur}`);
    seen.add(cur);
    out.push(cur);
    cur = disk.files[cur]?.parent ?? null;
  }
  return out.reverse();
}

/** Where a file's logged writes live now: follows merges; null when the file was discarded. */
export function resolveFile(disk: LabDiskState, fileId: string): string | null {
  let cur: string | null = fileId;
  for (let i = 0; i < 10_000 && cur !== null; i++) {
    if (disk.files[cur]) return cur;
    if (!(cur in disk.merged)) return null;
    cur = disk.merged[cur] ?? null;
  }
  return null;
}

/** Every checkpoint of every VM (a shared disk's chain holds files of both guest-cluster nodes' checkpoints). */
export function allCheckpoints(state: LabState): LabCheckpoint[] {
  return Object.values(state.checkpoints).flat();
}
