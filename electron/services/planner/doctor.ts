// Pure: the checkpoint doctor — orphaned .avhdx files, lingering recovery checkpoints, broken chains, merges pending or failed — and a safe repair plan.
import type { Inventory, Vm } from '../../../shared/model';
import type {
  DoctorFacts,
  DoctorFinding,
  DoctorOptions,
  DoctorReport,
  RepairPlan,
  RepairStep,
} from '../../../shared/planner';
import { isOwnedByJob } from './rules/checkpoints';
import { fmtBytes } from './select';

/** Folder (at the root of each CSV) where the doctor moves orphaned files instead of deleting them. */
export const QUARANTINE_DIR = '.hvbc-quarantine';

/** Compare Windows paths: backslashes, case-insensitive. */
export function normPath(p: string): string {
  return p.replace(/\//g, '\\').replace(/\\+$/, '').toLowerCase();
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** The CSV whose mount path holds the file, if any. */
export function csvOfPath(
  inv: Inventory,
  p: string,
): { id: string; name: string; path: string } | undefined {
  const n = normPath(p);
  return inv.cluster.csvs.find((c) => n.startsWith(`${normPath(c.path)}\\`));
}

export function isInQuarantine(p: string): boolean {
  return normPath(p).split('\\').includes(QUARANTINE_DIR);
}

/** Where a file goes when quarantined: <csv>\.hvbc-quarantine\<stamp>\<path below the CSV>. */
export function quarantinePathOf(inv: Inventory, p: string, now: string): string | undefined {
  const csv = csvOfPath(inv, p);
  if (!csv) return undefined;
  const rel = p.replace(/\//g, '\\').slice(csv.path.length).replace(/^\\+/, '');
  const stamp = now.replace(/[:.]/g, '-');
  return `${csv.path}\\${QUARANTINE_DIR}\\${stamp}\\${rel}`;
}

interface Index {
  /** Every file any VM's disk chain references (and each disk's active path). */
  referenced: Map<string, Array<{ vm: Vm; diskId: string }>>;
  /** Parent path → child paths (from the chains and from the listing's headers). */
  children: Map<string, Set<string>>;
  sharedParents: Set<string>;
}

function buildIndex(inv: Inventory, facts: DoctorFacts): Index {
  const referenced = new Map<string, Array<{ vm: Vm; diskId: string }>>();
  const children = new Map<string, Set<string>>();
  const ref = (p: string, vm: Vm, diskId: string) => {
    const k = normPath(p);
    const list = referenced.get(k) ?? [];
    if (!list.some((x) => x.vm.id === vm.id && x.diskId === diskId)) list.push({ vm, diskId });
    referenced.set(k, list);
  };
  const link = (parent: string, child: string) => {
    const k = normPath(parent);
    const set = children.get(k) ?? new Set<string>();
    set.add(normPath(child));
    children.set(k, set);
  };
  for (const vm of inv.vms)
    for (const d of vm.disks) {
      if (d.path) ref(d.path, vm, d.id);
      for (const f of d.chain) {
        ref(f.path, vm, d.id);
        if (f.parentPath) link(f.parentPath, f.path);
      }
    }
  for (const [child, parent] of Object.entries(facts.fileParents ?? {}))
    if (parent) link(parent, child);
  const sharedParents = new Set<string>();
  for (const [p, kids] of children) if (kids.size > 1) sharedParents.add(p);
  // A file in the chains of two disks (a shared VHD Set, a common golden image) is shared too.
  for (const [p, users] of referenced)
    if (
      new Set(users.map((u) => u.diskId)).size > 1 ||
      users.some((u) => u.vm.disks.some((d) => d.id === u.diskId && d.shared))
    )
      sharedParents.add(p);
  return { referenced, children, sharedParents };
}

/** Scan the inventory and the gathered facts; changes nothing. */
export function scanDoctor(
  inv: Inventory,
  facts: DoctorFacts,
  opts: DoctorOptions = {},
): DoctorReport {
  const minAge = (opts.minOrphanAgeMinutes ?? 60) * 60_000;
  const now = Date.parse(facts.now);
  const idx = buildIndex(inv, facts);
  const findings: DoctorFinding[] = [];
  const notes: string[] = [];
  const listed = new Set((facts.files ?? []).map((f) => normPath(f.path)));
  const listing = facts.files !== undefined;

  // 1. Files on the CSVs that no chain references.
  let young = 0;
  for (const f of facts.files ?? []) {
    const k = normPath(f.path);
    if (isInQuarantine(f.path) || idx.referenced.has(k)) continue;
    const ext = /\.([a-z0-9]+)$/i.exec(f.path)?.[1]?.toLowerCase() ?? '';
    if (!['avhdx', 'avhd', 'vhdx', 'vhd', 'vhds'].includes(ext)) continue;
    if (Number.isFinite(now) && now - Date.parse(f.mtime) < minAge) {
      young++;
      continue;
    }
    const kids = [...(idx.children.get(k) ?? [])];
    const parentOfReferenced = kids.some((c) => idx.referenced.has(c));
    const shared = idx.sharedParents.has(k);
    if (ext === 'avhdx' || ext === 'avhd') {
      const autoRecovery = /autorecovery/i.test(baseName(f.path));
      const safe = !parentOfReferenced && !shared;
      const parent = facts.fileParents?.[f.path] ?? undefined;
      findings.push({
        id: `orphan:${k}`,
        kind: 'orphan-file',
        severity: 'warning',
        path: f.path,
        ...(parent ? { parentPath: parent } : {}),
        sizeBytes: f.size,
        message: autoRecovery
          ? `${baseName(f.path)} is a leftover AutoRecovery disk of an interrupted 2012 R2 backup: the next checkpoint of that VM fails with 0x800423FB or "The file exists" (KB3175561).`
          : `${baseName(f.path)} (${fmtBytes(f.size)}) is in no VM's disk chain: a differencing disk left behind by a failed checkpoint removal or backup.`,
        evidence: [
          `Listed at ${f.path}, modified ${f.mtime}`,
          'Referenced by no disk chain of any VM in the inventory',
          ...(kids.length > 0
            ? [
                `Parent of ${kids.length} other file${kids.length > 1 ? 's' : ''}: ${kids.join(', ')}`,
              ]
            : []),
        ],
        proposal: safe
          ? 'Move it to the quarantine folder on the same CSV (nothing is deleted); delete it from there once backups and VMs run cleanly.'
          : 'Leave it: other files name it as their parent. Find out which before touching it.',
        repairable: safe,
      });
    } else {
      findings.push({
        id: `orphan:${k}`,
        kind: 'unregistered-disk',
        severity: 'info',
        path: f.path,
        sizeBytes: f.size,
        message: `${baseName(f.path)} (${fmtBytes(f.size)}) is attached to no VM: a detached data disk, a template, or a leftover.`,
        evidence: [
          `Listed at ${f.path}, modified ${f.mtime}`,
          'Referenced by no VM in the inventory',
        ],
        proposal:
          'Left alone: a base disk may be somebody’s data. Attach, archive or delete it yourself.',
        repairable: false,
      });
    }
  }
  if (young > 0)
    notes.push(
      `${young} unreferenced file${young > 1 ? 's were' : ' was'} newer than ${opts.minOrphanAgeMinutes ?? 60} minutes and may belong to an operation in flight: not reported.`,
    );
  if (!listing)
    notes.push(
      'No listing of the CSV folders was available: orphaned files were not searched for.',
    );

  // 2. Recovery checkpoints that no running job owns.
  for (const vm of inv.vms) {
    for (const cp of vm.checkpoints) {
      if (
        cp.type !== 'recovery' ||
        isOwnedByJob(cp, facts.activeCheckpointIds ?? [], facts.activeTaskIds ?? [])
      )
        continue;
      const files = vm.disks.flatMap((d) =>
        d.chain.filter((f) => f.checkpointId === cp.id).map((f) => f.path),
      );
      const shared = vm.disks.some(
        (d) => d.shared && d.chain.some((f) => f.checkpointId === cp.id),
      );
      findings.push({
        id: `recovery:${vm.id}:${cp.id}`,
        kind: 'lingering-recovery-checkpoint',
        severity: 'warning',
        vmId: vm.id,
        vmName: vm.name,
        checkpointId: cp.id,
        message: `${vm.name} still has recovery checkpoint "${cp.name}" from ${cp.created}${cp.createdBy ? ` (made by ${cp.createdBy})` : ''}, and no running backup owns it.`,
        evidence: [
          `Checkpoint ${cp.id}, type recovery`,
          ...files.map((p) => `Its differencing file: ${p}`),
        ],
        proposal: shared
          ? 'It covers a shared VHD Set disk: remove it through the VM group (collection) with every guest node in mind; merging the VHD Set by hand is never safe (seed 003).'
          : 'Remove it through Hyper-V (Remove-VMSnapshot), which merges its file into the parent while the VM runs; then check that the file left the chain.',
        repairable: !shared,
      });
    }
  }

  // 3. Chains whose parent linkage is broken, by the inventory, the listing and the engine.
  let checked = 0;
  const notCreated = new Set(facts.notCreatedDiskIds ?? []);
  if (notCreated.size > 0)
    notes.push(
      `${notCreated.size} disk${notCreated.size > 1 ? 's are' : ' is'} not created yet (made on first use): their chains were not checked.`,
    );
  for (const vm of inv.vms)
    for (const d of vm.disks) {
      if (d.chain.length === 0 || notCreated.has(d.id)) continue;
      if (inv.vms.find((v) => v.disks.some((x) => x.id === d.id)) !== vm) continue; // shared disk: check once
      checked++;
      const problems: string[] = [];
      let code = '';
      d.chain.forEach((f, i) => {
        const prev = d.chain[i - 1];
        if (
          i > 0 &&
          prev &&
          (f.parentPath === null || normPath(f.parentPath) !== normPath(prev.path))
        ) {
          problems.push(
            `${baseName(f.path)} names ${f.parentPath ?? 'no parent'} as its parent, but the chain says ${prev.path}`,
          );
          code ||= 'CHAIN_BROKEN';
        }
        if (listing && csvOfPath(inv, f.path) && !listed.has(normPath(f.path))) {
          problems.push(
            `${f.path} is missing on the volume${i < d.chain.length - 1 ? ' (a parent of the running disk)' : ''}`,
          );
          code ||= 'PARENT_MISSING';
        }
      });
      const engine = facts.chainChecks?.[d.id];
      if (engine && engine.ok === false) {
        problems.push(`Opening the chain failed: ${engine.message}`);
        code ||= engine.code;
      }
      if (problems.length === 0) continue;
      findings.push({
        id: `chain:${d.id}`,
        kind: 'broken-chain',
        severity: 'error',
        vmId: vm.id,
        vmName: vm.name,
        diskId: d.id,
        path: d.path,
        message: `The disk chain of ${vm.name} (${baseName(d.chain[0]?.path ?? d.path)}) is broken [${code}]: ${problems[0]}.`,
        evidence: [
          ...problems,
          ...d.chain.map((f, i) => `${i}: ${f.path}${f.parentPath ? ` ← ${f.parentPath}` : ''}`),
        ],
        proposal:
          'Repair by hand, never automatically: do not start (or keep running) the VM on this chain; restore the missing parent from a backup, or reconnect the right parent with Set-VHD -ParentPath after checking its identity (Inspect Disk). Never merge the files by hand.',
        repairable: false,
      });
    }

  // 4. Merges pending or failed: a removed checkpoint whose differencing file is still in a chain.
  const merges19100 = (facts.events ?? []).filter((e) => e.id === 19100);
  for (const vm of inv.vms) {
    const known = new Set(
      inv.vms
        .filter((v) => v.disks.some((x) => vm.disks.some((y) => y.id === x.id)))
        .flatMap((v) => v.checkpoints.map((c) => c.id)),
    );
    for (const d of vm.disks) {
      if (inv.vms.find((v) => v.disks.some((x) => x.id === d.id)) !== vm) continue;
      for (const f of d.chain) {
        if (f.checkpointId === null || known.has(f.checkpointId)) continue;
        const failed = merges19100.filter((e) => e.vmId === vm.id);
        const host =
          inv.cluster.nodes.find((n) => n.name === vm.hostNode)?.osVersion ?? inv.cluster.osVersion;
        const offlineOnly = host === '2008R2';
        findings.push({
          id: `merge:${d.id}:${f.checkpointId}`,
          kind: failed.length > 0 ? 'merge-failed' : 'merge-pending',
          severity: failed.length > 0 ? 'error' : 'warning',
          vmId: vm.id,
          vmName: vm.name,
          diskId: d.id,
          checkpointId: f.checkpointId,
          path: f.path,
          message:
            failed.length > 0
              ? `The merge of ${baseName(f.path)} into its parent failed (event 19100): the checkpoint is gone but its file is still in ${vm.name}'s chain, and the next backup may fail with "file in use".`
              : offlineOnly && vm.state !== 'Off'
                ? `${baseName(f.path)} waits to be merged: on Windows Server 2008 R2 a removed snapshot merges only when ${vm.name} is shut down (not restarted).`
                : `${baseName(f.path)} of a removed checkpoint is still in ${vm.name}'s chain: its merge has not finished.`,
          evidence: [
            `Chain file ${f.path}`,
            `Checkpoint ${f.checkpointId} no longer exists`,
            ...failed.map((e) => `Event ${e.id} at ${e.time}: ${e.message}`),
          ],
          proposal:
            failed.length > 0
              ? 'Find why the merge stopped (a backup or antivirus holding the file, seed 003; too little free space), fix it, then shut the VM down and start it again so Hyper-V retries the merge. Never run Merge-VHD on a file the VM still uses.'
              : offlineOnly && vm.state !== 'Off'
                ? `Shut ${vm.name} down (from Failover Cluster Manager) and leave it off until the merge finishes.`
                : 'Wait for Hyper-V to finish the merge and scan again; do not start another backup of this VM meanwhile.',
          repairable: false,
        });
      }
    }
  }

  // Protected: what a chain references, shared parents, and parents of referenced files (never orphans anyway).
  const parentsOfReferenced = [...idx.children]
    .filter(([, kids]) => [...kids].some((c) => idx.referenced.has(c)))
    .map(([p]) => p);
  const protectedPaths = [
    ...new Set([...idx.referenced.keys(), ...idx.sharedParents, ...parentsOfReferenced]),
  ].sort();
  return {
    generatedAt: facts.now,
    clusterName: inv.cluster.name,
    listingAvailable: listing,
    chainsChecked: checked,
    findings,
    protectedPaths,
    sharedParents: [...idx.sharedParents].sort(),
    notes,
  };
}

type StepDraft = RepairStep extends infer S
  ? S extends RepairStep
    ? Omit<S, 'id' | 'order'>
    : never
  : never;

/**
 * A safe repair order for the chosen findings (all repairable ones when none are named):
 * 1. lingering recovery checkpoints, per VM newest first, each removed through Hyper-V and then verified to
 *    have merged before the next one (a VM whose merge does not finish is left alone from then on);
 * 2. orphaned files moved to quarantine, children before parents, each re-checked just before the move;
 * 3. what only an admin can do (broken chains, failed merges, shared disks), as manual steps.
 * Never a hand merge, never a file a chain references, never a shared parent.
 */
export function planRepair(
  inv: Inventory,
  report: DoctorReport,
  findingIds?: readonly string[],
  now = report.generatedAt,
): RepairPlan {
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const refused: RepairPlan['refused'] = [];
  const chosen = findingIds === undefined ? report.findings.filter((f) => f.repairable) : [];
  for (const id of findingIds ?? []) {
    const f = byId.get(id);
    if (!f)
      refused.push({
        findingId: id,
        reason: 'No such finding in this scan: scan again, the estate may have changed.',
      });
    else if (!chosen.includes(f)) chosen.push(f);
  }
  const protectedSet = new Set(report.protectedPaths);
  const steps: RepairStep[] = [];
  const add = (s: StepDraft) => {
    steps.push({ ...s, id: `step-${steps.length + 1}`, order: steps.length + 1 });
  };

  // 1. Checkpoints, per VM, newest first.
  const cps = chosen.filter((f) => f.kind === 'lingering-recovery-checkpoint' && f.repairable);
  const vmOrder = [...new Set(cps.map((f) => f.vmId as string))];
  for (const vmId of vmOrder) {
    const vm = inv.vms.find((v) => v.id === vmId);
    if (!vm) continue;
    const mine = cps
      .filter((f) => f.vmId === vmId)
      .map((f) => ({ f, cp: vm.checkpoints.find((c) => c.id === f.checkpointId) }))
      .sort((a, b) => (b.cp?.created ?? '').localeCompare(a.cp?.created ?? ''));
    for (const { f, cp } of mine) {
      if (!cp) continue;
      const paths = vm.disks.flatMap((d) =>
        d.chain.filter((x) => x.checkpointId === cp.id).map((x) => x.path),
      );
      add({
        findingId: f.id,
        kind: 'remove-checkpoint',
        vmId,
        vmName: vm.name,
        checkpointId: cp.id,
        description: `Remove recovery checkpoint "${cp.name}" of ${vm.name} through Hyper-V (Remove-VMSnapshot); Hyper-V merges ${paths.length > 0 ? paths.map(baseName).join(', ') : 'its differencing file'} into the parent while the VM runs.`,
        safety:
          'Hyper-V does the merge and keeps the VM consistent; re-checked just before: skipped if a running backup owns the checkpoint by then.',
      });
      add({
        findingId: f.id,
        kind: 'verify-merge',
        vmId,
        vmName: vm.name,
        checkpointId: cp.id,
        paths,
        description: `Check that the checkpoint is gone and ${paths.length > 0 ? paths.map(baseName).join(', ') : 'its file'} left ${vm.name}'s chain; if the merge has not finished, stop here for ${vm.name}.`,
        safety:
          'A pending merge is never forced and never done by hand; the next checkpoint of this VM waits for it.',
      });
    }
  }

  // 2. Orphans: children before parents (a file whose parent is another chosen orphan goes first), then by path.
  const orphans = chosen.filter((f) => f.kind === 'orphan-file');
  const orphanByPath = new Map(orphans.map((o) => [normPath(o.path ?? ''), o]));
  const depth = (f: DoctorFinding): number => {
    let d = 0;
    const seen = new Set<string>([f.id]);
    for (let cur = f; cur.parentPath !== undefined;) {
      const parent = orphanByPath.get(normPath(cur.parentPath));
      if (!parent || seen.has(parent.id)) break;
      seen.add(parent.id);
      cur = parent;
      d++;
    }
    return d;
  };
  const sorted = [...orphans].sort(
    (a, b) => depth(b) - depth(a) || (a.path ?? '').localeCompare(b.path ?? ''),
  );
  const moving = new Set(sorted.filter((f) => f.repairable).map((f) => normPath(f.path ?? '')));
  for (const f of sorted) {
    const p = f.path ?? '';
    const k = normPath(p);
    if (!f.repairable || protectedSet.has(k) || report.sharedParents.includes(k)) {
      refused.push({
        findingId: f.id,
        reason: `${p} is referenced by a chain or is a parent of other files: the doctor never touches it.`,
      });
      continue;
    }
    // An orphaned parent moves only together with every orphaned child it has.
    const staying = report.findings.filter(
      (c) =>
        c.parentPath !== undefined &&
        normPath(c.parentPath) === k &&
        !moving.has(normPath(c.path ?? '')),
    );
    if (staying.length > 0) {
      refused.push({
        findingId: f.id,
        reason: `${p} is the parent of ${staying.map((c) => c.path).join(', ')}, which ${staying.length > 1 ? 'are' : 'is'} not part of this repair: choose ${staying.length > 1 ? 'them' : 'it'} too.`,
      });
      continue;
    }
    const q = quarantinePathOf(inv, p, now);
    if (!q) {
      refused.push({
        findingId: f.id,
        reason: `${p} is not on a CSV of this cluster: move it yourself if it is really unused.`,
      });
      continue;
    }
    add({
      findingId: f.id,
      kind: 'quarantine-file',
      path: p,
      quarantinePath: q,
      sizeBytes: f.sizeBytes ?? 0,
      description: `Move ${p} to ${q} (same volume, nothing deleted).`,
      safety:
        'Re-checked against every chain just before the move; skipped if anything references it by then. Undo: move it back.',
    });
  }

  // 3. What needs an admin.
  for (const f of chosen) {
    if (f.repairable && (f.kind === 'lingering-recovery-checkpoint' || f.kind === 'orphan-file'))
      continue;
    if (f.kind === 'orphan-file' && !f.repairable) continue; // already refused above
    add({
      findingId: f.id,
      kind: 'manual',
      description: `${f.message} ${f.proposal}`,
      safety: 'Not done automatically: it needs a decision only an admin can take.',
    });
  }
  return {
    generatedAt: now,
    steps,
    refused,
    notes:
      steps.length === 0
        ? ['Nothing to repair.']
        : [
            `${steps.filter((s) => s.kind !== 'manual').length} automatic step(s), ${steps.filter((s) => s.kind === 'manual').length} manual.`,
          ],
  };
}
