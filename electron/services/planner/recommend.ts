// Pure: recommendations that remove CSV conflicts (owner moves, disk moves, live migrations, "one job per CSV") and their preview.
import type { Csv, Inventory, VirtualDisk } from '../../../shared/model';
import type {
  Conflict,
  Recommendation,
  RecommendationKind,
  RecommendationStep,
  RecommendResult,
} from '../../../shared/planner';
import { backupCsvsOf, backupDisks, csvName, diskFootprint, findConflicts } from './graph';
import { fmtBytes, fmtList } from './select';
import { backupMethodOf } from './versions';

/* ---------------------------------------------------------------- applying */

function rebase(p: string, fromRoot: string, toRoot: string): string {
  return p.toLowerCase().startsWith(`${fromRoot.toLowerCase()}\\`)
    ? `${toRoot}${p.slice(fromRoot.length)}`
    : p;
}

/** Apply steps to a copy of the inventory (the estate is never touched here). */
export function applySteps(inv: Inventory, steps: readonly RecommendationStep[]): Inventory {
  // Copy on write: the CSVs, and each VM a step touches (cheap enough to run once per recommendation on 1,000 VMs).
  const next: Inventory = {
    ...inv,
    cluster: { ...inv.cluster, csvs: inv.cluster.csvs.map((c) => ({ ...c })) },
    vms: [...inv.vms],
  };
  const touched = new Set(
    steps.flatMap((s) =>
      s.kind === 'set-csv-owner'
        ? []
        : s.kind === 'migrate-vm'
          ? [s.vmId]
          : inv.vms.filter((v) => v.disks.some((d) => d.id === s.diskId)).map((v) => v.id),
    ),
  );
  next.vms = next.vms.map((v) => (touched.has(v.id) ? structuredClone(v) : v));
  const csv = (id: string): Csv | undefined => next.cluster.csvs.find((c) => c.id === id);
  for (const s of steps) {
    if (s.kind === 'set-csv-owner') {
      const c = csv(s.csvId);
      if (c) c.ownerNode = s.to;
    } else if (s.kind === 'migrate-vm') {
      const vm = next.vms.find((v) => v.id === s.vmId);
      if (vm) vm.hostNode = s.to;
    } else {
      const from = csv(s.fromCsvId);
      const to = csv(s.toCsvId);
      if (!from || !to) continue;
      let moved = false;
      for (const vm of next.vms)
        for (const d of vm.disks) {
          if (d.id !== s.diskId || d.csvId !== s.fromCsvId) continue;
          d.csvId = s.toCsvId;
          d.path = rebase(d.path, from.path, to.path);
          for (const f of d.chain) {
            f.path = rebase(f.path, from.path, to.path);
            if (f.parentPath !== null) f.parentPath = rebase(f.parentPath, from.path, to.path);
          }
          moved = true;
        }
      if (moved) {
        from.freeBytes += s.bytes;
        to.freeBytes = Math.max(0, to.freeBytes - s.bytes);
      }
    }
  }
  return next;
}

/** The inventory as it would be after the recommendation: for previews and for checking what it removes. */
export function applyRecommendation(inv: Inventory, rec: Pick<Recommendation, 'steps'>): Inventory {
  return applySteps(inv, rec.steps);
}

/* ---------------------------------------------------------------- helpers */

function diskLabel(d: VirtualDisk): string {
  const p = d.chain[0]?.path ?? d.path;
  return p.split('\\').pop() ?? p;
}

