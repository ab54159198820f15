// Rule: CSVs in redirected access before the backup starts (I/O already going over the network to the owner).
import type { PreflightRule } from './types';

export const csvAccessRule: PreflightRule = {
  id: 'csv-access',
  title: 'CSV in direct access',
  scope: 'csv',
  severity: 'warning',
  description:
    'A CSV in file-system or block redirected access sends the I/O of some nodes over the network to its owner. A backup on top of that is slow, and on 2008 R2 its own snapshot will redirect it again.',
  check(csv, ctx) {
    const used = ctx.vms.some((v) => v.disks.some((d) => d.csvId === csv.id));
    if (!used)
      return { status: 'not-applicable', message: `No disk of the checked VMs is on ${csv.name}.` };
    const bad = csv.states.filter((s) => s.state !== 'Direct');
    const evidence = csv.states.map(
      (s) => `${s.node}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
    );
    if (bad.length === 0)
      return {
        status: 'pass',
        message: `${csv.name} is in direct access on every node.`,
        evidence,
      };
    const backup = bad.every((s) => /backup|snapshot/i.test(s.reason));
    return {
      status: 'fail',
      severity: backup ? 'info' : 'warning',
      message: backup
        ? `${csv.name} is redirected because a backup snapshot holds it: a new job on another node waits until it is released.`
        : `${csv.name} is in redirected access on ${bad.map((s) => `${s.node} (${s.state}${s.reason ? `: ${s.reason}` : ''})`).join(', ')}: I/O of those nodes goes over the network to ${csv.ownerNode}.`,
      evidence,
      fix: backup
        ? 'Wait for the running backup to finish, or check for a snapshot left behind (vssadmin list shadows on the owner).'
        : 'Find the cause (Get-ClusterSharedVolumeState: storage connectivity, filter drivers, BitLocker) and fix it before the window.',
    };
  },
};
