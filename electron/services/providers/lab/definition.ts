// The lab definition file (lab.json): its schema, cross-reference checks and readable validation errors.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HvbcError } from '../../../../shared/errors';
import { HostOsVersion } from '../../../../shared/model';

const Size = z.number().int().positive();

export const LabFaults = z
  .object({
    /** Guest VSS writer in a failed, non-retryable state (seed 003: SQLServerWriter). */
    failedVssWriter: z.string().optional(),
    integrationServicesOff: z.boolean().optional(),
    /** A recovery checkpoint that never merges (seed 003, issue 2). */
    recoveryCheckpointNeverMerges: z.boolean().optional(),
    /** An .avhdx locked by another process: the next backup fails (seed 003, issue 1). */
    avhdxLocked: z.boolean().optional(),
    /** Guest cluster VHD Set error: 32768, 32770 or 32775. */
    vhdSetError: z.union([z.literal(32768), z.literal(32770), z.literal(32775)]).optional(),
    /** The VM fails to report a heartbeat when restored in a drill. */
    heartbeatFails: z.boolean().optional(),
    /** The VM's SCSI controller was removed (2012 R2: no hot backup, event 10103). */
    noScsiController: z.boolean().optional(),
    /** Its storage reads at this many MB/s (a busy or redirected CSV): backups of it take that long. */
    slowStorageMBps: z.number().positive().optional(),
  })
  .strict();
export type LabFaults = z.infer<typeof LabFaults>;