function commandFor(inv: Inventory, s: RecommendationStep): string {
  const vmNameOf = (id: string) => inv.vms.find((v) => v.id === id)?.name ?? id;
  if (s.kind === 'set-csv-owner')
    return `Move-ClusterSharedVolume -Name '${csvName(inv, s.csvId)}' -Node ${s.to}`;
  if (s.kind === 'migrate-vm')
    return `Move-ClusterVirtualMachineRole -Name '${vmNameOf(s.vmId)}' -Node ${s.to} -MigrationType Live`;
  const vm = inv.vms.find((v) => v.id === s.vmId);
  const d = vm?.disks.find((x) => x.id === s.diskId);
  const from = inv.cluster.csvs.find((c) => c.id === s.fromCsvId);
  const to = inv.cluster.csvs.find((c) => c.id === s.toCsvId);
  if (!vm || !d || !from || !to) return `# move disk ${s.diskId} to ${s.toCsvId}`;
  return `Move-VMStorage -VMName '${vm.name}' -VHDs @(@{ SourceFilePath = '${d.path}'; DestinationFilePath = '${rebase(d.path, from.path, to.path)}' })`;
}

function byId(list: Conflict[]): Map<string, Conflict> {
  return new Map(list.map((c) => [c.id, c]));
}

/** Fill in what a recommendation removes, introduces and costs by applying it to a copy. */
function finish(
  inv: Inventory,
  before: Conflict[],
  rec: {
    id: string;
    kind: RecommendationKind;
    title: string;
    why: string;
    steps: RecommendationStep[];
    unresolved?: string[];
  },
): Recommendation {
  const after = findConflicts(applySteps(inv, rec.steps));
  const b = byId(before);
  const a = byId(after);
  const removes = before.filter((c) => !a.has(c.id)).map((c) => ({ id: c.id, message: c.message }));
  const introduces = after
    .filter((c) => !b.has(c.id))
    .map((c) => ({ id: c.id, message: c.message }));
  return {
    ...rec,
    removes,
    introduces,
    remaining: after.length,
    cost: {
      ownershipMoves: rec.steps.filter((s) => s.kind === 'set-csv-owner').length,
      diskMoves: rec.steps.filter((s) => s.kind === 'move-disk').length,
      bytesToCopy: rec.steps.reduce((sum, s) => sum + (s.kind === 'move-disk' ? s.bytes : 0), 0),
      migrations: rec.steps.filter((s) => s.kind === 'migrate-vm').length,
    },
    commands: rec.steps.map((s) => commandFor(inv, s)),
    unresolved: rec.unresolved ?? [],
  };
}

function upNodes(inv: Inventory): string[] {
  return inv.cluster.nodes.filter((n) => n.state !== 'Down').map((n) => n.name);
}

/* ----------------------------------------------------- single-step kinds */

/** Make each CSV's owner the node that hosts most of the VMs with disks on it. */
function ownerRecs(inv: Inventory): Array<Parameters<typeof finish>[2]> {
  const up = new Set(upNodes(inv));
  const out: Array<Parameters<typeof finish>[2]> = [];
  for (const c of inv.cluster.csvs) {
    const count = new Map<string, { vms: string[]; bytes: number }>();
    for (const vm of inv.vms)
      for (const d of backupDisks(vm)) {
        if (d.csvId !== c.id) continue;
        const e = count.get(vm.hostNode) ?? { vms: [], bytes: 0 };
        if (!e.vms.includes(vm.name)) e.vms.push(vm.name);
        e.bytes += diskFootprint(d);
        count.set(vm.hostNode, e);
      }
    const ranked = [...count.entries()]
      .filter(([n]) => up.has(n))
      .sort(
        (x, y) =>
          y[1].vms.length - x[1].vms.length || y[1].bytes - x[1].bytes || x[0].localeCompare(y[0]),
      );
    const top = ranked[0];
    if (!top || top[0] === c.ownerNode) continue;
    const total = [...count.values()].reduce((s, e) => s + e.vms.length, 0);
    out.push({
      id: `set-csv-owner:${c.id}:${top[0]}`,
      kind: 'set-csv-owner',
      title: `Make ${top[0]} the owner of ${c.name}`,
      why: `${top[1].vms.length} of the ${total} VMs with disks on ${c.name} run on ${top[0]} (${fmtList(top[1].vms)}), but ${c.ownerNode} owns it: with ${top[0]} as owner their snapshots need no ownership move.`,
      steps: [{ kind: 'set-csv-owner', csvId: c.id, from: c.ownerNode, to: top[0] }],
    });
  }
  return out;
}

