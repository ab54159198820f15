// The honest summary of a backup run: partial is shown as a failure, with per-VM errors, fallbacks, full-vs-incremental reasons and loud cleanup failures.
import type { BackupRunResult, VmBackupOutcome } from '../../../../shared/backup';
import { bytes, duration } from '../../format';
import { useUi } from '../../state/ui';

function Banner({ r }: { r: BackupRunResult }) {
  const n = r.vms.length;
  const ok = r.vms.filter((v) => v.status === 'succeeded').length;
  const failed = r.vms.filter((v) => v.status === 'failed').length;
  switch (r.status) {
    case 'succeeded':
      return (
        <div
          className="banner ok"
          role="status"
          data-testid="backup-outcome"
          data-status="succeeded"
        >
          <strong>Succeeded.</strong> All {n} VM{n === 1 ? '' : 's'} backed up.
        </div>
      );
    case 'partial':
      return (
        <div className="banner bad" role="alert" data-testid="backup-outcome" data-status="partial">
          <strong>Partial failure — this run did not succeed.</strong> {failed} of {n} VMs failed;{' '}
          {ok} backed up. The failed VMs have no new restore point.
        </div>
      );
    case 'failed':
      return (
        <div className="banner bad" role="alert" data-testid="backup-outcome" data-status="failed">
          <strong>Failed.</strong> No VM was backed up ({failed} of {n} failed).
        </div>
      );
    case 'canceled':
      return (
        <div
          className="banner warn"
          role="alert"
          data-testid="backup-outcome"
          data-status="canceled"
        >
          <strong>Canceled.</strong> {ok} of {n} VMs were backed up before the run stopped; the rest
          have no new restore point.
        </div>
      );
  }
}

function Consistency({ v }: { v: VmBackupOutcome }) {
  if (!v.consistencyReached)
    return <span className="muted">{v.consistencyRequested} requested</span>;
  const fell = v.consistencyReached !== v.consistencyRequested;
  return (
    <span className={fell ? 'warn-text' : ''}>
      {fell ? `${v.consistencyRequested} → ${v.consistencyReached}` : v.consistencyReached}
      {v.fallbackReason && <div className="small">Fell back: {v.fallbackReason}</div>}
    </span>
  );
}

export function BackupSummary({ result }: { result: BackupRunResult }) {
  const openCheckpoints = useUi((s) => s.openCheckpoints);
  const leftovers = result.vms.filter((v) => v.cleanupFailures.length > 0);
  return (
    <section className="summary" aria-label="Backup summary" data-testid="backup-summary">
      <Banner r={result} />
      {leftovers.length > 0 && (
        <div className="banner bad loud" role="alert" data-testid="cleanup-failures">
          <strong>Cleanup failed — checkpoints were left behind.</strong> They grow .avhdx files and
          block the next run until removed.
          <ul>
            {leftovers.map((v) =>
              v.cleanupFailures.map((c, i) => (
                <li key={`${v.vmId}-${i}`}>
                  <strong>{v.vmName}:</strong> {c}{' '}
                  <button type="button" className="link" onClick={() => openCheckpoints(v.vmId)}>
                    Open in Checkpoints
                  </button>
                </li>
              )),
            )}
          </ul>
        </div>
      )}
      <table className="grid" data-testid="backup-vms">
        <thead>
          <tr>
            <th>VM</th>
            <th>Result</th>
            <th>Consistency</th>
            <th>Disks (full or incremental, and why)</th>
            <th className="num">Read</th>
            <th className="num">Stored</th>
            <th className="num">Time</th>
          </tr>
        </thead>
        <tbody>
          {result.vms.map((v) => (
            <tr
              key={v.vmId}
              className={v.status !== 'succeeded' ? 'bad-row' : ''}
              data-testid={`outcome-${v.vmName}`}
            >
              <td>
                <strong>{v.vmName}</strong>
                {v.pointId && <div className="mono small muted">point {v.pointId}</div>}
              </td>
              <td>
                <span className={`state ${v.status}`}>{v.status}</span>
                {v.error && (
                  <div className="bad small">
                    {v.error.message} <span className="muted">[{v.error.code}]</span>
                  </div>
                )}
              </td>
              <td>
                <Consistency v={v} />
              </td>
              <td>
                <ul className="plain small">
                  {v.disks.map((d) => (
                    <li key={d.diskId}>
                      <span className="mono">{d.file}</span>: <strong>{d.mode}</strong>
                      {d.fullReason && <span className="muted"> — {d.fullReason}</span>}
                      <span className="muted">
                        {' '}
                        · changed {bytes(d.changedBytes)} · {d.chunksNew} new / {d.chunksReused}{' '}
                        reused chunks
                      </span>
                    </li>
                  ))}
                  {v.disks.length === 0 && <li className="muted">no disk read</li>}
                </ul>
              </td>
              <td className="num">{bytes(v.disks.reduce((s, d) => s + d.bytesRead, 0))}</td>
              <td className="num">{bytes(v.disks.reduce((s, d) => s + d.bytesStored, 0))}</td>
              <td className="num">{duration(v.durationSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.overrides.length > 0 && (
        <div className="card subtle">
          <h3>Pre-flight warnings overridden (recorded with this run)</h3>
          <ul className="plain small">
            {result.overrides.map((o, i) => (
              <li key={i}>
                <span className="mono">{o.ruleId}</span>
                {o.vmId ? ` on ${result.vms.find((v) => v.vmId === o.vmId)?.vmName ?? o.vmId}` : ''}
                : “{o.reason}”
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
