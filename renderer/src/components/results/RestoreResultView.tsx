// The result of a restore: where the VM went (or what an in-place restore replaced), and per disk whether it verified.
import type { RestoreResult } from '../../../../shared/backup';
import { bytes, duration } from '../../format';

export function RestoreResultView({ r }: { r: RestoreResult }) {
  const bad = r.disks.filter((d) => !d.verified);
  return (
    <section className="summary" aria-label="Restore result" data-testid="restore-result">
      {bad.length === 0 ? (
        <div className="banner ok" role="status" data-testid="restore-verified">
          <strong>
            {r.inPlace ? 'Restored in place and verified.' : 'Restored and verified.'}
          </strong>{' '}
          {r.disks.length} disk
          {r.disks.length === 1 ? '' : 's'} match the backup's hashes.
        </div>
      ) : (
        <div className="banner bad" role="alert">
          <strong>
            Restored, but {bad.length} disk{bad.length === 1 ? '' : 's'} did not verify.
          </strong>{' '}
          Do not use this copy.
        </div>
      )}
      <dl className="facts">
        <dt>VM</dt>
        <dd>{r.vmName}</dd>
        <dt>{r.inPlace ? 'VM id (unchanged)' : 'New VM id'}</dt>
        <dd className="mono">{r.newVmId}</dd>
        {r.inPlace && (
          <>
            <dt>Replaced files kept in</dt>
            <dd className="mono" data-testid="restore-replaced-dir">
              {r.inPlace.replacedFilesDirs.join(', ')}
            </dd>
            <dt>Checkpoints removed</dt>
            <dd>
              {r.inPlace.checkpointsRemoved === 0
                ? 'none'
                : r.inPlace.removedCheckpoints.map((c) => c.name).join(', ')}
            </dd>
            <dt>Next backup</dt>
            <dd>
              {r.inPlace.changeTrackingReset
                ? 'full (change tracking restarted)'
                : 'full (this host has no change tracking)'}
            </dd>
          </>
        )}
        <dt>Folder</dt>
        <dd className="mono">{r.targetDir}</dd>
        <dt>Configuration</dt>
        <dd className="mono">{r.configPath}</dd>
        <dt>Restore point</dt>
        <dd className="mono">{r.pointId}</dd>
        <dt>Took</dt>
        <dd>{duration(r.durationSeconds)}</dd>
      </dl>
      <table className="grid">
        <thead>
          <tr>
            <th>Disk</th>
            <th className="num">Size</th>
            <th>Content digest of the restored disk</th>
            <th>Verified</th>
          </tr>
        </thead>
        <tbody>
          {r.disks.map((d) => (
            <tr key={d.diskKey} className={d.verified ? '' : 'bad-row'}>
              <td className="mono" title={d.path}>
                {d.path}
              </td>
              <td className="num">{bytes(d.virtualSize)}</td>
              <td className="mono small">
                {d.digest}
                {d.expectedDigest && d.expectedDigest !== d.digest && (
                  <div className="bad">expected {d.expectedDigest}</div>
                )}
              </td>
              <td>
                {d.verified ? (
                  <span className="ok-text">✓ matches</span>
                ) : (
                  <span className="bad">✗ mismatch</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
