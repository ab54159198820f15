// Pure: a backup job plan — jobs, waves, CSV ownership moves, who waits on what and why, and an estimated duration.
import type { Inventory, VirtualDisk, Vm } from '../../../shared/model';
import type {
  BackupMethod,
  BackupPlan,
  CsvMove,
  PlanJob,
  PlanOptions,
  PlanWait,
  PlanWave,
  ResolvedPlanOptions,
  WaitKind,
} from '../../../shared/planner';
import { backupCsvsOf, csvName } from './graph';
import { fmtBytes, fmtList, fmtSeconds, selectVms } from './select';
import { backupMethodOf, configAtLeast, osLabel } from './versions';

export const DEFAULT_PLAN_OPTIONS: ResolvedPlanOptions = {
  maxPerCsv: 4,
  maxPerNode: 4,
  throughputMBps: 200,
  incremental: false,
  changeRatePercent: 10,
  snapshotOverheadSeconds: 30,
  csvMoveSeconds: 10,
};

export function resolvePlanOptions(opts: PlanOptions = {}): ResolvedPlanOptions {
  const pick = <K extends keyof ResolvedPlanOptions>(k: K): ResolvedPlanOptions[K] =>
    (opts[k] ?? DEFAULT_PLAN_OPTIONS[k]) as ResolvedPlanOptions[K];
  const out: ResolvedPlanOptions = {
    maxPerCsv: Math.max(1, Math.floor(pick('maxPerCsv'))),
    maxPerNode: Math.max(1, Math.floor(pick('maxPerNode'))),
    throughputMBps:
      pick('throughputMBps') > 0 ? pick('throughputMBps') : DEFAULT_PLAN_OPTIONS.throughputMBps,
    incremental: pick('incremental'),
    changeRatePercent: Math.min(100, Math.max(0, pick('changeRatePercent'))),
    snapshotOverheadSeconds: Math.max(0, pick('snapshotOverheadSeconds')),
    csvMoveSeconds: Math.max(0, pick('csvMoveSeconds')),
  };
  return out;
}

/** Disks whose data a host-level backup reads: everything but pass-through and in-guest iSCSI disks. */
export function visibleDisks(vm: Vm): VirtualDisk[] {
  return vm.disks.filter((d) => d.attachment === 'virtual');
}

/** Bytes a full backup of the disk reads: its allocated data when known (capped at the virtual size). */
export function fullBytesOf(d: VirtualDisk): number {
  const files = d.chain.reduce((s, f) => s + f.fileSize, 0);
  return files > 0 ? Math.min(files, d.virtualSize) : d.virtualSize;
}

interface Unit {
  id: string;
  label: string;
  vms: Vm[];
  /** The node that takes the snapshot (host VSS) or the first member's host. */
  primaryNode: string;
  nodes: string[];
  csvDemand: Map<string, number>;
  nodeDemand: Map<string, number>;
  bytes: number;
  runKind: 'full' | 'incremental';
  explanation: string[];
}

interface Block {
  kind: WaitKind;
  csvId?: string;
  node?: string;
  blockedBy: string[];
}

