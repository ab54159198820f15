// Pure: where each topology edge runs — from a VM's cell (or its frame's bottom) down to the top of a target card.
import type { TopoEdge } from './edges';
import { anchorOf, type Box, type TopologyLayout } from './layout';

export interface EdgeGeometry {
  id: string;
  /** SVG path data: a vertical cubic curve. */
  d: string;
  labelX: number;
  labelY: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const INSET = 14;

function curve(x1: number, y1: number, x2: number, y2: number): string {
  const dy = Math.max(30, (y2 - y1) / 2);
  return `M ${x1} ${y1} C ${x1} ${y1 + dy}, ${x2} ${y2 - dy}, ${x2} ${y2}`;
}

/** The frame a source id belongs to: a frame id itself, or the frame of the VM behind "anchor:<vmId>". */
function sourceFrame(l: TopologyLayout, source: string): Box | undefined {
  if (source.startsWith('anchor:')) {
    const cell = l.cells.get(source.slice('anchor:'.length));
    return cell ? l.frames.get(cell.frameId) : undefined;
  }
  return l.frames.get(source);
}

/**
 * A VM's own edge starts at the bottom of its cell when `fromCell` (it is lit, drawn above the VMs), else at the
 * bottom of its frame right below the cell, so unlit edges never cross other VMs. Frame edges leave the frame's bottom
 * at the point nearest their target. Ends spread along the target's top edge, nearest the source.
 */
export function edgeGeometry(
  e: TopoEdge,
  l: TopologyLayout,
  fromCell: boolean,
): EdgeGeometry | null {
  const frame = sourceFrame(l, e.source);
  const target = l.targets.get(e.target);
  if (!frame || !target) return null;
  const frameBottom = frame.y + frame.h;
  let x1: number;
  let y1: number;
  if (e.source.startsWith('anchor:')) {
    const a = anchorOf(l, e.source.slice('anchor:'.length));
    if (!a) return null;
    x1 = a.x;
    y1 = fromCell ? a.y : frameBottom;
  } else {
    x1 = clamp(target.x + target.w / 2, frame.x + INSET, frame.x + frame.w - INSET);
    y1 = frameBottom;
  }
  const x2 = clamp(x1, target.x + INSET, target.x + target.w - INSET);
  const y2 = target.y;
  return { id: e.id, d: curve(x1, y1, x2, y2), labelX: (x1 + x2) / 2, labelY: (y1 + y2) / 2 };
}
