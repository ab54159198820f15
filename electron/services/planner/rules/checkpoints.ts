// Rule: recovery checkpoints no running job owns (they never merged, seed 003) and checkpoint chains grown too deep.
import type { Checkpoint, Vm } from '../../../../shared/model';
import type { PreflightRule } from './types';

/** What a backup task records as the maker of its checkpoint (createdBy). */
export function backupCreatedBy(taskId: string): string {
  return `backup task ${taskId}`;
}

/**
 * A recovery checkpoint is owned by a job when the job says so (id list) or made it: createdBy is the running
 * task's id, or what a backup task records (backupCreatedBy).
 */
export function isOwnedByJob(
  cp: Checkpoint,
  activeCheckpointIds: readonly string[],
  activeTaskIds: readonly string[] = [],
): boolean {
  return (
    activeCheckpointIds.includes(cp.id) ||
    activeTaskIds.some((id) => cp.createdBy === id || cp.createdBy === backupCreatedBy(id))
  );
}

/** Differencing files in the VM's deepest disk chain. */
export function chainDepth(vm: Vm): number {
  return vm.disks.reduce(
    (m, d) => Math.max(m, d.chain.filter((f) => f.kind === 'differencing').length),
    0,
  );
}

export const lingeringCheckpointsRule: PreflightRule = {
  id: 'lingering-checkpoints',
  title: 'Lingering recovery checkpoints and chain depth',
  scope: 'vm',
  severity: 'warning',
  description:
    'A recovery checkpoint that no running job owns was left by a failed or interrupted backup: its .avhdx keeps growing, and on guest clusters it may never merge (seed 003). A deep chain slows every read and makes merges long.',
  check(vm, ctx) {
    const active = ctx.facts.activeCheckpointIds ?? [];
    const lingering = vm.checkpoints.filter(
      (c) => c.type === 'recovery' && !isOwnedByJob(c, active),
    );
    const depth = chainDepth(vm);
    const evidence = [
      ...lingering.map(
        (c) =>
          `Recovery checkpoint "${c.name}" (${c.id}) created ${c.created}${c.createdBy ? ` by ${c.createdBy}` : ''}`,
      ),
      `Deepest chain: ${depth} differencing file${depth === 1 ? '' : 's'} (limit ${ctx.opts.maxChainDepth})`,
    ];
    const problems: string[] = [];
    if (lingering.length > 0) {
      const shared = vm.disks.some((d) => d.shared);
      problems.push(
        `${lingering.length} recovery checkpoint${lingering.length > 1 ? 's' : ''} no running backup owns${shared ? ' (on a guest cluster VHD Set these may never merge until every guest node is shut down, seed 003)' : ''}`,
      );
    }
    if (depth > ctx.opts.maxChainDepth)
      problems.push(`a disk chain ${depth} differencing files deep`);
    if (problems.length === 0)
      return {
        status: 'pass',
        message: `No lingering recovery checkpoint; deepest chain ${depth}.`,
        evidence,
      };
    return {
      status: 'fail',
      severity: 'warning',
      message: `${vm.name} has ${problems.join(' and ')}: the next backup adds to the chain and may fail on a locked file.`,
      evidence,
      fix: `Run "hvbc doctor" and let it remove them through Hyper-V (Remove-VMSnapshot -VMName '${vm.name}' -Name <checkpoint>), which merges online. Never merge the .avhdx files by hand.`,
    };
  },
};