/** Move a VM's stray disks to the CSV that holds most of its data. */
function diskRecs(inv: Inventory): Array<Parameters<typeof finish>[2]> {
  const out: Array<Parameters<typeof finish>[2]> = [];
  const free = new Map(inv.cluster.csvs.map((c) => [c.id, c.freeBytes]));
  for (const vm of inv.vms) {
    const csvs = backupCsvsOf(vm);
    if (csvs.length < 2) continue;
    const bytesOn = (c: string) =>
      backupDisks(vm)
        .filter((d) => d.csvId === c)
        .reduce((s, d) => s + diskFootprint(d), 0);
    const ownerOf = (c: string) => inv.cluster.csvs.find((x) => x.id === c)?.ownerNode;
    const target = [...csvs].sort(
      (a, b) =>
        bytesOn(b) - bytesOn(a) ||
        Number(ownerOf(b) === vm.hostNode) - Number(ownerOf(a) === vm.hostNode) ||
        a.localeCompare(b),
    )[0] as string;
    const moving = backupDisks(vm).filter((d) => d.csvId !== target);
    const need = moving.reduce((s, d) => s + diskFootprint(d), 0);
    if ((free.get(target) ?? 0) < need) continue;
    out.push({
      id: `move-disk:${vm.id}:${target}`,
      kind: 'move-disk',
      title: `Move ${fmtList(moving.map(diskLabel))} of ${vm.name} to ${csvName(inv, target)}`,
      why: `${vm.name}'s other data is on ${csvName(inv, target)}; with all its disks on one CSV its backup needs one volume instead of ${csvs.length} (storage live migration, ${fmtBytes(need)} to copy).`,
      steps: moving.map((d) => ({
        kind: 'move-disk',
        vmId: vm.id,
        diskId: d.id,
        fromCsvId: d.csvId as string,
        toCsvId: target,
        bytes: diskFootprint(d),
      })),
    });
  }
  return out;
}

/** Live-migrate a VM to the node that owns all of its CSVs. */
function migrateRecs(inv: Inventory): Array<Parameters<typeof finish>[2]> {
  const up = new Set(upNodes(inv));
  const out: Array<Parameters<typeof finish>[2]> = [];
  for (const vm of inv.vms) {
    const csvs = backupCsvsOf(vm);
    if (csvs.length === 0) continue;
    const owners = new Set(csvs.map((c) => inv.cluster.csvs.find((x) => x.id === c)?.ownerNode));
    const [owner] = [...owners];
    if (owners.size !== 1 || owner === undefined || owner === vm.hostNode || !up.has(owner))
      continue;
    out.push({
      id: `live-migrate:${vm.id}:${owner}`,
      kind: 'live-migrate',
      title: `Live-migrate ${vm.name} to ${owner}`,
      why: `All of ${vm.name}'s disks are on ${fmtList(csvs.map((c) => csvName(inv, c)))}, which ${owner} owns; running on ${owner}, its backup needs no ownership move.`,
      steps: [{ kind: 'migrate-vm', vmId: vm.id, from: vm.hostNode, to: owner }],
    });
  }
  return out;
}

/* ------------------------------------------------------ one job per CSV */

/**
 * Seed 000's solution, computed: give every node that hosts VMs its own CSV(s), make it the owner, and move
 * each VM's files onto a CSV its node owns (migrating the VM only when its node gets no CSV), so each node
 * backs up its CSVs with one job per CSV and no job ever waits for another.
 */
export function oneJobPerCsv(inv: Inventory): Recommendation {
  return finish(inv, findConflicts(inv), oneJobPerCsvDraft(inv));
}

