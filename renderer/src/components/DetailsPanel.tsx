// The side panel for a selected VM or CSV: facts, disks and the reasons behind every flag.
import type { ReactElement } from 'react';
import type { Inventory } from '../../../shared/model';
import { flagsOf } from '../../../shared/topology';
import { bytes } from '../format';
import { useUi } from '../state/ui';

export function DetailsPanel({ inv }: { inv: Inventory }) {
  const selection = useUi((s) => s.selection);
  const select = useUi((s) => s.select);
  if (!selection) return null;
  const csvName = (id: string | null) => inv.cluster.csvs.find((c) => c.id === id)?.name ?? 'local storage';

  let body: ReactElement | null = null;
  if (selection.kind === 'vm') {
    const vm = inv.vms.find((v) => v.id === selection.id);
    if (!vm) return null;
    const flags = flagsOf(inv).get(vm.id) ?? [];
    body = (
      <>
        <h2>{vm.name}</h2>
        <dl className="facts">
          <dt>State</dt><dd>{vm.state}</dd>
          <dt>Host</dt><dd>{vm.hostNode}</dd>
          <dt>VM id</dt><dd className="mono">{vm.id}</dd>
          <dt>Generation</dt><dd>{vm.generation}</dd>
          <dt>Config version</dt><dd>{vm.configVersion}</dd>
          <dt>SCSI controllers</dt><dd>{vm.scsiControllers}</dd>
          <dt>Checkpoint type</dt><dd>{vm.checkpointType}</dd>
          <dt>Checkpoints</dt><dd>{vm.checkpoints.length}</dd>
        </dl>
        {flags.length > 0 && (
          <section className="flags" aria-label="Problems">
            <h3>Why it is flagged</h3>
            <ul>
              {flags.map((f) => (
                <li key={f.kind} className={`flag ${f.kind}`}>{f.message}</li>
              ))}
            </ul>
          </section>
        )}
        <h3>Disks</h3>
        <table className="grid">
          <thead><tr><th>File</th><th>CSV</th><th>Size</th><th>Chain</th></tr></thead>
          <tbody>
            {vm.disks.map((d) => (
              <tr key={d.id}>
                <td className="mono" title={d.path}>{d.path.split('\\').pop()}</td>
                <td>{csvName(d.csvId)}</td>
                <td>{bytes(d.virtualSize)}</td>
                <td>{d.chain.length} file{d.chain.length === 1 ? '' : 's'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
  } else if (selection.kind === 'csv') {
    const c = inv.cluster.csvs.find((x) => x.id === selection.id);
    if (!c) return null;
    const vms = inv.vms.filter((v) => v.disks.some((d) => d.csvId === c.id));
    body = (
      <>
        <h2>{c.name}</h2>
        <dl className="facts">
          <dt>Path</dt><dd className="mono">{c.path}</dd>
          <dt>Owner</dt><dd>{c.ownerNode}</dd>
          <dt>File system</dt><dd>{c.fileSystem}</dd>
          <dt>Free</dt><dd>{bytes(c.freeBytes)} of {bytes(c.sizeBytes)}</dd>
        </dl>
        <h3>Access per node</h3>
        <table className="grid">
          <thead><tr><th>Node</th><th>State</th><th>Reason</th></tr></thead>
          <tbody>
            {c.states.map((s) => (
              <tr key={s.node}><td>{s.node}</td><td>{s.state}</td><td>{s.reason || '–'}</td></tr>
            ))}
          </tbody>
        </table>
        <h3>VMs with disks here ({vms.length})</h3>
        <ul className="plain">
          {vms.map((v) => (
            <li key={v.id}>
              <button className="link" onClick={() => select({ kind: 'vm', id: v.id })}>{v.name}</button>
              <span className="muted"> on {v.hostNode}{v.hostNode !== c.ownerNode ? ' (not the owner)' : ''}</span>
            </li>
          ))}
        </ul>
      </>
    );
  }
  return (
    <aside className="details" data-testid="details-panel" aria-label="Details">
      <button className="close" aria-label="Close details" onClick={() => select(null)}>×</button>
      {body}
    </aside>
  );
}
