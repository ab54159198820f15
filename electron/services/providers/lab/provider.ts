// The lab provider: an embedded cluster whose control plane is simulated and whose data is real files.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';
import type { HyperVEvent, Inventory, VssWriter } from '../../../../shared/model';
import type {
  ChangedRanges,
  CheckpointResult,
  EstateProvider,
  EventFilter,
  FrozenDisk,
  ReferencePoint,
} from '../types';
import { buildInventory } from './inventory';
import { readLabFile, type LabFile } from './store';

export class LabProvider implements EstateProvider {
  readonly kind = 'lab' as const;
  readonly readOnly = false;
  private listeners = new Set<(c: { reason: string; event?: HyperVEvent }) => void>();

  private constructor(
    readonly dir: string,
    private lab: LabFile,
  ) {}

  static async open(dir: string): Promise<LabProvider> {
    return new LabProvider(path.resolve(dir), await readLabFile(dir));
  }

  async inventory(): Promise<Inventory> {
    const fileSizes: Record<string, number> = {};
    await Promise.all(
      Object.values(this.lab.state.chains)
        .flat()
        .map(async (l) => {
          const st = await fs.stat(path.join(this.dir, l.file)).catch(() => null);
          if (st) fileSizes[l.file] = st.blocks * 512;
        }),
    );
    return buildInventory({ def: this.lab.definition, state: this.lab.state, location: this.dir, fileSizes, now: new Date().toISOString() });
  }

  async events(_filter?: EventFilter): Promise<HyperVEvent[]> {
    return [];
  }

  subscribe(listener: (c: { reason: string; event?: HyperVEvent }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notYet(): never {
    throw new HvbcError('UNSUPPORTED', 'This lab operation is not available yet.');
  }
  async createCheckpoint(): Promise<CheckpointResult> {
    return this.notYet();
  }
  async removeCheckpoint(): Promise<void> {
    return this.notYet();
  }
  async frozenDisks(): Promise<FrozenDisk[]> {
    return this.notYet();
  }
  async convertToReferencePoint(): Promise<ReferencePoint> {
    return this.notYet();
  }
  async listReferencePoints(): Promise<ReferencePoint[]> {
    return [];
  }
  async removeReferencePoint(): Promise<void> {
    return this.notYet();
  }
  async changedRanges(): Promise<ChangedRanges> {
    return this.notYet();
  }
  async moveCsv(): Promise<void> {
    return this.notYet();
  }
  async guestVssWriters(): Promise<VssWriter[]> {
    return [];
  }
  async close(): Promise<void> {
    this.listeners.clear();
  }
}