function oneJobPerCsvDraft(inv: Inventory): Parameters<typeof finish>[2] {
  const up = upNodes(inv);
  const upSet = new Set(up);
  const csvs = inv.cluster.csvs;
  const vmsC = inv.vms.filter((v) => backupDisks(v).length > 0);
  const weight = new Map<string, Map<string, number>>();
  const w = (n: string, c: string) => weight.get(n)?.get(c) ?? 0;
  for (const v of vmsC)
    for (const d of backupDisks(v)) {
      const m = weight.get(v.hostNode) ?? new Map<string, number>();
      m.set(d.csvId as string, (m.get(d.csvId as string) ?? 0) + diskFootprint(d));
      weight.set(v.hostNode, m);
    }
  const demand = (n: string) => [...(weight.get(n)?.values() ?? [])].reduce((s, b) => s + b, 0);
  const needing = up
    .filter((n) => demand(n) > 0)
    .sort((a, b) => demand(b) - demand(a) || a.localeCompare(b));

  // 1. Decide an owner per CSV: first one CSV for each node that hosts VMs (where most of its data already is).
  const assign = new Map<string, string>();
  for (const n of needing) {
    const free = csvs.filter((c) => !assign.has(c.id));
    const best = free.sort(
      (a, b) =>
        w(n, b.id) - w(n, a.id) ||
        Number(b.ownerNode === n) - Number(a.ownerNode === n) ||
        b.freeBytes - a.freeBytes ||
        a.id.localeCompare(b.id),
    )[0];
    if (!best) break;
    assign.set(best.id, n);
  }
  // Remaining CSVs go to the node with most data on them (or stay with their owner).
  for (const c of csvs) {
    if (assign.has(c.id)) continue;
    const ranked = up
      .filter((n) => w(n, c.id) > 0)
      .sort((a, b) => w(b, c.id) - w(a, c.id) || a.localeCompare(b));
    const to = ranked[0] ?? (upSet.has(c.ownerNode) ? c.ownerNode : up[0]);
    if (to !== undefined) assign.set(c.id, to);
  }
  const owned = (n: string) => csvs.filter((c) => assign.get(c.id) === n).map((c) => c.id);

  // 2. Place every VM's disks on a CSV its node owns.
  const steps: RecommendationStep[] = [];
  const migrations: RecommendationStep[] = [];
  const moves: RecommendationStep[] = [];
  const unresolved: string[] = [];
  const free = new Map(csvs.map((c) => [c.id, c.freeBytes]));
  const hosted = new Map<string, number>();
  for (const v of inv.vms) hosted.set(v.hostNode, (hosted.get(v.hostNode) ?? 0) + 1);
  for (const v of vmsC) {
    let host = v.hostNode;
    const disks = backupDisks(v);
    const bytesOn = (c: string) =>
      disks.filter((d) => d.csvId === c).reduce((s, d) => s + diskFootprint(d), 0);
    if (!upSet.has(host) || owned(host).length === 0) {
      const owners = [...new Set(assign.values())];
      const bytesFor = (n: string) => owned(n).reduce((s, c) => s + bytesOn(c), 0);
      const to = owners.sort(
        (a, b) =>
          bytesFor(b) - bytesFor(a) ||
          (hosted.get(a) ?? 0) - (hosted.get(b) ?? 0) ||
          a.localeCompare(b),
      )[0];
      if (to === undefined) {
        unresolved.push(`${v.name}: no running node can own a CSV for it.`);
        continue;
      }
      migrations.push({ kind: 'migrate-vm', vmId: v.id, from: host, to });
      hosted.set(host, (hosted.get(host) ?? 1) - 1);
      hosted.set(to, (hosted.get(to) ?? 0) + 1);
      host = to;
    }
    const mine = owned(host);
    const target = [...mine].sort(
      (a, b) =>
        bytesOn(b) - bytesOn(a) || (free.get(b) ?? 0) - (free.get(a) ?? 0) || a.localeCompare(b),
    )[0];
    if (target === undefined) {
      unresolved.push(`${v.name}: ${host} owns no CSV.`);
      continue;
    }
    for (const d of disks) {
      if (d.csvId === target) continue;
      const need = diskFootprint(d);
      const from = d.csvId as string;
      const dest =
        (free.get(target) ?? 0) >= need
          ? target
          : [...mine]
              .filter((c) => c !== from && (free.get(c) ?? 0) >= need)
              .sort((a, b) => (free.get(b) ?? 0) - (free.get(a) ?? 0))[0];
      if (dest === undefined) {
        if (!mine.includes(from))
          unresolved.push(
            `${v.name}: no CSV owned by ${host} has ${fmtBytes(need)} free for ${diskLabel(d)}.`,
          );
        continue;
      }
      if (dest === from) continue;
      moves.push({
        kind: 'move-disk',
        vmId: v.id,
        diskId: d.id,
        fromCsvId: from,
        toCsvId: dest,
        bytes: need,
      });
      free.set(dest, (free.get(dest) ?? 0) - need);
      free.set(from, (free.get(from) ?? 0) + need);
    }
  }
  for (const c of csvs) {
    const to = assign.get(c.id);
    if (to !== undefined && to !== c.ownerNode)
      steps.push({ kind: 'set-csv-owner', csvId: c.id, from: c.ownerNode, to });
  }
  steps.push(...migrations, ...moves);
  const layout = up
    .filter((n) => owned(n).length > 0)
    .map((n) => `${n} → ${fmtList(owned(n).map((c) => csvName(inv, c)))}`)
    .join('; ');
  return {
    id: 'one-job-per-csv',
    kind: 'one-job-per-csv',
    title: 'One job per CSV: give each node its own CSV and put its VMs’ files there',
    why: `Seed 000's way out of ownership contention: keep the files of every VM a node hosts on a CSV that node owns, and back up each CSV in one job; then no job waits for another and all jobs run in parallel. Layout: ${layout || 'nothing to assign'}.${
      migrations.length > 0
        ? ` ${migrations.length} VM${migrations.length > 1 ? 's move' : ' moves'} to another node because ${migrations.length > 1 ? 'their nodes get' : 'its node gets'} no CSV (more nodes than CSVs, or the node is down).`
        : ''
    }`,
    steps,
    unresolved,
  };
}