function inc(m: Map<string, number>, k: string, by: number): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function buildUnits(
  inv: Inventory,
  vms: Vm[],
  method: BackupMethod,
  o: ResolvedPlanOptions,
  notes: string[],
): Unit[] {
  const units: Unit[] = [];
  const rate = o.changeRatePercent / 100;
  if (method === 'host-vss-csv') {
    const byKey = new Map<string, Unit>();
    for (const vm of vms) {
      const csvs = backupCsvsOf(vm);
      const key = `${vm.hostNode}|${[...csvs].sort().join(',')}`;
      let u = byKey.get(key);
      if (!u) {
        u = {
          id: `job-${units.length + 1}`,
          label: '',
          vms: [],
          primaryNode: vm.hostNode,
          nodes: [vm.hostNode],
          csvDemand: new Map(csvs.map((c) => [c, 1])),
          nodeDemand: new Map([[vm.hostNode, 1]]),
          bytes: 0,
          runKind: 'full',
          explanation: [],
        };
        byKey.set(key, u);
        units.push(u);
      }
      u.vms.push(vm);
      u.bytes += visibleDisks(vm)
        .filter((d) => !d.shared)
        .reduce((s, d) => s + fullBytesOf(d), 0);
    }
    for (const u of units) {
      const csvs = [...u.csvDemand.keys()];
      u.label = u.vms.map((v) => v.name).join(' + ');
      u.explanation.push(
        csvs.length > 0
          ? `Runs on ${u.primaryNode}: one VSS snapshot of ${fmtList(csvs.map((c) => csvName(inv, c)))} covers ${u.vms.length === 1 ? `${u.label}` : `${u.vms.length} VMs (${fmtList(u.vms.map((v) => v.name))})`}; reads ${fmtBytes(u.bytes)} (full).`
          : `Runs on ${u.primaryNode}: ${u.label} ${u.vms.length > 1 ? 'have' : 'has'} no disk on a CSV, so no CSV ownership is involved; reads ${fmtBytes(u.bytes)} (full).`,
      );
    }
    if (vms.some((v) => v.disks.some((d) => d.shared && d.attachment === 'virtual'))) {
      notes.push(
        `Shared disks (shared VHDX or VHD Set) cannot be captured by a host-level backup on Windows Server ${osLabel(inv.cluster.osVersion)}: they are left out of the jobs; back them up from inside the guest cluster.`,
      );
    }
    if (o.incremental) {
      notes.push(
        `Windows Server ${osLabel(inv.cluster.osVersion)} has no native change tracking: every job reads the full disks, so the estimate is for full runs.`,
      );
    }
    return units;
  }

  // 2016+: one recovery checkpoint per VM; members of a guest cluster go together (one collection checkpoint).
  const done = new Set<string>();
  for (const vm of vms) {
    if (done.has(vm.id)) continue;
    const group =
      vm.groupId === null
        ? undefined
        : inv.groups.find((g) => g.id === vm.groupId && g.kind === 'guest-cluster');
    const members = group ? vms.filter((v) => v.groupId === group.id) : [vm];
    members.forEach((m) => done.add(m.id));
    const disks = new Map<string, VirtualDisk>();
    for (const m of members) for (const d of visibleDisks(m)) disks.set(d.id, d);
    const csvDemand = new Map<string, number>();
    const nodeDemand = new Map<string, number>();
    for (const m of members) {
      inc(nodeDemand, m.hostNode, 1);
      for (const c of new Set(
        visibleDisks(m)
          .map((d) => d.csvId)
          .filter((x): x is string => x !== null),
      ))
        inc(csvDemand, c, 1);
    }
    const tracking = members.every((m) => configAtLeast(m.configVersion, 6, 2));
    const runKind = o.incremental && tracking ? 'incremental' : 'full';
    const full = [...disks.values()].reduce((s, d) => s + fullBytesOf(d), 0);
    const bytes = runKind === 'incremental' ? Math.round(full * rate) : full;
    const label = group ? `${group.name} (${members.map((m) => m.name).join(' + ')})` : vm.name;
    const explanation = [
      group
        ? `Guest cluster ${group.name}: one collection checkpoint of ${fmtList(members.map((m) => m.name))} on ${fmtList([...nodeDemand.keys()])}, because they share a VHD Set; reads ${fmtBytes(bytes)} (${runKind}).`
        : `Takes a recovery checkpoint of ${vm.name} on ${vm.hostNode}; reads ${fmtBytes(bytes)} (${runKind}${runKind === 'incremental' ? `, ${o.changeRatePercent}% of ${fmtBytes(full)}` : ''}).`,
    ];
    if (o.incremental && !tracking) {
      const old = members.filter((m) => !configAtLeast(m.configVersion, 6, 2));
      explanation.push(
        `Full, not incremental: configuration version ${old.map((m) => `${m.configVersion} (${m.name})`).join(', ')} is below 6.2, so Hyper-V keeps no change tracking for it.`,
      );
    }
    units.push({
      id: `job-${units.length + 1}`,
      label,
      vms: members,
      primaryNode: members[0]?.hostNode ?? vm.hostNode,
      nodes: [...nodeDemand.keys()],
      csvDemand,
      nodeDemand,
      bytes,
      runKind,
      explanation,
    });
  }
  return units;
}

