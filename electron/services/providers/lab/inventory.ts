// Pure: turn a lab definition and its state into the shared Inventory model, with Windows-style paths.
import type { Csv, Inventory, Vm, VirtualDisk } from '../../../../shared/model';
import type { LabDefinition } from './definition';
import { diskId, vmId, type LabState } from './state';

/** Map a lab-relative path to what a Hyper-V host would show: C:\ClusterStorage\Volume2\… */
export function windowsPath(rel: string): string {
  const p = rel.replace(/\//g, '\\');
  if (p.startsWith('ClusterStorage\\')) return `C:\\${p}`;
  if (p.startsWith('Local\\')) return `D:\\Hyper-V\\${p.split('\\').slice(2).join('\\')}`;
  return `C:\\${p}`;
}

export interface InventoryInputs {
  def: LabDefinition;
  state: LabState;
  location: string;
  /** Size in bytes of each lab-relative file that exists (sparse-aware allocated size is fine). */
  fileSizes: Record<string, number>;
  now: string;
}

export function buildInventory({ def, state, location, fileSizes, now }: InventoryInputs): Inventory {
  const nodeOs = (name: string) => def.nodes.find((n) => n.name === name)?.osVersion ?? def.cluster.osVersion;
  const usedByCsv: Record<string, number> = {};

  const vms: Vm[] = def.vms.map((v, i) => {
    const id = vmId(def, i);
    const disks: VirtualDisk[] = v.disks.map((d) => {
      const did = diskId(id, d.file, d.shared);
      const links = state.chains[did] ?? [];
      const chain = links.map((l, k) => ({
        path: windowsPath(l.file),
        kind: k === 0 ? ('base' as const) : ('differencing' as const),
        checkpointId: l.checkpointId,
        fileSize: fileSizes[l.file] ?? 0,
        parentPath: k === 0 ? null : windowsPath(links[k - 1]?.file ?? ''),
      }));
      const active = chain[chain.length - 1];
      return {
        id: did,
        path: active?.path ?? '',
        format: d.file.toLowerCase().endsWith('.vhds') ? 'vhds' : 'vhdx',
        type: chain.length > 1 ? 'differencing' : d.type,
        virtualSize: d.size,
        csvId: d.csv ?? null,
        controller: { type: d.controller, number: 0, location: v.disks.indexOf(d) },
        shared: d.shared,
        attachment: d.attachment,
        chain,
      };
    });
    const isOff = v.faults.integrationServicesOff === true;
    return {
      id,
      name: v.name,
      hostNode: state.vmHosts[id] ?? v.host,
      state: state.vmStates[id] ?? v.state,
      generation: v.generation,
      configVersion: v.configVersion,
      scsiControllers: v.scsiControllers,
      integrationServices: [
        { name: 'Heartbeat', enabled: !isOff, status: isOff ? 'Disabled' : 'OK' },
        { name: 'Backup (volume shadow copy)', enabled: !isOff, status: isOff ? 'Disabled' : 'OK' },
        { name: 'Time Synchronization', enabled: true, status: 'OK' },
      ],
      checkpointType: v.checkpointType,
      automaticCheckpoints: v.automaticCheckpoints,
      checkpoints: state.checkpoints[id] ?? [],
      disks,
      groupId: v.group ?? null,
      tags: v.tags,
      ...(v.rtoSeconds === undefined ? {} : { rtoSeconds: v.rtoSeconds }),
    };
  });

  const counted = new Set<string>();
  for (const vm of vms)
    for (const d of vm.disks)
      for (const f of d.chain) {
        if (d.csvId === null || counted.has(f.path)) continue;
        counted.add(f.path);
        usedByCsv[d.csvId] = (usedByCsv[d.csvId] ?? 0) + f.fileSize;
      }

  const csvs: Csv[] = def.csvs.map((c) => {
    const owner = state.csvOwners[c.id] ?? c.owner;
    const redirected = state.csvRedirected[c.id];
    return {
      id: c.id,
      name: c.name,
      path: `C:\\ClusterStorage\\${c.volume}`,
      ownerNode: owner,
      fileSystem: c.fileSystem,
      sizeBytes: c.size,
      freeBytes: Math.max(0, c.size - c.used - (usedByCsv[c.id] ?? 0)),
      states: def.nodes.map((n) =>
        redirected && (redirected.node === undefined || redirected.node === n.name)
          ? { node: n.name, state: redirected.state, reason: redirected.reason }
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