/* ------------------------------------------------------------------ all */

/** Every recommendation that removes at least one conflict, the complete "one job per CSV" first. */
export function recommend(inv: Inventory): RecommendResult {
  const conflicts = findConflicts(inv);
  const singles = [...ownerRecs(inv), ...diskRecs(inv), ...migrateRecs(inv)]
    .map((r) => finish(inv, conflicts, r))
    .filter((r) => r.removes.length > 0)
    .sort(
      (a, b) =>
        b.removes.length - b.introduces.length - (a.removes.length - a.introduces.length) ||
        a.id.localeCompare(b.id),
    );
  const all = oneJobPerCsv(inv);
  const recommendations =
    all.steps.length > 0 && all.removes.length > 0 ? [all, ...singles] : singles;
  const { method } = backupMethodOf(inv);
  const notes =
    method === 'recovery-checkpoint-rct'
      ? [
          'This cluster backs up with recovery checkpoints (2016+): CSV ownership never makes a backup wait. These changes only keep volume metadata I/O on the owner and matter again if you back up with host VSS snapshots.',
        ]
      : [
          'This cluster backs up with host VSS snapshots per CSV: each removed conflict is a wait or an ownership move less in every backup window.',
        ];
  if (conflicts.length === 0)
    notes.push('No conflicts: every VM runs on the owner of the CSVs that hold its disks.');
  return { method, conflicts, recommendations, notes };
}
