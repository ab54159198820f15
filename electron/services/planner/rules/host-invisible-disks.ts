// Rule: pass-through and in-guest iSCSI disks are invisible to a host-level backup.
import type { PreflightRule } from './types';

export const hostInvisibleDisksRule: PreflightRule = {
  id: 'host-invisible-disks',
  title: 'Disks a host backup cannot see',
  scope: 'vm',
  severity: 'warning',
  description:
    'A host-level backup reads virtual disk files. Pass-through disks and iSCSI or Fibre Channel LUNs attached inside the guest have no file on the host: their data is not in the backup and needs a backup from inside the guest.',
  check(vm) {
    const hidden = vm.disks.filter((d) => d.attachment !== 'virtual');
    if (hidden.length === 0)
      return {
        status: 'pass',
        message: `All ${vm.disks.length} disks of ${vm.name} are virtual disk files.`,
      };
    return {
      status: 'fail',
      severity: 'warning',
      message: `${hidden.length} of ${vm.name}'s disks ${hidden.length > 1 ? 'are' : 'is'} not in a host-level backup: ${hidden.map((d) => `${d.path || d.id} (${d.attachment === 'passthrough' ? 'pass-through' : 'iSCSI inside the guest'})`).join(', ')}.`,
      evidence: hidden.map(
        (d) =>
          `${d.controller.type} ${d.controller.number}:${d.controller.location} → ${d.attachment}`,
      ),
      fix: 'Back that data up from inside the guest (an agent or Windows Server Backup in the VM), or move it to a virtual disk.',
    };
  },
};
