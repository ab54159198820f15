// Pure: the VM ↔ CSV facts the topology shows and flags (disks spanning CSVs, host not the CSV owner, redirected I/O).
import type { Csv, Inventory, Vm } from './model';

export type VmFlagKind =
  'spans-csvs' | 'not-csv-owner' | 'csv-redirected' | 'no-scsi' | 'shared-disk';

export interface VmFlag {
  kind: VmFlagKind;
  /** One sentence an admin understands. */
  message: string;
  csvIds: string[];
}

/** CSV ids that hold at least one of the VM's disks, in disk order, without repeats. */
export function csvsOfVm(vm: Vm): string[] {
  return [...new Set(vm.disks.map((d) => d.csvId).filter((x): x is string => x !== null))];
}

export function vmFlags(vm: Vm, csvById: Map<string, Csv>): VmFlag[] {
  const flags: VmFlag[] = [];
  const csvIds = csvsOfVm(vm);
  const name = (id: string) => csvById.get(id)?.name ?? id;
  if (csvIds.length > 1) {
    flags.push({
      kind: 'spans-csvs',
      message: `Disks on ${csvIds.length} CSVs (${csvIds.map(name).join(', ')}): its backup needs all of them at once and collides with jobs on each.`,
      csvIds,
    });
  }
  const foreign = csvIds.filter((id) => {
    const c = csvById.get(id);
    return c !== undefined && c.ownerNode !== vm.hostNode;
  });
  if (foreign.length > 0) {
    flags.push({
      kind: 'not-csv-owner',
      message: `Runs on ${vm.hostNode} but ${foreign.map((id) => `${name(id)} is owned by ${csvById.get(id)?.ownerNode ?? '?'}`).join(', ')}: a host-level snapshot must first move CSV ownership.`,
      csvIds: foreign,
    });
  }
  const redirected = csvIds.filter((id) =>
    csvById.get(id)?.states.some((s) => s.state !== 'Direct'),
  );
  if (redirected.length > 0) {
    flags.push({
      kind: 'csv-redirected',
      message: `${redirected.map(name).join(', ')} in redirected access: I/O goes over the network to the owner.`,
      csvIds: redirected,
    });
  }
  if (vm.scsiControllers === 0) {
    flags.push({
      kind: 'no-scsi',
      message: 'No SCSI controller: on 2012 R2 hosts it cannot be hot backed up (event 10103).',
      csvIds: [],
    });
  }
  if (vm.disks.some((d) => d.shared)) {
    flags.push({
      kind: 'shared-disk',
      message: 'Shares a disk with another VM (guest cluster): back it up as a group.',
      csvIds: csvIds.filter((id) => vm.disks.some((d) => d.shared && d.csvId === id)),
    });
  }
  return flags;
}

/** Flags for every VM, by VM id. */
export function flagsOf(inv: Inventory): Map<string, VmFlag[]> {
  const csvById = new Map(inv.cluster.csvs.map((c) => [c.id, c]));
  return new Map(inv.vms.map((vm) => [vm.id, vmFlags(vm, csvById)]));
}
