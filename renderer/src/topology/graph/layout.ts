// Pure: a deterministic layout — frames (nodes or CSVs) in a row on top with their VMs in a grid, targets below, each under its owner.
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
  arrangement: TargetArrangement;
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

const widest = (g: Grouping) => Math.max(0, ...g.targets.map((t) => SIZES.target[t.kind].w));

function shapeFor(g: Grouping, density: Density, cols: number): Shape {
  const c = SIZES[density];
  const inner = cols * c.w + (cols - 1) * c.gap;
  // A frame is at least as wide as one target card, so every target fits under the frame it belongs to.
  const frameW = Math.max(SIZES.frameMinW, widest(g), inner + 2 * SIZES.framePad);
  const frameH = g.frames.map((f) => {
    const rows = Math.max(1, Math.ceil(f.vmIds.length / cols));
    return SIZES.frameHeader + rows * c.h + (rows - 1) * c.gap + SIZES.framePad;
  });
  return { cols, frameW, frameH };
}

/** Targets grouped under the first frame they belong to; the rest (no frame) go after the last frame. */
function targetsByFrame(g: Grouping): {
  under: Map<string, Grouping['targets']>;
  rest: Grouping['targets'];
} {
  const frameIds = new Set(g.frames.map((f) => f.id));
  const under = new Map<string, Grouping['targets']>();
  const rest: Grouping['targets'] = [];
  for (const t of g.targets) {
    const f = t.anchorFrameIds.find((id) => frameIds.has(id));
    if (f === undefined) rest.push(t);
    else under.set(f, [...(under.get(f) ?? []), t]);
  }
  return { under, rest };
}

/** Columns of target cards that fit under a frame of this width. */
function targetCols(frameW: number, cardW: number): number {
  return Math.max(1, Math.floor((frameW + SIZES.targetGap) / (cardW + SIZES.targetGap)));
}

/** How targets sit below the frames: in one row, each group centred under its frame; or stacked inside its frame's width. */
export type TargetArrangement = 'row' | 'stack';

/** Width of the group of targets that sits under a frame when they are laid in one row. */
function groupWidth(list: Grouping['targets'] | undefined, cardW: number): number {
  return list && list.length ? list.length * cardW + (list.length - 1) * SIZES.targetGap : 0;
}

/**
 * Frames left to right. With targets in one row, each frame gets a slot as wide as the targets under it, and sits
 * centred in it, so a node's CSVs never drift under the next node.
 */
function frameBoxes(g: Grouping, s: Shape, arrangement: TargetArrangement): Map<string, Box> {
  const frames = new Map<string, Box>();
  const { under } = targetsByFrame(g);
  const cardW = widest(g) || SIZES.target.csv.w;
  let x = 0;
  g.frames.forEach((f, i) => {
    const slot =
      arrangement === 'row' ? Math.max(s.frameW, groupWidth(under.get(f.id), cardW)) : s.frameW;
    frames.set(f.id, {
      x: x + (slot - s.frameW) / 2,
      y: 0,
      w: s.frameW,
      h: s.frameH[i] ?? SIZES.frameHeader,
    });
    x += slot + SIZES.frameGap;
  });
  return frames;
}