export const LabDisk = z
  .object({
    /** CSV id that holds the disk; omitted for local storage. */
    csv: z.string().optional(),
    /** File name of the base disk, e.g. "sql01-data.vhdx". */
    file: z
      .string()
      .regex(/^[^\\/:*?"<>|]+\.(vhdx|vhds)$/i, 'a file name ending in .vhdx or .vhds'),
    /** Virtual size in bytes. */
    size: Size,
    type: z.enum(['fixed', 'dynamic']).default('dynamic'),
    controller: z.enum(['IDE', 'SCSI']).default('SCSI'),
    shared: z.boolean().default(false),
    attachment: z.enum(['virtual', 'passthrough', 'iscsi-in-guest']).default('virtual'),
  })
  .strict();
export type LabDisk = z.infer<typeof LabDisk>;

export const LabVm = z
  .object({
    id: z.string().uuid().optional(),
    name: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, dash or underscore'),
    host: z.string(),
    state: z.enum(['Running', 'Off', 'Saved', 'Paused']).default('Running'),
    generation: z.union([z.literal(1), z.literal(2)]).default(2),
    configVersion: z.string().default('9.0'),
    scsiControllers: z.number().int().nonnegative().default(1),
    checkpointType: z
      .enum(['Disabled', 'Production', 'ProductionOnly', 'Standard'])
      .default('Production'),
    automaticCheckpoints: z.boolean().default(false),
    disks: z.array(LabDisk).min(1),
    group: z.string().optional(),
    tags: z.array(z.string()).default([]),
    rtoSeconds: z.number().positive().optional(),
    faults: LabFaults.default({}),
  })
  .strict();
export type LabVm = z.infer<typeof LabVm>;

export const LabDefinition = z
  .object({
    schema: z.literal(1),
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().default(1),
    cluster: z
      .object({
        name: z.string().min(1),
        osVersion: HostOsVersion,
        functionalLevel: z.string().optional(),
      })
      .strict(),
    nodes: z
      .array(
        z
          .object({
            name: z.string().min(1),
            state: z.enum(['Up', 'Down', 'Paused']).default('Up'),
            osVersion: HostOsVersion.optional(),
          })
          .strict(),
      )
      .min(1),
    csvs: z
      .array(
        z
          .object({
            id: z.string().min(1),
            name: z.string().min(1),
            /** Folder under ClusterStorage, e.g. "Volume2". */
            volume: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a folder name such as Volume2'),
            owner: z.string(),
            fileSystem: z.enum(['NTFS', 'ReFS']).default('NTFS'),
            size: Size,
            /** Bytes already used by other data on the volume. */
            used: z.number().int().nonnegative().default(0),
            /** The volume is nearly full: a checkpoint that needs more than the free space fails (OUT_OF_SPACE). */
            faults: z.object({ nearlyFull: z.boolean().optional() }).strict().optional(),
          })
          .strict(),
      )
      .default([]),
    vms: z.array(LabVm),
    groups: z
      .array(
        z
          .object({
            name: z.string().min(1),
            kind: z.enum(['guest-cluster', 'application']),
            /** Shared VHD Set file on a CSV: "<csv id>/<file>.vhds". */
            vhdSet: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type LabDefinition = z.infer<typeof LabDefinition>;

/** A stable GUID from a name, so a lab definition without ids gives the same VM ids every time. */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  const v = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function pathOf(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** Parse and cross-check a lab definition; errors name the file, the field and what was expected. */
export function parseLabDefinition(raw: unknown, file: string): LabDefinition {
  const parsed = LabDefinition.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 10)
      .map((i) => `${pathOf(i.path) || '(root)'}: ${i.message}`);
    throw new HvbcError(
      'LAB_INVALID',
      `${file}: ${problems.join('; ')}. Fix the field and start again; nothing was changed.`,
      { file, problems },
    );
  }
  const def = parsed.data;
  const problems: string[] = [];
  const nodes = new Set(def.nodes.map((n) => n.name));
  const csvs = new Set(def.csvs.map((c) => c.id));
  const groups = new Set(def.groups.map((g) => g.name));
  const dup = (what: string, list: string[]) => {
    const seen = new Set<string>();
    for (const x of list) {
      const k = x.toLowerCase();
      if (seen.has(k)) problems.push(`${what}: "${x}" appears twice; names must be unique`);
      seen.add(k);
    }
  };
  dup(
    'nodes',
    def.nodes.map((n) => n.name),
  );
  dup(
    'csvs',
    def.csvs.map((c) => c.id),
  );
  dup(
    'csvs (volume)',
    def.csvs.map((c) => c.volume),
  );
  dup(
    'vms',
    def.vms.map((v) => v.name),
  );
  def.csvs.forEach((c, i) => {
    if (!nodes.has(c.owner))
      problems.push(
        `csvs[${i}].owner: expected one of the node names (${[...nodes].join(', ')}), got "${c.owner}"`,
      );
    if (c.used > c.size) problems.push(`csvs[${i}].used: larger than size`);
  });
  def.vms.forEach((vm, i) => {
    if (!nodes.has(vm.host))
      problems.push(
        `vms[${i}].host: expected one of the node names (${[...nodes].join(', ')}), got "${vm.host}"`,
      );
    if (vm.group !== undefined && !groups.has(vm.group))
      problems.push(`vms[${i}].group: no group named "${vm.group}" in groups`);
    const files = new Set<string>();
    vm.disks.forEach((d, j) => {
      if (d.csv !== undefined && !csvs.has(d.csv))
        problems.push(
          `vms[${i}].disks[${j}].csv: expected one of the CSV ids (${[...csvs].join(', ')}), got "${d.csv}"`,
        );
      if (d.size % 1048576 !== 0)
        problems.push(`vms[${i}].disks[${j}].size: expected a multiple of 1 MiB`);
      const key = d.file.toLowerCase();
      if (files.has(key) && !d.shared)
        problems.push(`vms[${i}].disks[${j}].file: "${d.file}" used twice in one VM`);
      files.add(key);
    });
  });
  if (problems.length > 0) {
    throw new HvbcError(
      'LAB_INVALID',
      `${file}: ${problems.slice(0, 10).join('; ')}. Fix the field and start again; nothing was changed.`,
      { file, problems },
    );
  }
  return def;
}

/** Parse JSON text first, naming the position of a syntax error. */
export function parseLabDefinitionText(text: string, file: string): LabDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HvbcError(
      'LAB_INVALID',
      `${file}: not valid JSON (${(e as Error).message}). Fix the file and start again; nothing was changed.`,
      { file },
    );
  }
  return parseLabDefinition(raw, file);
}
