// Raw inventory (what Get-HvbcInventory.ps1 / Export-HvbcInventory.ps1 emit) → the shared Inventory model.
import { z } from 'zod';
import { HvbcError } from '../../../../../shared/errors';
import {
  Inventory,
  type Checkpoint,
  type ChainFile,
  type Csv,
  type CsvNodeState,
  type EstateSource,
  type HostOsVersion,
  type VirtualDisk,
  type Vm,
  type VmGroup,
} from '../../../../../shared/model';
import type { ReferencePoint } from '../../types';
import {
  arr,
  bool,
  dateOrNull,
  guid,
  guidOrNull,
  objOrNull,
  obj,
  parseOrThrow,
  safeInt,
  safeIntOrNull,
  str,
  strOrNull,
} from '../normalize';
import { diskIdOf, isSharedDrive, RawDrive, RawReferencePoint, RawSlot } from './raw';
import { mapReferencePoint } from './refpoints';
import {
  BlockRedirectReason,
  CheckpointTypeEnum,
  CsvStateEnum,
  FsRedirectReason,
  functionalLevelName,
  hostOsFromVersion,
  NodeStateEnum,
  OS_ORDER,
  SnapshotTypeEnum,
  VmGroupTypeEnum,
  VmStateEnum,
} from './enums';

const RawCheckpoint = obj({
  id: guid,
  name: str,
  snapshotType: SnapshotTypeEnum,
  parentId: guidOrNull,
  created: dateOrNull,
  drives: arr(obj({ ...RawSlot, path: strOrNull })),
});

const RawVm = obj({
  id: guid,
  name: str,
  computerName: str,
  state: VmStateEnum,
  generation: safeIntOrNull.optional(),
  version: str,
  checkpointType: CheckpointTypeEnum,
  automaticCheckpoints: bool.optional(),
  isClustered: bool.optional(),
  notes: strOrNull.optional(),
  parentCheckpointId: guidOrNull.optional(),
  scsiControllers: safeInt,
  integrationServices: arr(
    obj({
      name: str,
      enabled: bool,
      primaryStatus: strOrNull.optional(),
      secondaryStatus: strOrNull.optional(),
    }),
  ),
  checkpoints: arr(RawCheckpoint),
  drives: arr(RawDrive),
  referencePoints: arr(RawReferencePoint).optional(),
});

export const RawInventory = obj({
  schema: z.literal(1).optional(),
  vmScope: strOrNull.optional(),
  collectedAt: dateOrNull,
  collectedOn: str,
  psVersion: strOrNull.optional(),
  psEdition: strOrNull.optional(),
  cluster: objOrNull({ name: str, functionalLevel: strOrNull.optional() }),
  nodes: arr(
    obj({
      name: str,
      id: strOrNull.optional(),
      state: NodeStateEnum,
      majorVersion: safeIntOrNull.optional(),
      minorVersion: safeIntOrNull.optional(),
      buildNumber: safeIntOrNull.optional(),
      osVersion: strOrNull.optional(),
      osCaption: strOrNull.optional(),
    }),
  ),
  clusterGroups: arr(
    obj({
      name: str,
      groupType: strOrNull.optional(),
      ownerNode: strOrNull,
      state: strOrNull.optional(),
      vmId: guidOrNull.optional(),
    }),
  ).optional(),
  csvs: arr(
    obj({
      id: str,
      name: str,
      state: strOrNull.optional(),
      ownerNode: str,
      path: str,
      fileSystem: strOrNull.optional(),
      fileSystemType: strOrNull.optional(),
      size: safeIntOrNull,
      free: safeIntOrNull,
      partitionText: strOrNull.optional(),
    }),
  ),
  csvStates: arr(
    obj({
      name: str,
      node: str,
      stateInfo: strOrNull.optional(),
      state: strOrNull.optional(),
      fsReason: strOrNull.optional(),
      blockReason: strOrNull.optional(),
      redirectedReason: strOrNull.optional(),
      volumeName: strOrNull.optional(),
      volumeFriendlyName: strOrNull.optional(),
    }),
  ),
  vms: arr(RawVm),
  vmGroups: arr(
    obj({
      id: str,
      name: str,
      groupType: VmGroupTypeEnum,
      computerName: strOrNull.optional(),
      members: arr(guid),
      groupMembers: arr(str).optional(),
    }),
  ),
  vhdSets: arr(obj({ path: str, snapshotIds: arr(str), error: strOrNull.optional() })).optional(),
  warnings: arr(str).optional(),
});
export type RawInventory = z.infer<typeof RawInventory>;

