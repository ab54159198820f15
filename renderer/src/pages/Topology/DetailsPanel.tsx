// The side panel for a selected VM, CSV or node: facts, the reasons behind every flag, findings, and actions.
import { useEffect, useRef } from 'react';
import type { Inventory } from '../../../../shared/model';
import { FindingList } from '../../components/FindingList';
import { bytes, fileName } from '../../format';
import { useEscape } from '../../hooks/useEscape';
import { useWizard } from '../../state/backupWizard';
import { useRestoreUi } from '../../state/restore';
import { useTopologyUi } from '../../state/topology';
import { useUi } from '../../state/ui';
import type { FindingIndex } from '../../topology/graph/findings';
import type { TopologyModel } from '../../topology/graph/model';

export function DetailsPanel({
  inv,
  model,
  findings,
}: {
  inv: Inventory;
  model: TopologyModel;
  findings: FindingIndex | null;
}) {
  const selection = useTopologyUi((s) => s.selection);
  const section = useTopologyUi((s) => s.section);
  const select = useTopologyUi((s) => s.select);
  const setPage = useUi((s) => s.setPage);
  const openCheckpoints = useUi((s) => s.openCheckpoints);
  const resetWizard = useWizard((s) => s.reset);
  const pickRestoreVm = useRestoreUi((s) => s.pickVm);
  const findingsRef = useRef<HTMLElement>(null);
  useEscape(() => select(null), selection !== null);
  useEffect(() => {
    if (section === 'findings') findingsRef.current?.scrollIntoView({ block: 'start' });
  }, [section, selection]);
  if (!selection) return null;

  let body: React.ReactElement;
  if (selection.kind === 'vm') {
    const vm = inv.vms.find((v) => v.id === selection.id);
    const tv = model.vmById.get(selection.id);
    if (!vm || !tv) return null;
    const list = findings?.byVm.get(vm.id) ?? [];
    body = (
      <>
        <h2 id="details-title">{vm.name}</h2>
        <div className="actions">
          <button
            type="button"
            className="primary small"
            onClick={() => (resetWizard([vm.id]), setPage('backup'))}
          >
            Back up…
          </button>
          <button type="button" className="small" onClick={() => openCheckpoints(vm.id)}>
            Checkpoints
          </button>
          <button
            type="button"
            className="small"
            onClick={() => (pickRestoreVm(vm.id), setPage('restore'))}
          >
            Restore…
          </button>
        </div>
        <dl className="facts">
          <dt>State</dt>
          <dd>{vm.state}</dd>
          <dt>Host</dt>
          <dd>{vm.hostNode}</dd>
          <dt>VM id</dt>
          <dd className="mono">{vm.id}</dd>
          <dt>Generation</dt>
          <dd>{vm.generation}</dd>
          <dt>Config version</dt>
          <dd>{vm.configVersion}</dd>
          <dt>SCSI controllers</dt>
          <dd>{vm.scsiControllers}</dd>
          <dt>Checkpoint type</dt>
          <dd>{vm.checkpointType}</dd>
          <dt>Checkpoints</dt>
          <dd>{vm.checkpoints.length}</dd>
          <dt>Recovery target</dt>
          <dd>{vm.rtoSeconds ? `${Math.round(vm.rtoSeconds / 60)} min` : 'not set'}</dd>
          <dt>Tags</dt>
          <dd>{vm.tags.join(', ') || '–'}</dd>
        </dl>
        {tv.flags.length > 0 && (
          <section className="flags" aria-label="Why it is flagged">
            <h3>Why it is flagged</h3>
            <ul>
              {tv.flags.map((f) => (
                <li key={f.kind} className={`flag ${f.kind}`}>
                  {f.message}
                </li>
              ))}
            </ul>
          </section>
        )}
        <section ref={findingsRef} aria-label="Findings" data-testid="details-findings">
          <h3>Pre-flight and doctor findings</h3>
          <FindingList
            findings={list}
            empty={findings ? 'No failing checks and no doctor findings.' : 'Checks not available.'}
          />
        </section>
        <h3>Disks</h3>
        <table className="grid">
          <thead>
            <tr>
              <th>File</th>
              <th>CSV</th>
              <th>Size</th>
              <th>Chain</th>
            </tr>
          </thead>
          <tbody>
            {vm.disks.map((d) => (
              <tr key={d.id}>
                <td className="mono" title={d.path}>
                  {fileName(d.path)}
                </td>
                <td>
                  {d.csvId ? (
                    <button
                      type="button"
                      className="link"
                      onClick={() => select({ kind: 'csv', id: d.csvId ?? '' })}
                    >
                      {model.csvById.get(d.csvId)?.name ?? d.csvId}
                    </button>
                  ) : (
                    'local storage'
                  )}
                </td>
                <td className="num">{bytes(d.virtualSize)}</td>
                <td>
                  {d.chain.length} file{d.chain.length === 1 ? '' : 's'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
  } else if (selection.kind === 'csv') {
    const c = inv.cluster.csvs.find((x) => x.id === selection.id);
    const tc = model.csvById.get(selection.id);
    if (!c || !tc) return null;
    body = (
      <>
        <h2 id="details-title">{c.name}</h2>
        <dl className="facts">
          <dt>Path</dt>
          <dd className="mono">{c.path}</dd>
          <dt>Owner</dt>
          <dd>{c.ownerNode}</dd>
          <dt>File system</dt>
          <dd>{c.fileSystem}</dd>
          <dt>Free</dt>
          <dd>
            {bytes(c.freeBytes)} of {bytes(c.sizeBytes)}
          </dd>
        </dl>
        <h3>Access per node</h3>
        <table className="grid">
          <thead>
            <tr>
              <th>Node</th>
              <th>State</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {c.states.map((s) => (
              <tr key={s.node} className={s.state !== 'Direct' ? 'bad' : ''}>
                <td>{s.node}</td>
                <td>{s.state}</td>
                <td>{s.reason || '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <section ref={findingsRef} aria-label="Findings">
          <h3>Pre-flight and doctor findings</h3>
          <FindingList
            findings={findings?.byCsv.get(c.id) ?? []}
            empty="No failing checks on this CSV."
          />
        </section>
        <h3>VMs with disks here ({tc.vmIds.length})</h3>
        <ul className="plain vmlist">
          {tc.vmIds.slice(0, 300).map((id) => {
            const v = model.vmById.get(id);
            if (!v) return null;
            return (
              <li key={id}>
                <button type="button" className="link" onClick={() => select({ kind: 'vm', id })}>
                  {v.name}
                </button>
                <span className="muted">
                  {' '}
                  on {v.host}
                  {v.host !== c.ownerNode ? ' (not the owner)' : ''}
                </span>
              </li>
            );
          })}
          {tc.vmIds.length > 300 && (
            <li className="muted">
              … and {tc.vmIds.length - 300} more (filter by this CSV to see them all)
            </li>
          )}
        </ul>
      </>
    );
  } else {
    const n = model.nodes.find((x) => x.name === selection.id);
    if (!n) return null;
    body = (
      <>
        <h2 id="details-title">{n.name}</h2>
        <dl className="facts">
          <dt>State</dt>
          <dd>{n.state}</dd>
          <dt>OS</dt>
          <dd>Windows Server {n.osVersion}</dd>
          <dt>VMs</dt>
          <dd>{n.vmIds.length}</dd>
          <dt>Owns</dt>
          <dd>
            {n.ownedCsvIds.length === 0
              ? 'no CSV'
              : n.ownedCsvIds.map((id) => (
                  <button
                    key={id}
                    type="button"
                    className="link"
                    onClick={() => select({ kind: 'csv', id })}
                  >
                    {model.csvById.get(id)?.name ?? id}{' '}
                  </button>
                ))}
          </dd>
        </dl>
      </>
    );
  }
  return (
    <aside className="details" data-testid="details-panel" aria-labelledby="details-title">
      <button
        type="button"
        className="close"
        aria-label="Close details"
        onClick={() => select(null)}
      >
        ×
      </button>
      {body}
    </aside>
  );
}
