// Rule: on Windows Server 2012 R2 hosts a VM needs a SCSI controller to be backed up while running (event 10103).
import type { PreflightRule } from './types';

export const scsiControllerRule: PreflightRule = {
  id: 'scsi-controller',
  title: 'SCSI controller for hot backup (2012 R2)',
  scope: 'vm',
  severity: 'error',
  description:
    'Windows Server 2012 R2 hot-adds an AutoRecovery disk to the VM during a host backup; that needs a virtual SCSI controller. Without one the host logs event 10103 and cannot back the VM up while it runs.',
  check(vm, ctx) {
    const os = ctx.hostOs(vm);
    if (os !== '2012R2')
      return {
        status: 'not-applicable',
        message: `Only Windows Server 2012 R2 hosts need it; ${vm.hostNode} runs ${os}.`,
      };
    if (vm.scsiControllers > 0)
      return {
        status: 'pass',
        message: `${vm.name} has ${vm.scsiControllers} SCSI controller${vm.scsiControllers > 1 ? 's' : ''}.`,
      };
    return {
      status: 'fail',
      message: `${vm.name} has no SCSI controller: on ${vm.hostNode} (Windows Server 2012 R2) it cannot be hot backed up (event 10103).`,
      evidence: [
        `SCSI controllers: 0`,
        `Generation ${vm.generation}, disks on ${vm.disks.map((d) => d.controller.type).join(', ')}`,
        `Host ${vm.hostNode}: Windows Server 2012 R2`,
      ],
      fix: `Shut the VM down, add a controller (Add-VMScsiController -VMName '${vm.name}'), start it again. The controller may stay empty.`,
    };
  },
};