export interface ParsedInventory {
  inventory: Inventory;
  /** What the script could not collect (a node's OS version, a log…): shown by the doctor, never fatal. */
  warnings: string[];
  collectedOn: string;
  psVersion: string | null;
  /** Reference points per VM id (RCT ids keyed by disk id), when the inventory collected them. */
  referencePoints: Map<string, ReferencePoint[]>;
}

const pfail = (what: string, field: string, msg: string): never => {
  throw new HvbcError('PARSE_FAILED', `${what}: unexpected output: ${field}: ${msg}`, { field });
};

export function csvOfPath(
  path: string,
  csvs: readonly { id: string; path: string }[],
): string | null {
  const p = path.toLowerCase();
  for (const c of csvs) {
    const root = c.path.toLowerCase().replace(/\\+$/, '') + '\\';
    if (p.startsWith(root)) return c.id;
  }
  return null;
}

function osOf(n: RawInventory['nodes'][number]): HostOsVersion | undefined {
  if (n.osVersion) {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(n.osVersion);
    if (m) return hostOsFromVersion(Number(m[1]), Number(m[2]), Number(m[3]));
  }
  if (n.majorVersion != null && n.minorVersion != null && n.buildNumber != null)
    return hostOsFromVersion(n.majorVersion, n.minorVersion, n.buildNumber);
  return undefined;
}

function mapDrive(
  what: string,
  field: string,
  vmId: string,
  d: RawDrive,
  checkpoints: z.infer<typeof RawCheckpoint>[],
  csvs: readonly { id: string; path: string }[],
): VirtualDisk {
  const slot = {
    controllerType: d.controllerType,
    controllerNumber: d.controllerNumber,
    controllerLocation: d.controllerLocation,
  };
  const controller = {
    type: d.controllerType,
    number: d.controllerNumber,
    location: d.controllerLocation,
  };
  const passthrough = d.diskNumber !== null && d.diskNumber !== undefined;
  const baseFirst = [...d.chain].reverse();
  const leaf = d.chain[0];
  const shared = isSharedDrive(d);
  const path = d.path ?? leaf?.path ?? '';
  if (passthrough) {
    // The model has no shape for a physical disk: it is listed so pre-flight can warn (host backup cannot see it).
    return {
      id: diskIdOf(vmId, slot, null, false),
      path,
      format: 'vhdx',
      type: 'fixed',
      virtualSize: 0,
      csvId: null,
      controller,
      shared: false,
      attachment: 'passthrough',
      chain: [],
    };
  }
  if (!leaf && !d.chainError)
    pfail(what, `${field}.chain`, 'a virtual disk drive with an empty chain and no chainError');
  const chain: ChainFile[] = baseFirst.map((f, i) => {
    // A differencing file was started by the checkpoint whose drive (same slot) points at this file's parent.
    const cp =
      i === 0
        ? null
        : checkpoints.find((c) =>
            c.drives.some(
              (cd) =>
                cd.controllerType === slot.controllerType &&
                cd.controllerNumber === slot.controllerNumber &&
                cd.controllerLocation === slot.controllerLocation &&
                (cd.path ?? '').toLowerCase() === (f.parentPath ?? '').toLowerCase(),
            ),
          );
    return {
      path: f.path,
      kind: i === 0 ? 'base' : 'differencing',
      checkpointId: cp?.id ?? null,
      fileSize: f.fileSize,
      parentPath: f.parentPath,
    };
  });
  const base = baseFirst[0]?.path ?? path;
  return {
    id: diskIdOf(vmId, slot, base, shared),
    path: leaf?.path ?? path,
    // Without Get-VHD output (chainError) the format comes from the extension and the size is unknown (0).
    format: leaf
      ? leaf.vhdFormat
      : /\.vhds$/i.test(path)
        ? 'vhds'
        : /\.a?vhd$/i.test(path)
          ? 'vhd'
          : 'vhdx',
    type: leaf ? leaf.vhdType : /\.avhdx?$/i.test(path) ? 'differencing' : 'dynamic',
    virtualSize: leaf?.size ?? 0,
    csvId: csvOfPath(path, csvs),
    controller,
    shared,
    attachment: 'virtual',
    chain,
  };
}

function rpToCheckpoint(rp: RawReferencePoint): Checkpoint {
  return {
    id: rp.instanceId,
    name: 'Reference point',
    type: 'reference-point',
    parentId: null,
    created: rp.created ?? '',
    ...(rp.rctIds.length > 0 ? { rctId: rp.rctIds.join(',') } : {}),
  };
}

function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : x === null || x === undefined ? [] : [x];
}

/**
 * Merge per-node inventories (vmScope 'this-node', skipCluster) into the entry node's raw inventory: their VMs,
 * VM groups, VHD Sets, warnings and their own OS version. Works on raw JSON; validation happens after.
 */