function constraintsFor(inv: Inventory, method: BackupMethod, o: ResolvedPlanOptions): string[] {
  const est = `Estimated time per job = ${o.snapshotOverheadSeconds} s to take and release the ${method === 'host-vss-csv' ? 'snapshot' : 'checkpoint'} + bytes read ÷ ${o.throughputMBps} MB/s${
    method === 'host-vss-csv' ? ` + ${o.csvMoveSeconds} s per CSV ownership move` : ''
  }; an incremental run reads ${o.changeRatePercent}% of the data.`;
  if (method === 'host-vss-csv') {
    const os = inv.cluster.osVersion;
    return [
      'Each job runs on the node that hosts its VMs and snapshots every CSV that holds their disks; VMs on one node that need the same CSVs share one job (one volume snapshot).',
      'A node can only snapshot a CSV it owns: when another node owns it, the job first moves the ownership (Move-ClusterSharedVolume, no downtime for the VMs).',
      'While a CSV is snapshotted it cannot change owner, so a job on another node that needs the same CSV waits until the snapshot is released.',
      os === '2008R2'
        ? 'On Windows Server 2008 R2 the snapshotted CSV stays in redirected access for the whole backup: VMs of other nodes on it send their I/O over the network to the owner meanwhile.'
        : `On Windows Server ${osLabel(os)} the CSV writer redirects I/O only briefly, but the software snapshot lives on the owner (coordinator) node, so the same ownership rule is planned for.`,
      `At most ${o.maxPerCsv} snapshot job${o.maxPerCsv === 1 ? '' : 's'} per CSV and ${o.maxPerNode} job${o.maxPerNode === 1 ? '' : 's'} per node at once.`,
      'Jobs take a contended CSV or node in the order they were given, so no job waits forever.',
      est,
    ];
  }
  return [
    'Each VM is backed up from its own recovery checkpoint with resilient change tracking: no CSV snapshot is taken, so CSV ownership never makes a job wait.',
    `At most ${o.maxPerCsv} checkpoint${o.maxPerCsv === 1 ? '' : 's'} per CSV at once (checkpoint creation and merges load the volume; 4 per volume is the common default).`,
    `At most ${o.maxPerNode} backup job${o.maxPerNode === 1 ? '' : 's'} per node at once.`,
    'VMs of a guest cluster that share a VHD Set are backed up together, as one collection checkpoint.',
    'Jobs take a busy CSV or node in the order they were given, so no job waits forever.',
    est,
  ];
}

