// Rule: free space on each CSV for checkpoint growth during the window (DPM: disk size × churn × window, summed over the VMs).
import type { VirtualDisk } from '../../../../shared/model';
import { visibleDisks } from '../plan';
import { fmtBytes } from '../select';
import type { PreflightRule } from './types';

export const freeSpaceRule: PreflightRule = {
  id: 'csv-free-space',
  title: 'Free space for checkpoint growth',
  scope: 'csv',
  severity: 'error',
  description:
    'While a backup runs, each VM writes into a new differencing file on the volume of its disks. DPM sizes that space as initial disk size × churn rate × backup window, summed over all VMs backed up together; if the CSV fills up, its VMs pause (paused-critical).',
  check(csv, ctx) {
    const disks = new Map<string, VirtualDisk>();
    for (const vm of ctx.vms)
      for (const d of visibleDisks(vm)) if (d.csvId === csv.id) disks.set(d.id, d);
    if (disks.size === 0)
      return { status: 'not-applicable', message: `No disk of the checked VMs is on ${csv.name}.` };
    const rate = ctx.opts.changeRatePercent / 100;
    const total = [...disks.values()].reduce((s, d) => s + d.virtualSize, 0);
    const need = Math.ceil(total * rate * ctx.opts.windowHours);
    const left = csv.freeBytes - need;
    const evidence = [
      `Formula: ${fmtBytes(total)} of disks × ${ctx.opts.changeRatePercent}% per hour × ${ctx.opts.windowHours} h = ${fmtBytes(need)}`,
      `${csv.name}: ${fmtBytes(csv.freeBytes)} free of ${fmtBytes(csv.sizeBytes)}`,
      `Margin kept beyond the formula: ${fmtBytes(ctx.opts.minFreeBytes)}`,
    ];
    if (left < 0) {
      return {
        status: 'fail',
        severity: 'error',
        message: `${csv.name} has ${fmtBytes(csv.freeBytes)} free but the checkpoints of its ${disks.size} disk${disks.size > 1 ? 's' : ''} may grow by ${fmtBytes(need)} during a ${ctx.opts.windowHours} h window: the volume could fill and pause its VMs.`,
        evidence,
        fix: `Free at least ${fmtBytes(-left + ctx.opts.minFreeBytes)} on ${csv.name}, move a disk to another CSV (Move-VMStorage), or back up fewer of its VMs at once.`,
      };
    }
    if (left < ctx.opts.minFreeBytes) {
      return {
        status: 'fail',
        severity: 'warning',
        message: `${csv.name} would keep only ${fmtBytes(left)} free after ${fmtBytes(need)} of checkpoint growth: below the ${fmtBytes(ctx.opts.minFreeBytes)} margin.`,
        evidence,
        fix: `Free some space on ${csv.name} or shorten the window.`,
      };
    }
    return {
      status: 'pass',
      message: `${csv.name} keeps ${fmtBytes(left)} free after up to ${fmtBytes(need)} of checkpoint growth.`,
      evidence,
    };
  },
};
