// Edge: gather pre-flight facts from a provider (guest VSS writers, change tracking, optional checkpoint dry run) and run the checks.
import { toErrorData } from '../../../shared/errors';
import type { Inventory, Vm, VssWriter } from '../../../shared/model';
import type {
  DryRunResult,
  GuestClusterFact,
  PreflightFacts,
  PreflightOptions,
  PreflightReport,
  RctFact,
} from '../../../shared/planner';
import type { ChangedRanges, EstateProvider } from '../providers/types';
import { visibleDisks } from './plan';
import { runPreflight } from './preflight';
import { selectVms } from './select';
import { backupMethodOf } from './versions';
import { isOwnedByJob } from './rules/checkpoints';

/** Optional provider capability: the guest-cluster conditions behind errors 32768/32770/32775. */
export interface GuestClusterProbe {
  guestClusterState?(groupId: string): Promise<GuestClusterFact>;
}

export interface GatherOptions {
  /** Take and remove a production checkpoint (fallback off) on every running VM checked. */
  dryRun?: boolean;
  /** Checkpoints that running backup jobs own. */
  activeCheckpointIds?: string[];
  /** Running task ids: a checkpoint whose createdBy is one of them belongs to a job. */
  activeTaskIds?: string[];
  signal?: AbortSignal;
  /** One line per step, for a progress display. */
  onProgress?: (message: string) => void;
}

export type LivePreflightOptions = PreflightOptions & GatherOptions;

function changedToAnswer(c: ChangedRanges): RctFact['answer'] {
  if (c.kind === 'full-required') return { kind: 'full-required', reason: c.reason };
  return {
    kind: 'ranges',
    changedBytes: c.ranges.reduce((s, r) => s + r.length, 0),
    virtualSize: c.virtualSize,
  };
}

async function rctFacts(
  provider: EstateProvider,
  vm: Vm,
  out: Record<string, RctFact>,
): Promise<void> {
  const points = await provider.listReferencePoints(vm.id);
  const newestFirst = [...points].sort((a, b) => b.created.localeCompare(a.created));
  for (const d of visibleDisks(vm)) {
    const rp = newestFirst.find((p) => p.rctIds[d.id] !== undefined);
    if (!rp) {
      out[d.id] = { referencePointId: null };
      continue;
    }
    try {
      out[d.id] = {
        referencePointId: rp.id,
        referencePointCreated: rp.created,
        answer: changedToAnswer(await provider.changedRanges(vm.id, d.id, rp.id)),
      };
    } catch (e) {
      out[d.id] = {
        referencePointId: rp.id,
        referencePointCreated: rp.created,
        answer: { kind: 'error', message: toErrorData(e).message },
      };
    }
  }
}

/** Take an application-consistent production checkpoint with fallback off, then remove it; report what happened. */
export async function dryRunCheckpoint(
  provider: EstateProvider,
  vm: Vm,
  signal?: AbortSignal,
): Promise<DryRunResult> {
  const t0 = Date.now();
  let created;
  try {
    created = await provider.createCheckpoint(vm.id, {
      type: 'production',
      consistency: 'application',
      requireConsistency: true,
      name: 'hvbc pre-flight dry run',
      createdBy: 'hvbc-preflight',
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    return { ok: false, stage: 'create', error: toErrorData(e) };
  }
  const t1 = Date.now();
  let removeError: { code: string; message: string } | undefined;
  try {
    await provider.removeCheckpoint(vm.id, created.checkpoint.id);
  } catch (e) {
    const d = toErrorData(e);
    removeError = { code: d.code, message: d.message };
  }
  const t2 = Date.now();
  return {
    ok: true,
    checkpointId: created.checkpoint.id,
    consistencyReached: created.consistencyReached,
    ...(created.fallbackReason !== undefined ? { fallbackReason: created.fallbackReason } : {}),
    removed: removeError === undefined,
    ...(removeError ? { removeError } : {}),
    createSeconds: (t1 - t0) / 1000,
    removeSeconds: (t2 - t1) / 1000,
  };
}

/** Ask the provider for what the rules cannot see in the inventory. Errors become facts, never exceptions. */
export async function gatherFacts(
  provider: EstateProvider & GuestClusterProbe,
  inv: Inventory,
  vmIds?: string[],
  opts: GatherOptions = {},
): Promise<PreflightFacts> {
  const vms = selectVms(inv, vmIds);
  const say = opts.onProgress ?? (() => undefined);
  const vssWriters: Record<string, VssWriter[]> = {};
  const vssErrors: Record<string, string> = {};
  const rctByDisk: Record<string, RctFact> = {};
  const facts: PreflightFacts = {
    vssWriters,
    vssErrors,
    rct: rctByDisk,
    activeCheckpointIds: [
      ...new Set([
        ...(opts.activeCheckpointIds ?? []),
        ...inv.vms.flatMap((v) =>
          v.checkpoints
            .filter((c) => isOwnedByJob(c, [], opts.activeTaskIds ?? []))
            .map((c) => c.id),
        ),
      ]),
    ],
  };
  const rct = backupMethodOf(inv).method === 'recovery-checkpoint-rct';
  for (const vm of vms) {
    opts.signal?.throwIfAborted();
    if (vm.state === 'Running') {
      say(`Reading the VSS writers of ${vm.name}`);
      try {
        vssWriters[vm.id] = await provider.guestVssWriters(vm.id);
      } catch (e) {
        vssErrors[vm.id] = toErrorData(e).message;
      }
    }
    if (rct) {
      say(`Asking change tracking about ${vm.name}`);
      try {
        await rctFacts(provider, vm, rctByDisk);
      } catch {
        /* no reference points readable: the rule reports "unknown" */
      }
    }
  }
  if (provider.guestClusterState) {
    facts.guestClusters = {};
    for (const g of inv.groups.filter(
      (x) => x.kind === 'guest-cluster' && x.members.some((m) => vms.some((v) => v.id === m)),
    )) {
      try {
        facts.guestClusters[g.id] = await provider.guestClusterState(g.id);
      } catch {
        /* unknown */
      }
    }
  }
  if (opts.dryRun) {
    facts.dryRuns = {};
    for (const vm of vms.filter((v) => v.state === 'Running')) {
      opts.signal?.throwIfAborted();
      say(`Dry run: production checkpoint of ${vm.name}, fallback off`);
      facts.dryRuns[vm.id] = await dryRunCheckpoint(provider, vm, opts.signal);
    }
  }
  return facts;
}

/** Inventory + facts + checks, against the estate. The dry run changes the estate only for its seconds. */
export async function runPreflightLive(
  provider: EstateProvider & GuestClusterProbe,
  vmIds: string[] | undefined,
  opts: LivePreflightOptions = {},
): Promise<PreflightReport> {
  const inv = await provider.inventory();
  const facts = await gatherFacts(provider, inv, vmIds, opts);
  return {
    ...runPreflight(inv, facts, { ...opts, ...(vmIds ? { vmIds } : {}) }),
    generatedAt: new Date().toISOString(),
  };
}
