// One VM inside a frame: a card with flags and finding badges (detailed) or a compact chip (1,000-VM scale).
import { memo, type CSSProperties, type MouseEvent } from 'react';
import { FindingBadge } from '../../components/FindingBadge';
import { countFindings, type FindingRef } from '../graph/findings';
import type { Cell, Density } from '../graph/layout';
import type { TopoVm } from '../graph/model';
import type { DetailsSection } from '../../state/topology';
import type { Selection } from '../graph/highlight';

const FLAG_TEXT: Record<string, (n: number) => string> = {
  'spans-csvs': (n) => `${n} CSVs`,
  'not-csv-owner': () => 'not owner',
  'csv-redirected': () => 'redirected',
  'no-scsi': () => 'no SCSI',
  'shared-disk': () => 'shared',
};

interface Props {
  vm: TopoVm;
  cell: Cell;
  density: Density;
  hot: boolean;
  dim: boolean;
  findings: FindingRef[] | undefined;
  select(s: Selection, section?: DetailsSection): void;
}

export const VmCell = memo(function VmCell({
  vm,
  cell,
  density,
  hot,
  dim,
  findings,
  select,
}: Props) {
  const count = countFindings(findings);
  const problems = vm.flags.length + count.notable;
  const style: CSSProperties = { left: cell.x, top: cell.y, width: cell.w, height: cell.h };
  // "nopan": a press on a VM selects it instead of starting to pan the canvas.
  const cls = `vmcell nopan ${density} s-${vm.state.toLowerCase()} ${problems ? 'flagged' : ''} ${count.worst === 'error' ? 'has-error' : ''} ${hot ? 'hot' : ''} ${dim ? 'dim' : ''}`;
  const label = `${vm.name}, ${vm.state} on ${vm.host}${problems ? `, ${problems} problem${problems > 1 ? 's' : ''}` : ''}`;
  const onSelect = (e: MouseEvent) => {
    e.stopPropagation();
    select({ kind: 'vm', id: vm.id });
  };
  if (density === 'compact') {
    // One element per VM at scale: the state dot and the problem mark are CSS pseudo-elements.
    return (
      <button
        type="button"
        className={cls}
        style={style}
        data-testid={`vm-${vm.name}`}
        aria-label={label}
        aria-pressed={hot}
        title={label}
        onClick={onSelect}
      >
        {vm.name}
      </button>
    );
  }
  return (
    <div
      className={cls}
      style={style}
      data-testid={`vm-${vm.name}`}
      onClick={onSelect}
      title={vm.flags.map((f) => f.message).join('\n')}
    >
      <button
        type="button"
        className="vmname-btn"
        aria-label={label}
        aria-pressed={hot}
        onClick={onSelect}
      >
        <span className={`dot ${vm.state.toLowerCase()}`} aria-hidden />
        <span className="vmname">{vm.name}</span>
      </button>
      <div className="tbadges">
        {vm.flags.map((f) => (
          <span
            key={f.kind}
            className={`badge ${f.kind}`}
            data-testid={`flag-${vm.name}-${f.kind}`}
          >
            {FLAG_TEXT[f.kind]?.(f.csvIds.length) ?? f.kind}
          </span>
        ))}
        <FindingBadge
          count={count}
          label={`${vm.name} findings`}
          testId={`findings-${vm.name}`}
          onOpen={() => select({ kind: 'vm', id: vm.id }, 'findings')}
        />
      </div>
    </div>
  );
});
