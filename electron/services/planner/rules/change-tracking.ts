// Rules: can Hyper-V track changes for the VM (config ≥ 6.2, hosts and functional level ≥ 2016), and will the next run be FULL, and why.
import type { Vm } from '../../../../shared/model';
import { visibleDisks } from '../plan';
import { fmtBytes } from '../select';
import {
  configAtLeast,
  functionalLevelVersion,
  osAtLeast,
  osLabel,
  oldestNodeOs,
} from '../versions';
import type { PreflightRule, RuleContext } from './types';

/** Reasons Hyper-V keeps no change tracking for the VM; empty when it can. */
export function rctBlockers(vm: Vm, ctx: RuleContext): string[] {
  const out: string[] = [];
  const host = ctx.hostOs(vm);
  const oldest = oldestNodeOs(ctx.inv);
  const level = functionalLevelVersion(ctx.inv.cluster.functionalLevel);
  if (!osAtLeast(host, '2016'))
    out.push(
      `its host ${vm.hostNode} runs Windows Server ${osLabel(host)} (change tracking needs 2016 or later)`,
    );
  else if (!osAtLeast(oldest, '2016'))
    out.push(
      `the cluster still has Windows Server ${osLabel(oldest)} nodes (mixed-version cluster)`,
    );
  if (level !== null && !osAtLeast(level, '2016') && osAtLeast(host, '2016'))
    out.push(
      `the cluster functional level is ${osLabel(level)} (run Update-ClusterFunctionalLevel once every node runs 2016+)`,
    );
  if (!configAtLeast(vm.configVersion, 6, 2))
    out.push(`its configuration version is ${vm.configVersion} (6.2 or later is needed)`);
  return out;
}

export const rctSupportedRule: PreflightRule = {
  id: 'change-tracking-supported',
  title: 'Change tracking possible',
  scope: 'vm',
  severity: 'warning',
  description:
    'Resilient change tracking (incremental backups) needs hosts on Windows Server 2016 or later, the cluster functional level raised to 2016+, and a VM configuration version of 6.2 or later. Otherwise every run reads the whole disks.',
  check(vm, ctx) {
    const blockers = rctBlockers(vm, ctx);
    if (blockers.length === 0)
      return {
        status: 'pass',
        message: `Hyper-V can track ${vm.name}'s changes (configuration ${vm.configVersion}).`,
      };
    const preRct = !osAtLeast(ctx.hostOs(vm), '2016');
    return {
      status: 'fail',
      severity: preRct ? 'info' : 'warning',
      message: `Every backup of ${vm.name} will be FULL: ${blockers.join('; ')}.`,
      evidence: [
        `Host ${vm.hostNode}: Windows Server ${osLabel(ctx.hostOs(vm))}`,
        `Cluster functional level: ${ctx.inv.cluster.functionalLevel}`,
        `Configuration version: ${vm.configVersion}`,
      ],
      fix: preRct
        ? 'Expected before Windows Server 2016 (no native change tracking). Plan the window for full reads, or upgrade the cluster.'
        : `Raise the cluster functional level if needed (Update-ClusterFunctionalLevel), then shut the VM down and run Update-VMVersion -Name '${vm.name}'.`,
    };
  },
};

export const rctNextRunRule: PreflightRule = {
  id: 'change-tracking-next-run',
  title: 'Next run incremental or FULL',
  scope: 'vm',
  severity: 'warning',
  description:
    'Asks change tracking, per disk, what changed since the last reference point. A missing reference point or an answer of "full required" (storage migrated, disk replaced, tracking reset) means the next run reads the whole disk: better known before the window.',
  check(vm, ctx) {
    if (ctx.method !== 'recovery-checkpoint-rct')
      return {
        status: 'not-applicable',
        message: 'No change tracking on this cluster: every run is full.',
      };
    if (rctBlockers(vm, ctx).length > 0)
      return {
        status: 'not-applicable',
        message: 'Change tracking is not possible for this VM (see "Change tracking possible").',
      };
    const disks = visibleDisks(vm);
    const facts = disks.map((d) => ({ d, f: ctx.facts.rct?.[d.id] }));
    const name = (path: string) => path.split('\\').pop() ?? path;
    if (facts.some((x) => x.f === undefined)) {
      return {
        status: 'unknown',
        message: `Change tracking was not asked for ${facts
          .filter((x) => x.f === undefined)
          .map((x) => name(x.d.path))
          .join(', ')}.`,
      };
    }
    const evidence: string[] = [];
    const full: string[] = [];
    const firstRun: string[] = [];
    let changed = 0;
    let unknown = false;
    for (const { d, f } of facts) {
      if (!f) continue;
      const disk = name(d.chain[0]?.path ?? d.path);
      if (f.referencePointId === null) {
        firstRun.push(disk);
        evidence.push(`${disk}: no reference point`);
      } else if (!f.answer) {
        unknown = true;
        evidence.push(`${disk}: reference point ${f.referencePointId}, changes not asked`);
      } else if (f.answer.kind === 'ranges') {
        changed += f.answer.changedBytes;
        evidence.push(
          `${disk}: ${fmtBytes(f.answer.changedBytes)} changed of ${fmtBytes(f.answer.virtualSize)} since reference point ${f.referencePointId}`,
        );
      } else if (f.answer.kind === 'full-required') {
        full.push(`${disk}: ${f.answer.reason}`);
        evidence.push(`${disk}: full required (${f.answer.reason})`);
      } else {
        full.push(`${disk}: change tracking failed (${f.answer.message})`);
        evidence.push(`${disk}: error ${f.answer.message}`);
      }
    }
    if (full.length > 0) {
      return {
        status: 'fail',
        severity: 'warning',
        message: `The next run of ${vm.name} will be FULL because ${full.join('; ')}.`,
        evidence,
        fix: 'Nothing to repair: plan the window for a full read of these disks. If it happens after every run, check for storage migrations or tools that reset change tracking.',
      };
    }
    if (firstRun.length > 0) {
      return {
        status: 'fail',
        severity: 'info',
        message: `The next run of ${vm.name} will be FULL because ${firstRun.join(', ')} ${firstRun.length > 1 ? 'have' : 'has'} no reference point yet (first backup, or the reference point was removed).`,
        evidence,
        fix: 'Expected for a first backup; later runs are incremental once a reference point exists.',
      };
    }
    if (unknown)
      return {
        status: 'unknown',
        message: 'A reference point exists but its changes were not asked.',
        evidence,
      };
    return {
      status: 'pass',
      message: `The next run of ${vm.name} is incremental: about ${fmtBytes(changed)} changed.`,
      evidence,
    };
  },
};
