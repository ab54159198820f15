// OfflineProvider: a read-only estate from an inventory file written by Export-HvbcInventory.ps1 on a cluster node.
// Same raw shape and the same parser as the live PowerShell provider; every change throws UNSUPPORTED.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HvbcError } from '../../../../shared/errors';
import type { HyperVEvent, Inventory, VssWriter } from '../../../../shared/model';
import { arr, date, parseOrThrow, str } from '../powershell/normalize';
import { parseInventory } from '../powershell/parsers/inventory';
import { mapEvents, RawEvent } from '../powershell/parsers/operations';
import type {
  ChangedRanges,
  CheckpointResult,
  CreateCheckpointOptions,
  EstateProvider,
  EventFilter,
  FrozenDisk,
  ReferencePoint,
} from '../types';

export const OFFLINE_FORMAT = 'hvbc-inventory';
export const OFFLINE_FORMAT_VERSIONS = [1] as const;

const OfflineFile = z.object({
  format: z.literal(OFFLINE_FORMAT),
  formatVersion: z.number().int(),
  exportedAt: date,
  exportedOn: str,
  exportedBy: str.optional(),
  inventory: z.unknown(),
  events: arr(RawEvent).nullable().optional(),
});

export class OfflineProvider implements EstateProvider {
  readonly kind = 'offline' as const;
  readonly readOnly = true;

  private constructor(
    readonly file: string,
    readonly exportedAt: string,
    readonly exportedOn: string,
    private readonly inv: Inventory,
    private readonly evts: HyperVEvent[],
    private readonly rps: Map<string, ReferencePoint[]>,
    readonly warnings: readonly string[],
  ) {}

  /** Open and validate an export; PARSE_FAILED names the field, UNSUPPORTED a newer format version. */
  static async open(file: string): Promise<OfflineProvider> {
    const full = path.resolve(file);
    let text: string;
    try {
      text = await fs.readFile(full, 'utf8');
    } catch (e) {
      throw new HvbcError(
        'NOT_FOUND',
        `Cannot read the inventory file ${full}: ${(e as Error).message}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new HvbcError(
        'PARSE_FAILED',
        `${full} is not JSON (${(e as Error).message}); export it again with Export-HvbcInventory.ps1.`,
      );
    }
    const marker = (json as { format?: unknown } | null)?.format;
    if (marker !== OFFLINE_FORMAT)
      throw new HvbcError(
        'PARSE_FAILED',
        `${full} is not an inventory export (format marker ${JSON.stringify(marker ?? null)}, expected "${OFFLINE_FORMAT}").`,
      );
    const doc = parseOrThrow(OfflineFile, json, path.basename(full));
    if (!(OFFLINE_FORMAT_VERSIONS as readonly number[]).includes(doc.formatVersion)) {
      throw new HvbcError(
        'UNSUPPORTED',
        `${full} has inventory format version ${doc.formatVersion}; this console reads version ${OFFLINE_FORMAT_VERSIONS.join(', ')}. Update the console.`,
      );
    }
    const parsed = parseInventory(
      doc.inventory,
      { kind: 'offline', readOnly: true, location: full },
      `${path.basename(full)} inventory`,
    );
    const seq = new Map<string, number>();
    const events = mapEvents(doc.events ?? [], (k) => {
      const s = seq.get(k) ?? seq.size + 1;
      seq.set(k, s);
      return s;
    });
    return new OfflineProvider(
      full,
      doc.exportedAt,
      doc.exportedOn,
      parsed.inventory,
      events,
      parsed.referencePoints,
      parsed.warnings,
    );
  }

  private readOnlyError(action: string): never {
    throw new HvbcError(
      'UNSUPPORTED',
      `This estate is a read-only inventory file (${path.basename(this.file)}, exported ${this.exportedAt} on ${this.exportedOn}); connect to the cluster to ${action}.`,
    );
  }

  async inventory(): Promise<Inventory> {
    return structuredClone(this.inv);
  }

  async events(filter: EventFilter = {}): Promise<HyperVEvent[]> {
    let out = this.evts;
    if (filter.vmId) out = out.filter((e) => e.vmId === filter.vmId?.toLowerCase());
    if (filter.sinceSeq !== undefined) out = out.filter((e) => e.seq > (filter.sinceSeq as number));
    if (filter.taskId) out = out.filter((e) => e.taskId === filter.taskId);
    if (filter.limit !== undefined) out = out.slice(-filter.limit);
    return structuredClone(out);
  }

  subscribe(_listener: (c: { reason: string; event?: HyperVEvent }) => void): () => void {
    return () => undefined; // a file never changes under us
  }

  async createCheckpoint(_vmId: string, _opts: CreateCheckpointOptions): Promise<CheckpointResult> {
    return this.readOnlyError('create checkpoints');
  }
  async removeCheckpoint(_vmId: string, _checkpointId: string): Promise<void> {
    return this.readOnlyError('remove checkpoints');
  }
  async frozenDisks(_vmId: string, _checkpointId: string): Promise<FrozenDisk[]> {
    return this.readOnlyError('read disk data');
  }
  async convertToReferencePoint(_vmId: string, _checkpointId: string): Promise<ReferencePoint> {
    return this.readOnlyError('convert checkpoints to reference points');
  }
  /** As exported (when the export included reference points). */
  async listReferencePoints(vmId: string): Promise<ReferencePoint[]> {
    return structuredClone(this.rps.get(vmId.toLowerCase()) ?? []);
  }
  async removeReferencePoint(_vmId: string, _referencePointId: string): Promise<void> {
    return this.readOnlyError('remove reference points');
  }
  async changedRanges(
    _vmId: string,
    _diskId: string,
    _referencePointId: string,
  ): Promise<ChangedRanges> {
    return this.readOnlyError('query changed blocks');
  }
  async moveCsv(_csvId: string, _node: string): Promise<void> {
    return this.readOnlyError('move CSV ownership');
  }
  async guestVssWriters(_vmId: string): Promise<VssWriter[]> {
    return this.readOnlyError('query guest VSS writers');
  }
  async close(): Promise<void> {
    /* nothing open */
  }
}
