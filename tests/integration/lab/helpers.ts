// Helpers for lab integration tests: small lab definitions (fast to create) and common assertions.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LabDefinition, LabVm } from '../../../electron/services/providers/lab/definition';
import { verifyChain } from '../../../electron/services/providers/lab/model';
import {
  LabProvider,
  type LabProviderOptions,
} from '../../../electron/services/providers/lab/provider';
import { createLabFile, readLabFile } from '../../../electron/services/providers/lab/store';
import type { HostOsVersion } from '../../../shared/model';
import { openChain } from '../../../electron/services/vhdx';

export const MiB = 1024 * 1024;

function vm(v: Partial<LabVm> & Pick<LabVm, 'name' | 'host' | 'disks'>): LabVm {
  return {
    state: 'Running',
    generation: 2,
    configVersion: '9.0',
    scsiControllers: 1,
    checkpointType: 'Production',
    automaticCheckpoints: false,
    tags: [],
    faults: {},
    ...v,
  };
}

function disk(
  csv: string,
  file: string,
  sizeMiB = 16,
  extra: Partial<LabVm['disks'][number]> = {},
): LabVm['disks'][number] {
  return {
    csv,
    file,
    size: sizeMiB * MiB,
    type: 'dynamic',
    controller: 'SCSI',
    shared: false,
    attachment: 'virtual',
    ...extra,
  };
}

/**
 * Two nodes (HV-A owns csv1, HV-B owns csv2), a third CSV owned by HV-A.
 * APP: on HV-A, disks on csv1 and csv2. SQL: on HV-B, csv2 (tag sql). WEB: on HV-B, csv1. OLD: on HV-A, no SCSI.
 * From 2016 on, a guest cluster N1 (HV-A) + N2 (HV-B) sharing a VHD Set on csv3.
 */
export function smallLab(
  os: HostOsVersion,
  extra: { configVersion?: string; checkpointType?: LabVm['checkpointType'] } = {},
): LabDefinition {
  const cfg =
    extra.configVersion ?? (os === '2008R2' || os === '2012' || os === '2012R2' ? '5.0' : '9.0');
  const vms: LabVm[] = [
    vm({
      name: 'APP',
      host: 'HV-A',
      configVersion: cfg,
      disks: [disk('csv1', 'APP-os.vhdx'), disk('csv2', 'APP-data.vhdx', 24)],
      ...(extra.checkpointType ? { checkpointType: extra.checkpointType } : {}),
    }),
    vm({
      name: 'SQL',
      host: 'HV-B',
      configVersion: cfg,
      tags: ['sql'],
      disks: [disk('csv2', 'SQL.vhdx')],
    }),
    vm({ name: 'WEB', host: 'HV-B', configVersion: cfg, disks: [disk('csv1', 'WEB.vhdx')] }),
    vm({
      name: 'OLD',
      host: 'HV-A',
      configVersion: cfg,
      scsiControllers: 0,
      checkpointType: 'Standard',
      disks: [disk('csv3', 'OLD.vhdx', 16, { controller: 'IDE' })],
    }),
  ];
  const groups: LabDefinition['groups'] = [];
  if (!['2008R2', '2012', '2012R2'].includes(os)) {
    vms.push(
      vm({
        name: 'N1',
        host: 'HV-A',
        group: 'GC',
        disks: [disk('csv1', 'N1.vhdx'), disk('csv3', 'GC-shared.vhds', 16, { shared: true })],
      }),
    );
    vms.push(
      vm({
        name: 'N2',
        host: 'HV-B',
        group: 'GC',
        disks: [disk('csv2', 'N2.vhdx'), disk('csv3', 'GC-shared.vhds', 16, { shared: true })],
      }),
    );
    groups.push({ name: 'GC', kind: 'guest-cluster', vhdSet: 'csv3/GC-shared.vhds' });
  }
  return {
    schema: 1,
    name: `small-${os}`,
    description: 'test lab',
    seed: 3,
    cluster: { name: 'TESTCL', osVersion: os },
    nodes: [
      { name: 'HV-A', state: 'Up' },
      { name: 'HV-B', state: 'Up' },
    ],
    csvs: [
      {
        id: 'csv1',
        name: 'Cluster Disk 1',
        volume: 'Volume1',
        owner: 'HV-A',
        fileSystem: 'NTFS',
        size: 64 * 1024 * MiB,
        used: 0,
      },
      {
        id: 'csv2',
        name: 'Cluster Disk 2',
        volume: 'Volume2',
        owner: 'HV-B',
        fileSystem: 'NTFS',
        size: 64 * 1024 * MiB,
        used: 0,
      },
      {
        id: 'csv3',
        name: 'Cluster Disk 3',
        volume: 'Volume3',
        owner: 'HV-A',
        fileSystem: 'NTFS',
        size: 64 * 1024 * MiB,
        used: 0,
      },
    ],
    vms,
    groups,
  };
}

export async function openSmall(
  dir: string,
  os: HostOsVersion,
  opts: LabProviderOptions & { def?: LabDefinition } = {},
): Promise<LabProvider> {
  await createLabFile(dir, opts.def ?? smallLab(os));
  return LabProvider.open(dir, opts);
}

export async function vmOf(p: LabProvider, name: string) {
  const v = (await p.inventory()).vms.find((x) => x.name === name);
  if (!v) throw new Error(`no VM ${name}`);
  return v;
}

/** Lab-relative path of a disk's active file, and of every file in its state. */
export async function diskFiles(
  dir: string,
  diskId: string,
): Promise<{ active: string; files: string[] }> {
  const lab = await readLabFile(dir);
  const d = lab.state.disks[diskId];
  if (!d) throw new Error(`no disk ${diskId}`);
  return {
    active: `${dir}/${d.files[d.active]?.path}`,
    files: Object.values(d.files).map((f) => `${dir}/${f.path}`),
  };
}

export function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every disk of the lab: its current chain (openChain) equals the content model. */
export async function expectAllDisksMatchModel(dir: string): Promise<number> {
  const lab = await readLabFile(dir);
  let n = 0;
  for (const [id, d] of Object.entries(lab.state.disks)) {
    if (!d.materialized) continue;
    const r = await verifyChain(dir, id, `${dir}/${d.files[d.active]?.path}`);
    if (!r.ok)
      throw new Error(
        `disk ${d.label} differs from the model at ${JSON.stringify(r.mismatches.slice(0, 3))}`,
      );
    n++;
  }
  return n;
}

/** Plain SHA-256 of the whole virtual content of a VHDX chain. */
export async function chainHash(file: string): Promise<string> {
  const c = await openChain(file);
  const h = createHash('sha256');
  for (let o = 0; o < c.virtualSize; o += 8 * MiB)
    h.update(await c.read(o, Math.min(8 * MiB, c.virtualSize - o)));
  await c.close();
  return h.digest('hex');
}
