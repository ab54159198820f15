// One changing lab operation: the freshly read lab (under the lock), lookups by name or id, host-version rules,
// and the events and touched VMs to write when it commits.
import { HvbcError } from '../../../../shared/errors';
import type { HostOsVersion } from '../../../../shared/model';
import type { LabDefinition, LabFaults, LabVm } from './definition';
import { abs, allocatedSize, materializeDisk, rctCapable } from './disks';
import type { LabEventKind, NewEvent } from './events';
import { csvFreeBytes, effectiveFaults, windowsPath } from './inventory';
import type { LabFile } from './store';
import { diskId, vmId, type LabCheckpoint, type LabDiskState, type LabState } from './state';

const ORDER: HostOsVersion[] = ['2008R2', '2012', '2012R2', '2016', '2019', '2022', '2025'];

export function atLeast(os: HostOsVersion, min: HostOsVersion): boolean {
  return ORDER.indexOf(os) >= ORDER.indexOf(min);
}

export interface VmRef {
  index: number;
  id: string;
  def: LabVm;
}

/** Find a VM by id or name (case-insensitive) in a definition. */
export function findVm(def: LabDefinition, ref: string): VmRef {
  const want = ref.trim().toLowerCase();
  for (let i = 0; i < def.vms.length; i++) {
    const v = def.vms[i];
    if (!v) continue;
    const id = vmId(def, i);
    if (id.toLowerCase() === want || v.name.toLowerCase() === want) return { index: i, id, def: v };
  }
  throw new HvbcError(
    'NOT_FOUND',
    `No VM "${ref}" in the lab. Names: ${def.vms
      .slice(0, 20)
      .map((v) => v.name)
      .join(', ')}${def.vms.length > 20 ? ', …' : ''}.`,
    { vm: ref },
  );
}

export function findCsv(def: LabDefinition, ref: string): LabDefinition['csvs'][number] {
  const want = ref.trim().toLowerCase();
  const c = def.csvs.find(
    (x) =>
      x.id.toLowerCase() === want ||
      x.name.toLowerCase() === want ||
      x.volume.toLowerCase() === want,
  );
  if (!c)
    throw new HvbcError(
      'NOT_FOUND',
      `No CSV "${ref}" in the lab. CSVs: ${def.csvs.map((x) => `${x.id} (${x.name}, ${x.volume})`).join(', ')}.`,
      { csv: ref },
    );
  return c;
}

export function findNode(def: LabDefinition, ref: string): LabDefinition['nodes'][number] {
  const n = def.nodes.find((x) => x.name.toLowerCase() === ref.trim().toLowerCase());
  if (!n)
    throw new HvbcError(
      'NOT_FOUND',
      `No node "${ref}" in the cluster. Nodes: ${def.nodes.map((x) => x.name).join(', ')}.`,
      { node: ref },
    );
  return n;
}

/** Disk ids of a VM in definition order (virtual disks only unless `all`). */
export function vmDiskIds(vm: VmRef, all = false): string[] {
  return vm.def.disks
    .filter((d) => all || d.attachment === 'virtual')
    .map((d) => diskId(vm.id, d.file, d.shared));
}

/** A disk of a VM by disk id or file name. */
export function findDisk(vm: VmRef, ref: string): string {
  const want = ref.trim().toLowerCase();
  for (const d of vm.def.disks) {
    const id = diskId(vm.id, d.file, d.shared);
    if (id === want || d.file.toLowerCase() === want) return id;
  }
  throw new HvbcError(
    'NOT_FOUND',
    `VM ${vm.def.name} has no disk "${ref}". Disks: ${vm.def.disks.map((d) => d.file).join(', ')}.`,
    { disk: ref },
  );
}

export function hostOs(def: LabDefinition, state: LabState, vm: VmRef): HostOsVersion {
  const host = state.vmHosts[vm.id] ?? vm.def.host;
  return def.nodes.find((n) => n.name === host)?.osVersion ?? def.cluster.osVersion;
}

export class Op {
  readonly events: NewEvent[] = [];
  readonly touched = new Set<number>();
  dirty = false;

  constructor(
    readonly dir: string,
    readonly lab: LabFile,
    readonly operation: string,
    readonly taskId?: string,
  ) {}

  get def(): LabDefinition {
    return this.lab.definition;
  }
  get state(): LabState {
    return this.lab.state;
  }

  vm(ref: string): VmRef {
    return findVm(this.def, ref);
  }

  os(vm: VmRef): HostOsVersion {
    return hostOs(this.def, this.state, vm);
  }

  faults(vm: VmRef): LabFaults {
    return effectiveFaults(this.def, this.state, vm.index);
  }

  host(vm: VmRef): string {
    return this.state.vmHosts[vm.id] ?? vm.def.host;
  }

  running(vm: VmRef): boolean {
    return this.state.vmStates[vm.id] === 'Running';
  }

  disk(id: string): LabDiskState {
    const d = this.state.disks[id];
    if (!d) throw new HvbcError('NOT_FOUND', `No disk ${id} in the lab state.`, { diskId: id });
    return d;
  }

  checkpoint(vm: VmRef, id: string): LabCheckpoint {
    const cp = (this.state.checkpoints[vm.id] ?? []).find((c) => c.id === id || c.name === id);
    if (!cp)
      throw new HvbcError('NOT_FOUND', `VM ${vm.def.name} has no checkpoint "${id}".`, {
        vmId: vm.id,
        checkpointId: id,
      });
    return cp;
  }

  /** Create a disk's files on first use (large labs). */
  async ensureDisk(id: string): Promise<LabDiskState> {
    const d = this.disk(id);
    if (!d.materialized) {
      await materializeDisk(this.dir, id, d, rctCapable(this.def, this.state, d));
      this.dirty = true;
    }
    return d;
  }

  abs(rel: string): string {
    return abs(this.dir, rel);
  }

  /** "'SQL01' … (Virtual machine ID <GUID>)" the way Hyper-V messages name a VM. */
  vmText(vm: VmRef): string {
    return `(Virtual machine ID ${vm.id.toUpperCase()})`;
  }

  win(rel: string): string {
    return windowsPath(rel);
  }

  event(kind: LabEventKind, vm: VmRef | null, message: string, operation = this.operation): void {
    this.events.push({
      kind,
      vmId: vm?.id ?? null,
      vmName: vm?.def.name ?? null,
      operation,
      message,
      ...(this.taskId === undefined ? {} : { taskId: this.taskId }),
    });
  }

  touch(vm: VmRef): void {
    this.touched.add(vm.index);
    this.dirty = true;
  }

  /** Free bytes per CSV now (stats the lab's files). */
  async csvFree(): Promise<Record<string, number>> {
    const sizes: Record<string, number> = {};
    await Promise.all(
      Object.values(this.state.disks).flatMap((d) =>
        d.csv === null
          ? []
          : Object.values(d.files).map(
              async (f) => void (sizes[f.path] = await allocatedSize(this.abs(f.path))),
            ),
      ),
    );
    return csvFreeBytes(this.def, this.state, sizes);
  }

  csvName(id: string): string {
    return this.def.csvs.find((c) => c.id === id)?.name ?? id;
  }
}

export { fmtBytes } from '../../../../shared/format-bytes';
