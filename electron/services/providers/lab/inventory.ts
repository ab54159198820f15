// Pure: turn a lab definition and its state into the shared Inventory model, with Windows-style paths.
import type { Checkpoint, Csv, Inventory, Vm, VirtualDisk } from '../../../../shared/model';
import type { LabDefinition, LabFaults } from './definition';
import { chainOf, diskId, vmId, type LabState } from './state';

/** Map a lab-relative path to what a Hyper-V host would show: C:\ClusterStorage\Volume2\… */
export function windowsPath(rel: string): string {
  const p = rel.replace(/\//g, '\\');
  if (p.startsWith('ClusterStorage\\')) return `C:\\${p}`;
  if (p.startsWith('Local\\')) return `D:\\Hyper-V\\${p.split('\\').slice(2).join('\\')}`;
  return `C:\\${p}`;
}

/** Free space the lab reports for a CSV with the nearly-full fault. */
export const NEARLY_FULL_FREE = 8 * 1024 * 1024;

/** The faults in force for a VM: switched at runtime (state) or from the definition. */
export function effectiveFaults(def: LabDefinition, state: LabState, index: number): LabFaults {
  const id = vmId(def, index);
  return state.faults[id] ?? def.vms[index]?.faults ?? {};
}

export function csvNearlyFull(def: LabDefinition, state: LabState, csvId: string): boolean {
  return (
    state.csvFaults[csvId]?.nearlyFull ??
    def.csvs.find((c) => c.id === csvId)?.faults?.nearlyFull ??
    false
  );
}

export interface InventoryInputs {
  def: LabDefinition;
  state: LabState;
  location: string;
  /** Size in bytes of each lab-relative file that exists (sparse-aware allocated size is fine). */
  fileSizes: Record<string, number>;
  now: string;
}

/** Free bytes per CSV: size − other data − the lab's files on it (capped for the nearly-full fault). */
export function csvFreeBytes(
  def: LabDefinition,
  state: LabState,
  fileSizes: Record<string, number>,
): Record<string, number> {
  const used: Record<string, number> = {};
  for (const d of Object.values(state.disks)) {
    if (d.csv === null) continue;
    for (const f of Object.values(d.files))
      used[d.csv] = (used[d.csv] ?? 0) + (fileSizes[f.path] ?? 0);
  }
  const out: Record<string, number> = {};
  for (const c of def.csvs) {
    const free = Math.max(0, c.size - c.used - (used[c.id] ?? 0));
    out[c.id] = csvNearlyFull(def, state, c.id) ? Math.min(free, NEARLY_FULL_FREE) : free;
  }
  return out;
}

export function buildInventory({
  def,
  state,
  location,
  fileSizes,
  now,
}: InventoryInputs): Inventory {
  const nodeOs = (name: string) =>
    def.nodes.find((n) => n.name === name)?.osVersion ?? def.cluster.osVersion;

  const vms: Vm[] = def.vms.map((v, i) => {
    const id = vmId(def, i);
    const disks: VirtualDisk[] = v.disks.map((d, j) => {
      const did = diskId(id, d.file, d.shared);
      const ds = state.disks[did];
      const ids = ds ? chainOf(ds, ds.active) : [];
      const files = ids.map((fid) => ds?.files[fid]).filter((f) => f !== undefined);
      const chain = files.map((f, k) => ({
        path: windowsPath(f.path),
        kind: k === 0 ? ('base' as const) : ('differencing' as const),
        checkpointId: f.checkpointId,
        fileSize: fileSizes[f.path] ?? 0,
        parentPath: k === 0 ? null : windowsPath(files[k - 1]?.path ?? ''),
      }));
      const active = chain[chain.length - 1];
      return {
        id: did,
        path: ds?.vhdsPath ? windowsPath(ds.vhdsPath) : (active?.path ?? ''),
        format: d.file.toLowerCase().endsWith('.vhds') ? 'vhds' : 'vhdx',
        type: chain.length > 1 ? 'differencing' : d.type,
        virtualSize: d.size,
        csvId: ds ? ds.csv : (d.csv ?? null),
        controller: { type: d.controller, number: 0, location: j },
        shared: d.shared,
        attachment: d.attachment,
        chain,
      };
    });
    const faults = effectiveFaults(def, state, i);
    const icOff = faults.integrationServicesOff === true;
    const running = (state.vmStates[id] ?? v.state) === 'Running';
    const checkpoints: Checkpoint[] = (state.checkpoints[id] ?? []).map((c) => ({
      id: c.id,
      name: c.name,
      type: c.type,
      parentId: c.parentId,
      created: c.created,
      ...(c.createdBy === undefined ? {} : { createdBy: c.createdBy }),
    }));
    for (const rp of state.referencePoints[id] ?? []) {
      // Reference points have no parent; rctId lists the per-disk change-tracking ids in disk order, ";"-separated.
      const ids = v.disks
        .map((d) => rp.rctIds[diskId(id, d.file, d.shared)])
        .filter((x): x is string => x !== undefined);
      checkpoints.push({
        id: rp.id,
        name: `Reference point ${rp.created}`,
        type: 'reference-point',
        parentId: null,
        created: rp.created,
        rctId: ids.join(';'),
      });
    }
    return {
      id,
      name: v.name,
      hostNode: state.vmHosts[id] ?? v.host,
      state: state.vmStates[id] ?? v.state,
      generation: v.generation,
      configVersion: v.configVersion,
      scsiControllers: faults.noScsiController ? 0 : v.scsiControllers,
      integrationServices: [
        {
          name: 'Heartbeat',
          enabled: !icOff,
          status: icOff ? 'Disabled' : running ? 'OK' : 'No Contact',
        },
        {
          name: 'Backup (volume shadow copy)',
          enabled: !icOff,
          status: icOff ? 'Disabled' : running ? 'OK' : 'No Contact',
        },
        { name: 'Time Synchronization', enabled: true, status: running ? 'OK' : 'No Contact' },
      ],
      checkpointType: v.checkpointType,
      automaticCheckpoints: v.automaticCheckpoints,
      checkpoints,
      disks,
      groupId: v.group ?? null,
      tags: v.tags,
      ...(v.rtoSeconds === undefined ? {} : { rtoSeconds: v.rtoSeconds }),
    };
  });

  const free = csvFreeBytes(def, state, fileSizes);
  const csvs: Csv[] = def.csvs.map((c) => {
    const owner = state.csvOwners[c.id] ?? c.owner;
    const snap = state.csvSnapshots[c.id];
    const redirected = state.csvRedirected[c.id];
    return {
      id: c.id,
      name: c.name,
      path: `C:\\ClusterStorage\\${c.volume}`,
      ownerNode: owner,
      fileSystem: c.fileSystem,
      sizeBytes: c.size,
      freeBytes: free[c.id] ?? 0,
      // A host-level VSS snapshot (2008 R2 – 2012 R2) puts every node but the owner in redirected access (seed 000).
      states: def.nodes.map((n) =>
        redirected && (redirected.node === undefined || redirected.node === n.name)
          ? { node: n.name, state: redirected.state, reason: redirected.reason }
          : snap && n.name !== owner
            ? {
                node: n.name,
                state: 'FileSystemRedirected' as const,
                reason: `BackupInProgress (snapshot by ${snap.node})`,
              }
            : { node: n.name, state: 'Direct' as const, reason: '' },
      ),
    };
  });

  return {
    source: { kind: 'lab', name: def.name, readOnly: false, location },
    cluster: {
      name: def.cluster.name,
      osVersion: def.cluster.osVersion,
      functionalLevel: def.cluster.functionalLevel ?? def.cluster.osVersion,
      nodes: def.nodes.map((n) => ({ name: n.name, state: n.state, osVersion: nodeOs(n.name) })),
      csvs,
    },
    vms,
    groups: def.groups.map((g) => ({
      id: g.name,
      name: g.name,
      kind: g.kind,
      members: vms.filter((v) => v.groupId === g.name).map((v) => v.id),
      ...(g.vhdSet === undefined ? {} : { vhdSetPath: g.vhdSet }),
    })),
    collectedAt: now,
  };
}
