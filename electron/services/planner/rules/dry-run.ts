// Rule: the result of a dry run that took and removed a production checkpoint with fallback off.
import { fmtSeconds } from '../select';
import type { PreflightRule } from './types';
import { VHD_SET_ERRORS, vhdSetErrorIn } from './vhd-set';

export const dryRunRule: PreflightRule = {
  id: 'dry-run-checkpoint',
  title: 'Dry run: production checkpoint, no fallback',
  scope: 'vm',
  severity: 'error',
  description:
    'Takes an application-consistent production checkpoint with the fallback to a crash-consistent one turned off, then removes it. This is what a backup asks of Hyper-V and the guest; it proves the VM can be captured before the window.',
  check(vm, ctx) {
    const run = ctx.facts.dryRuns?.[vm.id];
    if (!run)
      return {
        status: 'not-applicable',
        message:
          vm.state === 'Running'
            ? 'Dry run not requested (hvbc preflight --dry-run).'
            : `${vm.name} is ${vm.state}: no dry run needed.`,
      };
    if (run.ok) {
      const evidence = [
        `Checkpoint ${run.checkpointId} taken in ${fmtSeconds(run.createSeconds)}, consistency ${run.consistencyReached}`,
      ];
      if (run.removed) evidence.push(`Removed in ${fmtSeconds(run.removeSeconds)}`);
      if (run.consistencyReached !== 'application') {
        return {
          status: 'fail',
          severity: 'warning',
          message: `The dry run reached only ${run.consistencyReached} consistency${run.fallbackReason ? ` (${run.fallbackReason})` : ''}.`,
          evidence,
          fix: 'Check the guest VSS writers and the backup integration service.',
        };
      }
      if (!run.removed) {
        return {
          status: 'fail',
          severity: 'warning',
          message: `The dry-run checkpoint was taken but could not be removed${run.removeError ? `: ${run.removeError.message}` : ''}; it is still on ${vm.name}.`,
          evidence,
          fix: `Remove it with "hvbc doctor --repair" or Remove-VMSnapshot -VMName '${vm.name}' -Id ${run.checkpointId}.`,
        };
      }
      return {
        status: 'pass',
        message: `An application-consistent production checkpoint was taken and removed.`,
        evidence,
      };
    }
    if (run.error.code === 'UNSUPPORTED')
      return {
        status: 'unknown',
        message: `This estate cannot take checkpoints: ${run.error.message}`,
      };
    const text = `${run.error.message} ${JSON.stringify(run.error.details ?? {})}`;
    const writer = /0x800423f4|writer/i.test(text);
    // 32768/32770/32775 are Hyper-V's generic job errors; they mean the VHD Set conditions only on a guest cluster.
    const guestCluster =
      vm.disks.some((d) => d.shared) ||
      ctx.inv.groups.some((g) => g.kind === 'guest-cluster' && g.members.includes(vm.id));
    const code = guestCluster && !writer ? vhdSetErrorIn(text) : undefined;
    const vhdSet = code !== undefined ? VHD_SET_ERRORS[code] : undefined;
    return {
      status: 'fail',
      severity: 'error',
      message: `The dry run failed at ${run.stage === 'create' ? 'taking' : 'removing'} the checkpoint: ${run.error.message}${vhdSet ? ` — ${vhdSet.meaning}` : ''}.`,
      evidence: [
        `Error ${run.error.code}: ${run.error.message}`,
        ...Object.entries(run.error.details ?? {}).map(
          ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
        ),
      ],
      fix: vhdSet
        ? vhdSet.fix
        : writer
          ? 'A guest VSS writer refused: see "Guest VSS writers" and restart the service that hosts it.'
          : 'Read the Hyper-V-VMMS-Admin event log on the host for the checkpoint failure, fix the cause, and run the dry run again.',
    };
  },
};
