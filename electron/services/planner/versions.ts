// Pure: Windows Server version order, cluster functional level, VM configuration version and the backup method they imply.
import type { HostOsVersion, Inventory, Vm } from '../../../shared/model';
import type { BackupMethod } from '../../../shared/planner';

const ORDER: readonly HostOsVersion[] = [
  '2008R2',
  '2012',
  '2012R2',
  '2016',
  '2019',
  '2022',
  '2025',
];

/** Cluster functional level numbers (Get-Cluster).ClusterFunctionalLevel → the Windows Server version. */
const FUNCTIONAL_LEVELS: Record<string, HostOsVersion> = {
  '6': '2008R2',
  '7': '2012',
  '8': '2012R2',
  '9': '2016',
  '10': '2019',
  '11': '2022',
  '12': '2025',
};

export function osRank(v: HostOsVersion): number {
  return ORDER.indexOf(v);
}

export function osAtLeast(v: HostOsVersion, min: HostOsVersion): boolean {
  return osRank(v) >= osRank(min);
}

/** Windows Server version shown to admins: "2012R2" → "2012 R2". */
export function osLabel(v: HostOsVersion): string {
  return v.replace('R2', ' R2');
}

/** The functional level as a Windows Server version; accepts "2016", "2012R2", "9" or "9.0". Unknown → null. */
export function functionalLevelVersion(level: string): HostOsVersion | null {
  const t = level.trim().replace(/\s+/g, '').toUpperCase();
  const named = ORDER.find((v) => v.toUpperCase() === t);
  if (named) return named;
  const num = /^(\d+)(?:\.0)?$/.exec(t)?.[1];
  return num === undefined ? null : (FUNCTIONAL_LEVELS[num] ?? null);
}

/** "9.0" → [9, 0]; unparsable → [0, 0]. */
export function parseConfigVersion(v: string): [number, number] {
  const m = /^(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : [0, 0];
}

export function configAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = parseConfigVersion(v);
  return a > major || (a === major && b >= minor);
}

/** The OS of the node a VM runs on (the cluster's when the node is unknown). */
export function hostOsOf(inv: Inventory, vm: Vm): HostOsVersion {
  return inv.cluster.nodes.find((n) => n.name === vm.hostNode)?.osVersion ?? inv.cluster.osVersion;
}

/** The oldest OS among the cluster's nodes (rolling upgrades leave mixed clusters). */
export function oldestNodeOs(inv: Inventory): HostOsVersion {
  let oldest = inv.cluster.osVersion;
  for (const n of inv.cluster.nodes) if (osRank(n.osVersion) < osRank(oldest)) oldest = n.osVersion;
  return oldest;
}

/**
 * Which backup method applies to the cluster, and why. Recovery checkpoints with RCT need every node on
 * 2016 or later and the cluster functional level raised to 2016 (hyperv-api.md §14, field survey §3 #4).
 */
export function backupMethodOf(inv: Inventory): { method: BackupMethod; reason: string } {
  const oldest = oldestNodeOs(inv);
  const level = functionalLevelVersion(inv.cluster.functionalLevel) ?? inv.cluster.osVersion;
  if (!osAtLeast(oldest, '2016')) {
    return {
      method: 'host-vss-csv',
      reason: `Windows Server ${osLabel(oldest)} backs up VMs with a host VSS snapshot of each CSV: the node that takes the snapshot must own the CSV, and the CSV cannot change owner while it is snapshotted.`,
    };
  }
  if (!osAtLeast(level, '2016')) {
    return {
      method: 'host-vss-csv',
      reason: `The nodes run Windows Server ${osLabel(oldest)} or later but the cluster functional level is still ${osLabel(level)}: until Update-ClusterFunctionalLevel runs, backups use host VSS snapshots per CSV and no change tracking.`,
    };
  }
  return {
    method: 'recovery-checkpoint-rct',
    reason: `Windows Server ${osLabel(oldest)}+ backs up each VM from its own recovery checkpoint with resilient change tracking: no CSV snapshot, so CSV ownership never makes one job wait for another.`,
  };
}
