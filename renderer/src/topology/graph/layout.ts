// Pure: a deterministic layout — frames (nodes or CSVs) in a row on top with their VMs in a grid, targets in a row below, each under its owner.
import type { Grouping } from './group';

export type Density = 'detailed' | 'compact';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A VM's cell, relative to its frame's top-left corner. */
export interface Cell extends Box {
  vmId: string;
  frameId: string;
}

export interface TopologyLayout {
  density: Density;
  frames: Map<string, Box>;
  cells: Map<string, Cell>;
  targets: Map<string, Box>;
  width: number;
  height: number;
  /** Columns of VM cells per frame. */
  columns: number;
}

/** Above this many visible VMs, VM cards collapse into compact chips and VM→CSV edges are aggregated per frame. */
export const COMPACT_THRESHOLD = 120;

export const SIZES = {
  detailed: { w: 172, h: 54, gap: 10 },
  compact: { w: 92, h: 20, gap: 4 },
  framePad: 12,
  frameHeader: 38,
  frameMinW: 210,
  frameGap: 48,
  rowGap: 120,
  target: { csv: { w: 230, h: 88 }, node: { w: 210, h: 70 } },
  targetGap: 18,
} as const;

export interface LayoutOptions {
  /** Force a density; by default it follows the number of visible VMs. */
  density?: Density;
  /** Width / height of the viewport the picture should fill best (default 1.9, a wide window). */
  aspect?: number;
}

interface Shape {
  cols: number;
  frameW: number;
  frameH: number[];
}

function shapeFor(g: Grouping, density: Density, cols: number): Shape {
  const c = SIZES[density];
  const inner = cols * c.w + (cols - 1) * c.gap;
  const frameW = Math.max(SIZES.frameMinW, inner + 2 * SIZES.framePad);
  const frameH = g.frames.map((f) => {
    const rows = Math.max(1, Math.ceil(f.vmIds.length / cols));
    return SIZES.frameHeader + rows * c.h + (rows - 1) * c.gap + SIZES.framePad;
  });
  return { cols, frameW, frameH };
}

function targetsWidth(g: Grouping): number {
  return g.targets.reduce((s, t) => s + SIZES.target[t.kind].w + SIZES.targetGap, 0);
}

/** Pick the column count that lets the whole picture fill a viewport of the given aspect best. */
function bestShape(g: Grouping, density: Density, aspect: number): Shape {
  const most = Math.max(1, ...g.frames.map((f) => f.vmIds.length));
  const maxCols = Math.min(most, density === 'detailed' ? 4 : 14);
  const tw = targetsWidth(g);
  let best: Shape | null = null;
  let bestScore = -1;
  for (let cols = 1; cols <= maxCols; cols++) {
    const s = shapeFor(g, density, cols);
    const w = Math.max(g.frames.length * (s.frameW + SIZES.frameGap), tw);
    const h = Math.max(...s.frameH, 0) + SIZES.rowGap + SIZES.target.csv.h;
    const score = Math.min(aspect / w, 1 / h);
    if (score > bestScore + 1e-12) {
      best = s;
      bestScore = score;
    }
  }
  return best ?? shapeFor(g, density, 1);
}

export function layoutTopology(g: Grouping, opts: LayoutOptions = {}): TopologyLayout {
  const visible = g.frames.reduce((s, f) => s + f.vmIds.length, 0);
  const density: Density = opts.density ?? (visible > COMPACT_THRESHOLD ? 'compact' : 'detailed');
  const shape = bestShape(g, density, opts.aspect ?? 1.9);
  const c = SIZES[density];
  const frames = new Map<string, Box>();
  const cells = new Map<string, Cell>();
  let x = 0;
  g.frames.forEach((f, i) => {
    const h = shape.frameH[i] ?? SIZES.frameHeader;
    frames.set(f.id, { x, y: 0, w: shape.frameW, h });
    f.vmIds.forEach((vmId, k) => {
      const col = k % shape.cols;
      const row = Math.floor(k / shape.cols);
      cells.set(vmId, { vmId, frameId: f.id, x: SIZES.framePad + col * (c.w + c.gap), y: SIZES.frameHeader + row * (c.h + c.gap), w: c.w, h: c.h });
    });
    x += shape.frameW + SIZES.frameGap;
  });
  const framesRight = Math.max(0, x - SIZES.frameGap);
  const rowY = Math.max(0, ...shape.frameH) + SIZES.rowGap;

  // Targets: each group centred under the first frame it belongs to, pushed right when it would overlap.
  const targets = new Map<string, Box>();
  let cursor = 0;
  const place = (ids: Array<{ id: string; kind: 'csv' | 'node' }>, centre: number | null) => {
    if (ids.length === 0) return;
    const width = ids.reduce((s, t) => s + SIZES.target[t.kind].w, 0) + (ids.length - 1) * SIZES.targetGap;
    let tx = Math.max(cursor, centre === null ? cursor : centre - width / 2);
    for (const t of ids) {
      const size = SIZES.target[t.kind];
      targets.set(t.id, { x: tx, y: rowY, w: size.w, h: size.h });
      tx += size.w + SIZES.targetGap;
    }
    cursor = tx;
  };
  const placed = new Set<string>();
  for (const f of g.frames) {
    const box = frames.get(f.id);
    const mine = g.targets.filter((t) => !placed.has(t.id) && t.anchorFrameIds[0] === f.id);
    mine.forEach((t) => placed.add(t.id));
    place(mine, box ? box.x + box.w / 2 : null);
  }
  place(
    g.targets.filter((t) => !placed.has(t.id)),
    null,
  );
  const width = Math.max(framesRight, cursor - SIZES.targetGap);
  const height = rowY + Math.max(0, ...[...targets.values()].map((t) => t.h));
  return { density, frames, cells, targets, width, height, columns: shape.cols };
}

/** Where edges leave a VM: the bottom centre of its cell, in absolute coordinates. */
export function anchorOf(l: TopologyLayout, vmId: string): { x: number; y: number } | null {
  const cell = l.cells.get(vmId);
  const frame = cell ? l.frames.get(cell.frameId) : undefined;
  if (!cell || !frame) return null;
  return { x: frame.x + cell.x + cell.w / 2, y: frame.y + cell.y + cell.h };
}
