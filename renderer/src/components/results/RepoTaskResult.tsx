// Results of repository tasks: check / verify (missing or corrupt chunks), garbage collection, retention.
import { bytes } from '../../format';
import type {
  CheckResult as CheckResultData,
  ForgetResult as ForgetResultData,
  GcResult as GcResultData,
} from '../../../../shared/backup';

export function CheckResult({ r, readData }: { r: CheckResultData; readData: boolean }) {
  return (
    <div
      className={`banner ${r.ok ? 'ok' : 'bad'}`}
      role={r.ok ? 'status' : 'alert'}
      data-testid="check-result"
    >
      <strong>
        {r.ok
          ? readData
            ? 'Verified: every chunk re-hashed and intact.'
            : 'Structure is consistent.'
          : 'The repository is damaged.'}
      </strong>{' '}
      {r.chunksChecked.toLocaleString()} chunks checked
      {!r.ok && (
        <>
          ; {r.missingChunks.length} missing, {r.corruptChunks.length} corrupt, affecting{' '}
          {r.affectedPoints.length} restore points.
          <ul className="small">
            {r.errors.slice(0, 10).map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

export function GcResult({ r }: { r: GcResultData }) {
  return (
    <div className="banner ok" role="status" data-testid="gc-result">
      <strong>Garbage collection done.</strong> Freed {bytes(r.bytesFreed)}; {r.packsDeleted} packs
      deleted, {r.packsRewritten} rewritten.
      {r.deferredChunks > 0 &&
        ` ${r.deferredChunks} chunks kept for now because backups were running; a later run removes them.`}
      {r.youngChunks > 0 &&
        ` ${r.youngChunks} unused chunks were written less than 10 minutes ago and are left for a later run (a backup may still be using them).`}
    </div>
  );
}

export function ForgetResult({ r }: { r: ForgetResultData }) {
  return (
    <div className="banner ok" role="status" data-testid="forget-result">
      <strong>{r.dryRun ? 'Retention preview (nothing removed):' : 'Retention applied:'}</strong>{' '}
      {r.removed.length} restore point{r.removed.length === 1 ? '' : 's'}{' '}
      {r.dryRun ? 'would be' : 'were'} removed, {r.kept.length} kept.
    </div>
  );
}