/** Plan the backup of the given VMs (all when none are named). */
export function planBackup(inv: Inventory, options: PlanOptions = {}): BackupPlan {
  const o = resolvePlanOptions(options);
  const { method, reason } = backupMethodOf(inv);
  const hostVss = method === 'host-vss-csv';
  const notes: string[] = [];
  const skipped: BackupPlan['skipped'] = [];
  const downNodes = new Set(inv.cluster.nodes.filter((n) => n.state === 'Down').map((n) => n.name));
  const vms: Vm[] = [];
  for (const vm of selectVms(inv, options.vmIds)) {
    if (downNodes.has(vm.hostNode))
      skipped.push({ vmId: vm.id, vmName: vm.name, reason: `its node ${vm.hostNode} is down` });
    else if (visibleDisks(vm).length === 0)
      skipped.push({
        vmId: vm.id,
        vmName: vm.name,
        reason:
          'none of its disks is visible to a host-level backup (pass-through or in-guest iSCSI): back it up from inside the guest',
      });
    else vms.push(vm);
  }
  const units = buildUnits(inv, vms, method, o, notes);

  // Event-driven list scheduling: at each moment start, in the given order, every job whose resources are free.
  const owner = new Map(inv.cluster.csvs.map((c) => [c.id, c.ownerNode]));
  const csvUse = new Map<string, number>();
  const nodeUse = new Map<string, number>();
  const holders = new Map<string, { node: string; units: Set<string> }>();
  const running: Array<{ u: Unit; end: number }> = [];
  const label = new Map(units.map((u) => [u.id, u.label]));
  const jobs = new Map<string, PlanJob>();
  const waits = new Map<string, PlanWait[]>(units.map((u) => [u.id, []]));
  let pending = [...units];
  let t = 0;

  const usersOf = (pred: (u: Unit) => boolean) =>
    running.filter((r) => pred(r.u)).map((r) => r.u.id);
  const labels = (ids: string[]) => fmtList(ids.map((id) => label.get(id) ?? id));

  const describe = (u: Unit, b: Block): string => {
    const res = b.csvId !== undefined ? csvName(inv, b.csvId) : (b.node ?? '');
    switch (b.kind) {
      case 'csv-ownership':
        return `${u.label}'s backup waits for ${res} until ${b.blockedBy.length > 1 ? `the snapshots of ${labels(b.blockedBy)} are` : `${labels(b.blockedBy)}'s snapshot is`} released: ${u.primaryNode} must own ${res} to snapshot it, and a CSV cannot change owner while it is snapshotted.`;
      case 'csv-limit':
        return `${u.label}'s backup waits for a free slot on ${res}: at most ${o.maxPerCsv} ${hostVss ? 'snapshot jobs' : 'checkpoints'} per CSV at once, and ${labels(b.blockedBy)} ${b.blockedBy.length > 1 ? 'are' : 'is'} using it.`;
      case 'node-limit':
        return `${u.label}'s backup waits for a free slot on ${res}: at most ${o.maxPerNode} backup jobs per node at once, and ${labels(b.blockedBy)} ${b.blockedBy.length > 1 ? 'are' : 'is'} running there.`;
      case 'queued-behind':
        return `${u.label}'s backup waits behind ${labels(b.blockedBy)}, which was queued earlier for ${res}: a contended ${b.csvId !== undefined ? 'CSV' : 'node'} is taken in the order jobs were given.`;
    }
  };

  let csvRes = new Map<string, { node: string; slot: boolean; by: string }>();
  let nodeRes = new Map<string, string>();
  const blockOf = (u: Unit): Block | null => {
    if (hostVss) {
      for (const c of u.csvDemand.keys()) {
        const h = holders.get(c);
        if (h && h.units.size > 0 && h.node !== u.primaryNode)
          return { kind: 'csv-ownership', csvId: c, blockedBy: [...h.units] };
      }
    }
    for (const [c, k] of u.csvDemand) {
      const use = csvUse.get(c) ?? 0;
      if (use > 0 && use + k > o.maxPerCsv)
        return { kind: 'csv-limit', csvId: c, blockedBy: usersOf((x) => x.csvDemand.has(c)) };
    }
    for (const [n, k] of u.nodeDemand) {
      const use = nodeUse.get(n) ?? 0;
      if (use > 0 && use + k > o.maxPerNode)
        return { kind: 'node-limit', node: n, blockedBy: usersOf((x) => x.nodeDemand.has(n)) };
    }
    for (const c of u.csvDemand.keys()) {
      const r = csvRes.get(c);
      if (r && (!hostVss || r.slot || r.node !== u.primaryNode))
        return { kind: 'queued-behind', csvId: c, blockedBy: [r.by] };
    }
    for (const n of u.nodeDemand.keys()) {
      const by = nodeRes.get(n);
      if (by !== undefined) return { kind: 'queued-behind', node: n, blockedBy: [by] };
    }
    return null;
  };

  while (pending.length > 0) {
    csvRes = new Map();
    nodeRes = new Map();
    const stillPending: Unit[] = [];
    for (const u of pending) {
      const b = blockOf(u);
      if (!b) {
        start(u);
        continue;
      }
      stillPending.push(u);
      const list = waits.get(u.id) ?? [];
      const last = list[list.length - 1];
      if (!last || last.kind !== b.kind || last.csvId !== b.csvId || last.node !== b.node) {
        if (last) last.untilSeconds = t;
        list.push({
          kind: b.kind,
          ...(b.csvId !== undefined ? { csvId: b.csvId } : {}),
          ...(b.node !== undefined ? { node: b.node } : {}),
          blockedBy: b.blockedBy,
          fromSeconds: t,
          untilSeconds: t,
          message: describe(u, b),
        });
      }
      // Reserve what the blocked job needs so later jobs cannot overtake it there.
      const slotCsv =
        b.kind === 'csv-limit' || (b.kind === 'queued-behind' && b.csvId !== undefined && !hostVss)
          ? b.csvId
          : undefined;
      for (const c of u.csvDemand.keys()) {
        if (hostVss || c === slotCsv) {
          const r = csvRes.get(c);
          if (!r) csvRes.set(c, { node: u.primaryNode, slot: c === slotCsv, by: u.id });
          else if (c === slotCsv) r.slot = true;
        }
      }
      if (b.kind === 'node-limit' || (b.kind === 'queued-behind' && b.node !== undefined)) {
        for (const n of u.nodeDemand.keys()) if (!nodeRes.has(n)) nodeRes.set(n, u.id);
      }
    }
    if (stillPending.length > 0 && running.length === 0) {
      // Cannot happen (the first pending job always fits an idle cluster); guard against an endless loop.
      const first = stillPending.shift() as Unit;
      start(first);
    }
    pending = stillPending;
    if (pending.length === 0) break;
    t = Math.min(...running.map((r) => r.end));
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i];
      if (!r || r.end > t) continue;
      running.splice(i, 1);
      for (const [c, k] of r.u.csvDemand) {
        inc(csvUse, c, -k);
        const h = holders.get(c);
        if (h) {
          h.units.delete(r.u.id);
          if (h.units.size === 0) holders.delete(c);
        }
      }
      for (const [n, k] of r.u.nodeDemand) inc(nodeUse, n, -k);
    }
  }

  function start(u: Unit): void {
    const moves: CsvMove[] = [];
    if (hostVss) {
      for (const c of [...u.csvDemand.keys()].sort()) {
        const from = owner.get(c);
        if (from !== undefined && from !== u.primaryNode) {
          moves.push({ csvId: c, csvName: csvName(inv, c), from, to: u.primaryNode });
          owner.set(c, u.primaryNode);
        }
        const h = holders.get(c) ?? { node: u.primaryNode, units: new Set<string>() };
        h.node = u.primaryNode;
        h.units.add(u.id);
        holders.set(c, h);
      }
    }
    for (const [c, k] of u.csvDemand) inc(csvUse, c, k);
    for (const [n, k] of u.nodeDemand) inc(nodeUse, n, k);
    const seconds = round1(
      o.snapshotOverheadSeconds +
        u.bytes / (o.throughputMBps * 1e6) +
        moves.length * o.csvMoveSeconds,
    );
    const list = waits.get(u.id) ?? [];
    const last = list[list.length - 1];
    if (last) last.untilSeconds = t;
    const explanation = [...u.explanation];
    for (const m of moves)
      explanation.push(
        `First moves ownership of ${m.csvName} from ${m.from} to ${m.to}: a node can only snapshot a CSV it owns.`,
      );
    if (list.length === 0) {
      explanation.push(
        t === 0
          ? hostVss
            ? 'Starts at once: no job on another node needs its CSVs at the same time.'
            : 'Starts at once: its CSVs and node have free slots.'
          : `Starts at ${fmtSeconds(t)}.`,
      );
    } else {
      for (const w of list) explanation.push(w.message);
      explanation.push(
        `Starts at ${fmtSeconds(t)}, after waiting ${fmtSeconds(t - (list[0]?.fromSeconds ?? 0))}.`,
      );
    }
    jobs.set(u.id, {
      id: u.id,
      label: u.label,
      vmIds: u.vms.map((v) => v.id),
      vmNames: u.vms.map((v) => v.name),
      nodes: u.nodes,
      csvIds: [...u.csvDemand.keys()],
      runKind: u.runKind,
      bytes: u.bytes,
      seconds,
      startSeconds: t,
      endSeconds: round1(t + seconds),
      wave: 0,
      moves,
      waits: list,
      explanation,
    });
    running.push({ u, end: round1(t + seconds) });
  }

  const ordered = units.map((u) => jobs.get(u.id)).filter((j): j is PlanJob => j !== undefined);
  const starts = [...new Set(ordered.map((j) => j.startSeconds))].sort((a, b) => a - b);
  const waves: PlanWave[] = starts.map((s, i) => {
    const inWave = ordered.filter((j) => j.startSeconds === s);
    inWave.forEach((j) => (j.wave = i + 1));
    return {
      index: i + 1,
      startSeconds: s,
      jobIds: inWave.map((j) => j.id),
      moves: inWave.flatMap((j) => j.moves),
    };
  });
  if (skipped.length > 0)
    notes.push(
      `${skipped.length} VM${skipped.length > 1 ? 's are' : ' is'} not planned: ${skipped.map((s) => `${s.vmName} (${s.reason})`).join('; ')}.`,
    );
  return {
    clusterName: inv.cluster.name,
    osVersion: inv.cluster.osVersion,
    method,
    methodReason: reason,
    options: o,
    jobs: ordered,
    waves,
    constraints: constraintsFor(inv, method, o),
    skipped,
    notes,
    totals: {
      jobs: ordered.length,
      vms: ordered.reduce((s, j) => s + j.vmIds.length, 0),
      bytes: ordered.reduce((s, j) => s + j.bytes, 0),
      seconds: ordered.reduce((m, j) => Math.max(m, j.endSeconds), 0),
      waits: ordered.reduce((s, j) => s + j.waits.length, 0),
      moves: ordered.reduce((s, j) => s + j.moves.length, 0),
      waves: waves.length,
    },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
