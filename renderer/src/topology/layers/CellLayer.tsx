// The VMs of every frame, drawn in one layer over the frames (React Flow then only handles the frames and targets).
import { memo } from 'react';
import type { Frame } from '../graph/group';
import type { Highlight } from '../graph/highlight';
import type { Box, Cell, Density } from '../graph/layout';
import type { TopologyModel } from '../graph/model';
import type { FindingIndex } from '../graph/findings';
import type { TopologyContextValue } from '../context';
import { VmCell } from '../nodes/VmCell';

interface FrameCellsProps {
  frame: Frame;
  box: Box;
  cells: Map<string, Cell>;
  model: TopologyModel;
  density: Density;
  hl: Highlight;
  findings: FindingIndex | null;
  select: TopologyContextValue['select'];
}

const FrameCells = memo(function FrameCells({
  frame,
  box,
  cells,
  model,
  density,
  hl,
  findings,
  select,
}: FrameCellsProps) {
  return (
    <div
      className="frame-cells"
      style={{ left: box.x, top: box.y, width: box.w, height: box.h }}
      role="group"
      aria-label={`VMs of ${frame.title}`}
    >
      {frame.vmIds.map((id) => {
        const vm = model.vmById.get(id);
        const cell = cells.get(id);
        if (!vm || !cell) return null;
        const hot = hl.active && hl.vms.has(id);
        return (
          <VmCell
            key={id}
            vm={vm}
            cell={cell}
            density={density}
            hot={hot}
            dim={hl.active && !hot}
            findings={findings?.byVm.get(id)}
            select={select}
          />
        );
      })}
    </div>
  );
});

export function CellLayer(props: {
  frames: Frame[];
  boxes: Map<string, Box>;
  cells: Map<string, Cell>;
  model: TopologyModel;
  density: Density;
  hl: Highlight;
  findings: FindingIndex | null;
  select: TopologyContextValue['select'];
}) {
  const { frames, boxes, ...rest } = props;
  return (
    <div className="cell-layer">
      {frames.map((f) => {
        const box = boxes.get(f.id);
        return box ? <FrameCells key={f.id} frame={f} box={box} {...rest} /> : null;
      })}
    </div>
  );
}
