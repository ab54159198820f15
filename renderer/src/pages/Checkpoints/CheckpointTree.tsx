// A VM's checkpoint tree (standard, production, recovery, reference points) with age, creator and inline doctor findings.
import type { ReactElement } from 'react';
import type { Checkpoint, Vm } from '../../../../shared/model';
import type { DoctorFinding } from '../../../../shared/planner';
import { age, when } from '../../format';

const TYPE_HINT: Record<Checkpoint['type'], string> = {
  standard: 'Standard: saves memory and device state; not for production workloads.',
  production: 'Production: taken with VSS (or file-system freeze) inside the guest.',
  recovery: 'Recovery: made by a backup application; Hyper-V Manager cannot delete it.',
  'reference-point': 'Reference point: what change tracking compares the next incremental against.',
};

/** The checkpoint the VM runs from: the one whose creation started the active file of its disks. */
export function currentCheckpointId(vm: Vm): string | null {
  for (const d of vm.disks) {
    const last = d.chain[d.chain.length - 1];
    if (last?.checkpointId) return last.checkpointId;
  }
  return null;
}

export function CheckpointTree({ vm, findings }: { vm: Vm; findings: readonly DoctorFinding[] }) {
  const byParent = new Map<string | null, Checkpoint[]>();
  const ids = new Set(vm.checkpoints.map((c) => c.id));
  for (const c of vm.checkpoints) {
    const parent = c.parentId !== null && ids.has(c.parentId) ? c.parentId : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), c]);
  }
  const current = currentCheckpointId(vm);
  const now = (
    <li className="now" key="now">
      <span className="cptype now">Now</span> <span className="muted">running state</span>
    </li>
  );
  const items = (list: Checkpoint[]): ReactElement[] =>
    list.map((c) => {
      const mine = findings.filter((f) => f.checkpointId === c.id);
      const kids = byParent.get(c.id) ?? [];
      return (
        <li key={c.id} data-testid={`cp-${c.name}`}>
          <span className={`cptype ${c.type}`} title={TYPE_HINT[c.type]}>
            {c.type}
          </span>{' '}
          <strong>{c.name}</strong>{' '}
          <span className="muted small">
            <time dateTime={c.created} title={when(c.created)}>
              {age(c.created)}
            </time>
            {' · by '}
            {c.createdBy ?? 'unknown'}
            {c.rctId ? ` · RCT ${c.rctId}` : ''}
          </span>
          {mine.map((f) => (
            <div key={f.id} className={`inline-finding sev-${f.severity}`} role="note">
              <strong>Doctor:</strong> {f.message} <span className="muted">→ {f.proposal}</span>
            </div>
          ))}
          {(kids.length > 0 || current === c.id) && (
            <ul className="tree">
              {items(kids)}
              {current === c.id && now}
            </ul>
          )}
        </li>
      );
    });
  if (vm.checkpoints.length === 0)
    return <p className="muted">No checkpoints: the VM runs on its base disks.</p>;
  const roots = byParent.get(null) ?? [];
  return (
    <div
      aria-label={`Checkpoints of ${vm.name}`}
      role="region"
      className="cptree"
      data-testid="checkpoint-tree"
    >
      <ul className="tree">{items(roots)}</ul>
      {current === null && <ul className="tree">{now}</ul>}
    </div>
  );
}
