// Pure: pick VMs by id or name, and format bytes and durations the way the planner's sentences show them.
import { HvbcError } from '../../../shared/errors';
import type { Inventory, Vm } from '../../../shared/model';

export { fmtBytes } from '../../../shared/format-bytes';

/** VMs named by id or (case-insensitive) name, in the order given; all VMs when refs is empty or absent. */
export function selectVms(inv: Inventory, refs?: readonly string[]): Vm[] {
  if (!refs || refs.length === 0) return inv.vms;
  const out: Vm[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    const r = ref.trim();
    const vm =
      inv.vms.find((v) => v.id === r) ??
      inv.vms.find((v) => v.name.toLowerCase() === r.toLowerCase());
    if (!vm) missing.push(r);
    else if (!out.includes(vm)) out.push(vm);
  }
  if (missing.length > 0) {
    throw new HvbcError(
      'NOT_FOUND',
      `No VM named or with id ${missing.map((m) => `"${m}"`).join(', ')} in cluster ${inv.cluster.name}. Known VMs: ${inv.vms.map((v) => v.name).join(', ')}.`,
      { missing },
    );
  }
  return out;
}

export function fmtSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  const m = Math.floor(t / 60);
  if (m < 60) return `${m} min ${t % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "A", "A and B", "A, B and C". */
export function fmtList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