function placeTargets(
  g: Grouping,
  frames: Map<string, Box>,
  s: Shape,
  arrangement: TargetArrangement,
): { targets: Map<string, Box>; right: number; bottom: number } {
  const rowY = Math.max(0, ...s.frameH) + SIZES.rowGap;
  const targets = new Map<string, Box>();
  const { under, rest } = targetsByFrame(g);
  const cardW = widest(g) || SIZES.target.csv.w;
  const cols = arrangement === 'stack' ? targetCols(s.frameW, cardW) : Number.POSITIVE_INFINITY;
  let right = 0;
  let bottom = rowY;
  let cursor = 0;
  for (const f of g.frames) {
    const box = frames.get(f.id);
    const list = under.get(f.id) ?? [];
    if (!box || list.length === 0) continue;
    const perRow = Math.min(cols, list.length);
    const rowW = perRow * cardW + (perRow - 1) * SIZES.targetGap;
    // Centred under the frame; in a single row, pushed right when the previous group would overlap.
    const x0 =
      arrangement === 'row'
        ? Math.max(cursor, box.x + (box.w - rowW) / 2)
        : box.x + (box.w - rowW) / 2;
    list.forEach((t, k) => {
      const size = SIZES.target[t.kind];
      const x = x0 + (k % perRow) * (cardW + SIZES.targetGap);
      const y = rowY + Math.floor(k / perRow) * (SIZES.target.csv.h + SIZES.targetGap);
      targets.set(t.id, { x, y, w: size.w, h: size.h });
      right = Math.max(right, x + size.w);
      bottom = Math.max(bottom, y + size.h);
    });
    cursor = x0 + rowW + SIZES.targetGap;
  }
  const framesRight = Math.max(0, ...[...frames.values()].map((b) => b.x + b.w));
  let x = Math.max(cursor, framesRight + (frames.size ? SIZES.frameGap : 0));
  for (const t of rest) {
    const size = SIZES.target[t.kind];
    targets.set(t.id, { x, y: rowY, w: size.w, h: size.h });
    x += size.w + SIZES.targetGap;
    right = Math.max(right, x - SIZES.targetGap);
    bottom = Math.max(bottom, rowY + size.h);
  }
  return { targets, right: Math.max(right, framesRight), bottom };
}

/**
 * Pick the VM columns and the target arrangement that let the whole picture fill a viewport of the given aspect
 * best. A single row of targets reads more easily, so it wins unless stacking is clearly better (large estates).
 */
function bestShape(
  g: Grouping,
  density: Density,
  aspect: number,
): { shape: Shape; arrangement: TargetArrangement } {
  const most = Math.max(1, ...g.frames.map((f) => f.vmIds.length));
  const maxCols = Math.min(most, density === 'detailed' ? 4 : 14);
  let best: { shape: Shape; arrangement: TargetArrangement } | null = null;
  let bestScore = -1;
  for (let cols = 1; cols <= maxCols; cols++) {
    const s = shapeFor(g, density, cols);
    for (const arrangement of ['row', 'stack'] as const) {
      const { right, bottom } = placeTargets(g, frameBoxes(g, s, arrangement), s, arrangement);
      const score =
        Math.min(aspect / Math.max(1, right), 1 / Math.max(1, bottom)) *
        (arrangement === 'row' ? 1.2 : 1);
      if (score > bestScore + 1e-12) {
        best = { shape: s, arrangement };
        bestScore = score;
      }
    }
  }
  return best ?? { shape: shapeFor(g, density, 1), arrangement: 'row' };
}

export function layoutTopology(g: Grouping, opts: LayoutOptions = {}): TopologyLayout {
  const visible = g.frames.reduce((s, f) => s + f.vmIds.length, 0);
  const density: Density = opts.density ?? (visible > COMPACT_THRESHOLD ? 'compact' : 'detailed');
  const { shape, arrangement } = bestShape(g, density, opts.aspect ?? 1.9);
  const c = SIZES[density];
  const frames = frameBoxes(g, shape, arrangement);
  const cells = new Map<string, Cell>();
  for (const f of g.frames) {
    f.vmIds.forEach((vmId, k) => {
      const col = k % shape.cols;
      const row = Math.floor(k / shape.cols);
      cells.set(vmId, {
        vmId,
        frameId: f.id,
        x: SIZES.framePad + col * (c.w + c.gap),
        y: SIZES.frameHeader + row * (c.h + c.gap),
        w: c.w,
        h: c.h,
      });
    });
  }
  const { targets, right, bottom } = placeTargets(g, frames, shape, arrangement);
  return {
    density,
    frames,
    cells,
    targets,
    width: right,
    height: bottom,
    columns: shape.cols,
    arrangement,
  };
}

/** Where edges leave a VM: the bottom centre of its cell, in absolute coordinates. */
export function anchorOf(l: TopologyLayout, vmId: string): { x: number; y: number } | null {
  const cell = l.cells.get(vmId);
  const frame = cell ? l.frames.get(cell.frameId) : undefined;
  if (!cell || !frame) return null;
  return { x: frame.x + cell.x + cell.w / 2, y: frame.y + cell.y + cell.h };
}
