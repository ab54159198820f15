// The checkpoint doctor for one VM (and estate-wide orphans): findings with evidence, chosen for a previewed, confirmed repair.
import { useState } from 'react';
import type { DoctorFinding, DoctorRepairResult, DoctorReport } from '../../../../shared/planner';
import { ErrorNote } from '../../components/ErrorNote';
import { useDoctorRepair } from '../../features/planner/mutations';
import { bytes } from '../../format';
import { RepairDialog } from './RepairDialog';

function FindingItem({
  f,
  picked,
  onPick,
}: {
  f: DoctorFinding;
  picked: boolean;
  onPick(on: boolean): void;
}) {
  return (
    <li className={`finding sev-${f.severity}`} data-testid={`doctor-${f.kind}`}>
      <div className="finding-head">
        {f.repairable ? (
          <input
            type="checkbox"
            checked={picked}
            onChange={(e) => onPick(e.target.checked)}
            aria-label={`Repair: ${f.message}`}
          />
        ) : (
          <span className="muted small" title="The doctor will not change this itself">
            manual
          </span>
        )}
        <span className={`sev sev-${f.severity}`}>{f.severity}</span>
        <strong>{f.kind.replace(/-/g, ' ')}</strong>
        {f.path && <span className="mono small muted">{f.path}</span>}
        {f.sizeBytes !== undefined && <span className="small muted num">{bytes(f.sizeBytes)}</span>}
      </div>
      <p>{f.message}</p>
      <p className="fix">
        <span className="muted">Proposal: </span>
        {f.proposal}
      </p>
      {f.evidence.length > 0 && (
        <details>
          <summary>Evidence ({f.evidence.length})</summary>
          <ul className="evidence mono">
            {f.evidence.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

export function DoctorPanel({ vmId, report }: { vmId: string; report: DoctorReport }) {
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [preview, setPreview] = useState<DoctorRepairResult | null>(null);
  const dry = useDoctorRepair();
  const mine = report.findings.filter((f) => f.vmId === vmId);
  const estate = report.findings.filter((f) => !f.vmId);
  const pick = (id: string, on: boolean) =>
    setPicked((p) => {
      const n = new Set(p);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const ids = [...picked].filter((id) => report.findings.some((f) => f.id === id));
  return (
    <section className="card" aria-label="Checkpoint doctor" data-testid="doctor-panel">
      <div className="row">
        <h2>Checkpoint doctor</h2>
        <span className="muted small grow">
          Scanned {report.chainsChecked} chains · {report.findings.length} findings in the estate
          {report.listingAvailable ? '' : ' · orphan detection skipped (no file listing)'} ·{' '}
          {report.protectedPaths.length} files protected
        </span>
        <button
          type="button"
          className="primary"
          disabled={ids.length === 0 || dry.isPending}
          onClick={() =>
            dry.mutate({ findingIds: ids, dryRun: true }, { onSuccess: (r) => setPreview(r) })
          }
        >
          {dry.isPending ? 'Preparing…' : `Preview repair${ids.length ? ` (${ids.length})` : ''}`}
        </button>
      </div>
      {dry.isError && <ErrorNote title="Could not prepare the repair" error={dry.error} />}
      <h3>This VM</h3>
      {mine.length === 0 ? (
        <p className="muted">No findings for this VM.</p>
      ) : (
        <ul className="findings">
          {mine.map((f) => (
            <FindingItem
              key={f.id}
              f={f}
              picked={picked.has(f.id)}
              onPick={(on) => pick(f.id, on)}
            />
          ))}
        </ul>
      )}
      {estate.length > 0 && (
        <>
          <h3>Elsewhere in the estate (files no VM claims)</h3>
          <ul className="findings">
            {estate.map((f) => (
              <FindingItem
                key={f.id}
                f={f}
                picked={picked.has(f.id)}
                onPick={(on) => pick(f.id, on)}
              />
            ))}
          </ul>
        </>
      )}
      {report.notes.length > 0 && (
        <ul className="small muted">
          {report.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      <RepairDialog
        findingIds={ids}
        preview={preview}
        onClose={() => {
          setPreview(null);
          setPicked(new Set());
        }}
      />
    </section>
  );
}
