// One disk's file chain, base .vhdx → .avhdx …: size, type, age and creator of each link, and doctor findings inline.
import type { Vm, VirtualDisk } from '../../../../shared/model';
import type { DoctorFinding } from '../../../../shared/planner';
import { age, bytes, fileName } from '../../format';

export function DiskChain({
  vm,
  disk,
  findings,
}: {
  vm: Vm;
  disk: VirtualDisk;
  findings: readonly DoctorFinding[];
}) {
  const cp = new Map(vm.checkpoints.map((c) => [c.id, c]));
  const mine = findings.filter(
    (f) => f.diskId === disk.id || (f.path && disk.chain.some((x) => x.path === f.path)),
  );
  const total = disk.chain.reduce((s, f) => s + f.fileSize, 0);
  return (
    <section
      className="diskchain"
      aria-label={`Chain of ${fileName(disk.path)}`}
      data-testid={`chain-${disk.id}`}
    >
      <div className="diskchain-head">
        <strong className="mono">{fileName(disk.chain[0]?.path ?? disk.path)}</strong>
        <span className="muted small">
          {disk.format.toUpperCase()} {disk.type} · {bytes(disk.virtualSize)} virtual ·{' '}
          {disk.controller.type} {disk.controller.number}:{disk.controller.location}
          {disk.shared ? ' · shared' : ''} · {disk.chain.length} file
          {disk.chain.length === 1 ? '' : 's'}, {bytes(total)} on disk
        </span>
      </div>
      <ol className="chain" aria-label="Files from base to active">
        {disk.chain.map((f, i) => {
          const c = f.checkpointId ? cp.get(f.checkpointId) : undefined;
          const active = i === disk.chain.length - 1;
          const fileFindings = mine.filter((x) => x.path === f.path);
          return (
            <li
              key={f.path}
              className={`link ${f.kind} ${active ? 'active' : ''} ${fileFindings.length ? 'has-finding' : ''}`}
            >
              {i > 0 && (
                <span className="arrow" aria-hidden>
                  →
                </span>
              )}
              <div className="file" title={f.path}>
                <div className="mono fname">{fileName(f.path)}</div>
                <div className="small">
                  <span className={`kind ${f.kind}`}>
                    {f.kind === 'base' ? 'base' : 'differencing'}
                  </span>{' '}
                  · <span className="num">{bytes(f.fileSize)}</span>
                  {active && <span className="active-tag"> · active</span>}
                </div>
                <div className="small muted">
                  {f.kind === 'base'
                    ? 'the original disk'
                    : c
                      ? `since “${c.name}” (${c.type}) · ${age(c.created)} · by ${c.createdBy ?? 'unknown'}`
                      : f.checkpointId
                        ? `checkpoint ${f.checkpointId} is gone`
                        : 'no checkpoint owns it'}
                </div>
                {fileFindings.map((x) => (
                  <div key={x.id} className={`inline-finding sev-${x.severity}`}>
                    {x.message}
                  </div>
                ))}
              </div>
            </li>
          );
        })}
      </ol>
      {mine
        .filter((x) => !disk.chain.some((f) => f.path === x.path))
        .map((x) => (
          <div key={x.id} className={`inline-finding sev-${x.severity}`} role="note">
            <strong>Doctor ({x.kind.replace(/-/g, ' ')}):</strong> {x.message}{' '}
            <span className="muted">→ {x.proposal}</span>
          </div>
        ))}
    </section>
  );
}
