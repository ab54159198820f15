// Rule: automatic checkpoints on production VMs (a checkpoint at every start that nobody removes).
import type { PreflightRule } from './types';

export const automaticCheckpointsRule: PreflightRule = {
  id: 'automatic-checkpoints',
  title: 'Automatic checkpoints on production VMs',
  scope: 'vm',
  severity: 'warning',
  description:
    'With automatic checkpoints Hyper-V takes a checkpoint every time the VM starts. On production VMs they pile up unnoticed, lengthen the chain every backup reads and fill the volume.',
  check(vm, ctx) {
    if (!vm.automaticCheckpoints)
      return { status: 'pass', message: 'Automatic checkpoints are off.' };
    const nonProd = vm.tags.filter((t) =>
      ctx.opts.nonProductionTags.some((x) => x.toLowerCase() === t.toLowerCase()),
    );
    if (nonProd.length > 0)
      return {
        status: 'pass',
        message: `Automatic checkpoints are on, accepted for a ${nonProd.join('/')} VM.`,
      };
    return {
      status: 'fail',
      severity: 'warning',
      message: `${vm.name} takes an automatic checkpoint at every start: on a production VM these pile up and lengthen the chain each backup reads.`,
      evidence: [
        `AutomaticCheckpointsEnabled: true`,
        `Tags: ${vm.tags.join(', ') || 'none'}`,
        `Checkpoints now: ${vm.checkpoints.length}`,
      ],
      fix: `Set-VM -Name '${vm.name}' -AutomaticCheckpointsEnabled $false (or tag the VM ${ctx.opts.nonProductionTags.join('/')} if it is not production).`,
    };
  },
};