export function mergeNodeInventories(entry: unknown, perNode: readonly unknown[]): unknown {
  if (!entry || typeof entry !== 'object') return entry;
  const e = { ...(entry as Record<string, unknown>) };
  const nodes = list(e.nodes).map((n) =>
    n && typeof n === 'object' ? { ...(n as Record<string, unknown>) } : n,
  );
  for (const raw of perNode) {
    if (!raw || typeof raw !== 'object') continue;
    const r = raw as Record<string, unknown>;
    e.vms = [...list(e.vms), ...list(r.vms)];
    e.vmGroups = [...list(e.vmGroups), ...list(r.vmGroups)];
    e.vhdSets = [...list(e.vhdSets), ...list(r.vhdSets)];
    e.warnings = [...list(e.warnings), ...list(r.warnings)];
    for (const own of list(r.nodes) as Record<string, unknown>[]) {
      const target = nodes.find(
        (n) =>
          typeof (n as Record<string, unknown>)?.name === 'string' &&
          String((n as Record<string, unknown>).name).toLowerCase() ===
            String(own?.name ?? '').toLowerCase(),
      ) as Record<string, unknown> | undefined;
      if (target && own?.osVersion) {
        target.osVersion = own.osVersion;
        target.osCaption = own.osCaption ?? null;
      }
    }
  }
  e.nodes = nodes;
  // The same VM group may be reported by several nodes.
  const seen = new Set<string>();
  e.vmGroups = list(e.vmGroups).filter((g) => {
    const id = String((g as Record<string, unknown>)?.id ?? '');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return e;
}

/** Validate and map a raw inventory. `what` names the source in errors (a script or a file). */
export function parseInventory(
  raw: unknown,
  source: Omit<EstateSource, 'name'> & { name?: string },
  what = 'Get-HvbcInventory',
): ParsedInventory {
  const r = parseOrThrow(RawInventory, raw, what);

  // Nodes and OS versions: a node whose version is unknown (down) takes the lowest known one.
  const known = r.nodes.map(osOf);
  const lowest = known
    .filter((x): x is HostOsVersion => x !== undefined)
    .sort((a, b) => OS_ORDER.indexOf(a) - OS_ORDER.indexOf(b))[0];
  if (!lowest)
    pfail(
      what,
      'data.nodes',
      'no node reports a Windows Server version (osVersion or major/minor/build)',
    );
  const nodes = r.nodes.map((n, i) => ({
    name: n.name,
    state: n.state,
    osVersion: known[i] ?? (lowest as HostOsVersion),
  }));
  const clusterOs = lowest as HostOsVersion;

  // CSVs, joined with their per-node states by resource name.
  const seenCsv = new Map<string, number>();
  const csvs: Csv[] = r.csvs.map((c, i) => {
    const field = `data.csvs[${i}]`;
    if (c.size === null || c.free === null) {
      pfail(
        what,
        `${field}.${c.size === null ? 'size' : 'free'}`,
        `missing${c.partitionText ? ` (SharedVolumeInfo.Partition arrived as ${JSON.stringify(c.partitionText)}: depth truncation)` : ''}`,
      );
    }
    const fsText = `${c.fileSystemType ?? ''} ${c.fileSystem ?? ''}`;
    const fileSystem = /refs/i.test(fsText)
      ? 'ReFS'
      : /ntfs/i.test(fsText)
        ? 'NTFS'
        : pfail(
            what,
            `${field}.fileSystem`,
            `cannot tell NTFS from ReFS (${JSON.stringify(fsText.trim())})`,
          );
    const n = (seenCsv.get(c.id) ?? 0) + 1;
    seenCsv.set(c.id, n);
    const states: CsvNodeState[] = r.csvStates
      .map((s, j) => ({ s, j }))
      .filter(
        ({ s }) =>
          s.name === c.name ||
          (s.volumeFriendlyName &&
            c.path.toLowerCase().endsWith(`\\${s.volumeFriendlyName.toLowerCase()}`)),
      )
      .map(({ s, j }) => {
        const sf = `data.csvStates[${j}]`;
        const rawState = s.stateInfo ?? s.state ?? null;
        if (rawState === null)
          pfail(what, `${sf}.stateInfo`, 'neither StateInfo nor State was reported');
        const st = parseOrThrow(CsvStateEnum, rawState, `${what} ${sf}.stateInfo`);
        const reasons = [
          parseOrThrow(FsRedirectReason, s.fsReason ?? null, `${what} ${sf}.fsReason`),
          parseOrThrow(BlockRedirectReason, s.blockReason ?? null, `${what} ${sf}.blockReason`),
          parseOrThrow(
            FsRedirectReason,
            s.redirectedReason ?? null,
            `${what} ${sf}.redirectedReason`,
          ),
        ].filter((x) => x !== '');
        if (st === 'Paused')
          return {
            node: s.node,
            state: 'Unavailable' as const,
            reason: ['Paused', ...reasons].join(', '),
          };
        return {
          node: s.node,
          state: st,
          reason: st === 'Direct' ? '' : [...new Set(reasons)].join(', '),
        };
      });
    return {
      id: n === 1 ? c.id : `${c.id}#${n}`,
      name: c.name,
      path: c.path,
      ownerNode: c.ownerNode,
      fileSystem,
      sizeBytes: c.size as number,
      freeBytes: c.free as number,
      states,
    };
  });

  // VM groups (VMCollectionType holds VMs; ManagementCollectionType holds groups).
  const groupOfVm = new Map<string, string>();
  for (const g of r.vmGroups)
    if (g.groupType === 'vm')
      for (const m of g.members) if (!groupOfVm.has(m)) groupOfVm.set(m, g.id);

  // VMs: one entry per id (a VM seen on two nodes mid-migration keeps the running copy).
  const byId = new Map<string, { vm: Vm; rps: ReferencePoint[] }>();
  r.vms.forEach((v, i) => {
    const field = `data.vms[${i}]`;
    const gen = v.generation ?? 1;
    if (gen !== 1 && gen !== 2) pfail(what, `${field}.generation`, `expected 1 or 2, got ${gen}`);
    const checkpoints: Checkpoint[] = v.checkpoints.map((c) => ({
      id: c.id,
      name: c.name,
      type: c.snapshotType === 'Recovery' ? 'recovery' : 'standard',
      parentId: c.parentId,
      created: c.created ?? '',
      ...(c.snapshotType === 'Other' ? { createdBy: 'hyper-v (planned/missing/replica)' } : {}),
    }));
    const rps = v.referencePoints ?? [];
    const vm: Vm = {
      id: v.id,
      name: v.name,
      hostNode: v.computerName,
      state: v.state,
      generation: gen as 1 | 2,
      configVersion: v.version,
      scsiControllers: v.scsiControllers,
      integrationServices: v.integrationServices.map((s) => ({
        name: s.name,
        enabled: s.enabled,
        status:
          [s.primaryStatus, s.secondaryStatus].filter((x): x is string => !!x).join(' - ') ||
          (s.enabled ? 'Unknown' : 'Disabled'),
      })),
      checkpointType: v.checkpointType,
      automaticCheckpoints: v.automaticCheckpoints ?? false,
      checkpoints: [...checkpoints, ...rps.map(rpToCheckpoint)],
      disks: v.drives.map((d, j) =>
        mapDrive(what, `${field}.drives[${j}]`, v.id, d, v.checkpoints, csvs),
      ),
      groupId: groupOfVm.get(v.id) ?? null,
      tags: [],
    };
    const prev = byId.get(v.id);
    const mapped = rps.map((rp) => mapReferencePoint(rp, v.id, v.drives, ''));
    if (!prev || (prev.vm.state !== 'Running' && vm.state === 'Running'))
      byId.set(v.id, { vm, rps: mapped });
  });
  const vms = [...byId.values()].map((x) => x.vm);

  const groups: VmGroup[] = r.vmGroups.map((g) => {
    const members =
      g.groupType === 'vm'
        ? g.members
        : r.vmGroups.filter((x) => (g.groupMembers ?? []).includes(x.id)).flatMap((x) => x.members);
    const memberVms = vms.filter((v) => members.includes(v.id));
    const vhds = memberVms.flatMap((v) => v.disks).find((d) => d.format === 'vhds');
    const sharedDisk = memberVms.some((v) => v.disks.some((d) => d.shared));
    return {
      id: g.id,
      name: g.name,
      kind: sharedDisk ? 'guest-cluster' : 'application',
      members: [...new Set(members)],
      ...(vhds ? { vhdSetPath: vhds.chain[0]?.path ?? vhds.path } : {}),
    };
  });

  const name = r.cluster?.name ?? r.collectedOn;
  const inventory = parseOrThrow(
    Inventory,
    {
      source: { ...source, name: source.name ?? name },
      cluster: {
        name,
        osVersion: clusterOs,
        functionalLevel: functionalLevelName(r.cluster?.functionalLevel ?? null, clusterOs),
        nodes,
        csvs,
      },
      vms,
      groups,
      collectedAt: r.collectedAt ?? new Date().toISOString(),
    },
    `${what} (mapped)`,
  );
  return {
    inventory,
    warnings: r.warnings ?? [],
    collectedOn: r.collectedOn,
    psVersion: r.psVersion ?? null,
    referencePoints: new Map([...byId.entries()].map(([id, x]) => [id, x.rps])),
  };
}
