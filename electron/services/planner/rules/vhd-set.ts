// Rule: guest clusters on a VHD Set — the conditions behind Hyper-V errors 32768, 32770 and 32775 (seed 003).
import { configAtLeast, osAtLeast, osLabel } from '../versions';
import type { PreflightRule } from './types';

/** What each collection-checkpoint error means and what to do (workinghardinit.work, seed 003). */
export const VHD_SET_ERRORS: Record<number, { meaning: string; fix: string }> = {
  32768: {
    meaning:
      'Hyper-V could not query the cluster service inside the guest (error 32768, "Failed to create checkpoint on collection")',
    fix: 'Check that the Failover Clustering feature is installed and the cluster service runs in every guest node.',
  },
  32770: {
    meaning:
      'the VHD Set is used as a Cluster Shared Volume inside the guest cluster, which cannot be checkpointed (error 32770, "Active-active access is not supported")',
    fix: 'Use the shared disk as a plain clustered disk inside the guest cluster, not as a CSV.',
  },
  32775: {
    meaning:
      'not exactly one guest node owns the shared disk: it is offline, or more than one node claims it (error 32775)',
    fix: 'Bring the shared disk online in the guest cluster so exactly one node owns it.',
  },
};

/** The Hyper-V error code a message or code carries, when it is one of 32768, 32770, 32775. */
export function vhdSetErrorIn(text: string): number | undefined {
  const m = /\b(32768|32770|32775)\b/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export const vhdSetRule: PreflightRule = {
  id: 'guest-cluster-vhd-set',
  title: 'Guest cluster on a VHD Set',
  scope: 'group',
  severity: 'error',
  description:
    'Host-level backup of a guest cluster needs Windows Server 2016+, a VHD Set (.vhds, not a shared .vhdx), VMs at configuration 6.2+, a running cluster service in the guests, the shared disk online with exactly one owner, and no CSV inside the guest cluster (errors 32768, 32770, 32775).',
  check(group, ctx) {
    if (group.kind !== 'guest-cluster')
      return { status: 'not-applicable', message: `${group.name} is not a guest cluster.` };
    const members = ctx.inv.vms.filter((v) => group.members.includes(v.id));
    const shared = members.flatMap((v) => v.disks.filter((d) => d.shared));
    const problems: string[] = [];
    const fixes: string[] = [];
    const evidence = [
      `Members: ${members.map((v) => `${v.name} on ${v.hostNode} (configuration ${v.configVersion})`).join(', ') || 'none'}`,
      `Shared disks: ${[...new Set(shared.map((d) => `${d.path} (${d.format})`))].join(', ') || 'none'}`,
    ];
    const old = members.filter((v) => !osAtLeast(ctx.hostOs(v), '2016'));
    const firstOld = old[0];
    if (firstOld) {
      problems.push(
        `${old.map((v) => v.name).join(', ')} run${old.length === 1 ? 's' : ''} on Windows Server ${osLabel(ctx.hostOs(firstOld))}, where a host-level backup cannot capture shared disks`,
      );
      fixes.push(
        'Back the shared data up from inside the guest cluster until the hosts run 2016+.',
      );
    }
    const vhdx = shared.filter((d) => d.format !== 'vhds');
    if (vhdx.length > 0) {
      problems.push(`the shared disk is a shared .vhdx, which cannot be checkpointed`);
      fixes.push(
        'Convert the shared VHDX to a VHD Set (Convert-VHD to a .vhds file) while the guest cluster is down.',
      );
    }
    const lowConfig = members.filter((v) => !configAtLeast(v.configVersion, 6, 2));
    if (lowConfig.length > 0) {
      problems.push(
        `${lowConfig.map((v) => `${v.name} (configuration ${v.configVersion})`).join(', ')} cannot join a VM group (6.2 needed)`,
      );
      fixes.push('Update-VMVersion on those VMs.');
    }
    const fact = ctx.facts.guestClusters?.[group.id];
    const codes = new Set<number>();
    if (fact) {
      evidence.push(
        `Guest cluster: service ${fact.clusterServiceRunning === undefined ? 'not checked' : fact.clusterServiceRunning ? 'running' : 'not answering'}, shared disk ${fact.sharedDiskUsedAsCsv ? 'used as a CSV' : 'not a CSV'}, owners ${fact.ownerCount ?? '?'}${fact.lastErrorCode ? `, last error ${fact.lastErrorCode}` : ''}`,
      );
      if (fact.clusterServiceRunning === false) codes.add(32768);
      if (fact.sharedDiskUsedAsCsv === true) codes.add(32770);
      if (fact.ownerCount !== undefined && fact.ownerCount !== 1) codes.add(32775);
      if (fact.lastErrorCode !== undefined && VHD_SET_ERRORS[fact.lastErrorCode])
        codes.add(fact.lastErrorCode);
    }
    for (const v of members) {
      const run = ctx.facts.dryRuns?.[v.id];
      if (run && !run.ok) {
        const text = `${run.error.message} ${JSON.stringify(run.error.details ?? {})}`;
        const code = /0x800423f4|writer/i.test(text) ? undefined : vhdSetErrorIn(text);
        if (code !== undefined) {
          codes.add(code);
          evidence.push(`Dry run on ${v.name}: ${run.error.message}`);
        }
      }
    }
    for (const code of [...codes].sort()) {
      const e = VHD_SET_ERRORS[code];
      if (!e) continue;
      problems.push(e.meaning);
      fixes.push(e.fix);
    }
    if (problems.length > 0) {
      return {
        status: 'fail',
        severity: 'error',
        message: `The backup of guest cluster ${group.name} will fail: ${problems.join('; ')}.`,
        evidence,
        fix: fixes.join(' '),
      };
    }
    if (!fact && !members.some((v) => ctx.facts.dryRuns?.[v.id]?.ok)) {
      return {
        status: 'unknown',
        message: `${group.name}'s layout is fine for a collection backup; the guest side (cluster service, single owner of the shared disk, no CSV in the guest) was not checked.`,
        evidence,
        fix: 'Run the pre-flight with --dry-run, or check the guest cluster with Get-ClusterResource inside a guest.',
      };
    }
    return {
      status: 'pass',
      message: `${group.name} meets the conditions for a collection checkpoint.`,
      evidence,
    };
  },
};
