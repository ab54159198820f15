// Host-level CSV snapshots held by backup checkpoints (2008 R2 – 2012 R2 modes): releasing a checkpoint's holds.
import type { Op, VmRef } from './op';
import type { LabCheckpoint } from './state';

/** Release the host-level CSV snapshots a checkpoint holds (redirected access ends with the last holder). */
export function releaseCsvSnapshots(op: Op, vm: VmRef, cp: LabCheckpoint): void {
  for (const c of cp.csvSnapshots ?? []) {
    const snap = op.state.csvSnapshots[c];
    if (!snap) continue;
    snap.holders = snap.holders.filter((h) => h.checkpointId !== cp.id);
    if (snap.holders.length === 0) {
      delete op.state.csvSnapshots[c];
      op.event(
        'csvDirect',
        vm,
        `The host-level snapshot of Cluster Shared Volume '${op.csvName(c)}' was deleted; the CSV is back in direct access on every node.`,
      );
    }
  }
  delete cp.csvSnapshots;
  op.dirty = true;
}
