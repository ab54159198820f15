// The lab's mutable state (what Hyper-V would know): owners, hosts, power states, checkpoints and disk chains.
import type { Checkpoint, CsvAccess } from '../../../../shared/model';
import { stableGuid, type LabDefinition } from './definition';

export interface LabChainLink {
  /** Path relative to the lab folder, with forward slashes. */
  file: string;
  /** The checkpoint this differencing file belongs to (null for the base). */
  checkpointId: string | null;
}

export interface LabState {
  version: 1;
  csvOwners: Record<string, string>;
  /** Per CSV: redirected access on every node, with its reason (absent = Direct everywhere). */
  csvRedirected: Record<string, { state: Exclude<CsvAccess, 'Direct'>; reason: string; node?: string }>;
  vmHosts: Record<string, string>;
  vmStates: Record<string, 'Running' | 'Off' | 'Saved' | 'Paused'>;
  checkpoints: Record<string, Checkpoint[]>;
  /** Per disk id: the chain, base first, active (newest) last. */
  chains: Record<string, LabChainLink[]>;
}

export function vmId(def: LabDefinition, index: number): string {
  const v = def.vms[index];
  if (!v) throw new Error(`no VM at index ${index}`);
  return v.id ?? stableGuid('vm', def.name, v.name);
}

export function diskId(vmGuid: string, file: string, shared: boolean): string {
  return shared ? stableGuid('shared-disk', file.toLowerCase()) : stableGuid('disk', vmGuid, file.toLowerCase());
}

/** Where a disk's base file lives, relative to the lab folder. */
export function diskFolder(def: LabDefinition, vmName: string, d: { csv?: string; shared: boolean }, host: string): string {
  const csv = d.csv === undefined ? undefined : def.csvs.find((c) => c.id === d.csv);
  const root = csv ? `ClusterStorage/${csv.volume}` : `Local/${host}`;
  return d.shared ? `${root}/Shared` : `${root}/${vmName}/Virtual Hard Disks`;
}

/** The state of a freshly created lab: everything as the definition says, no checkpoints. */
export function initialState(def: LabDefinition): LabState {
  const state: LabState = { version: 1, csvOwners: {}, csvRedirected: {}, vmHosts: {}, vmStates: {}, checkpoints: {}, chains: {} };
  for (const c of def.csvs) state.csvOwners[c.id] = c.owner;
  def.vms.forEach((v, i) => {
    const id = vmId(def, i);
    state.vmHosts[id] = v.host;
    state.vmStates[id] = v.state;
    state.checkpoints[id] = [];
    for (const d of v.disks) {
      const did = diskId(id, d.file, d.shared);
      state.chains[did] ??= [{ file: `${diskFolder(def, v.name, d, v.host)}/${d.file}`, checkpointId: null }];
    }
  });
  return state;
}
