// Compare the merged content of two disks (or chains): ranges where they differ, extents first, then data.
import { openChain } from './chain';
import { MiB } from './layout';
import type { Chain, Extent } from './types';

export interface DiffRange {
  offset: number;
  length: number;
}

const STEP = 8 * MiB;

/** Split two extent lists into common segments, each with both kinds. */
function* segments(
  a: Extent[],
  b: Extent[],
  end: number,
): Generator<{ start: number; end: number; ka: Extent['kind']; kb: Extent['kind'] }> {
  let i = 0;
  let j = 0;
  let pos = 0;
  while (pos < end) {
    while (i < a.length && (a[i] as Extent).offset + (a[i] as Extent).length <= pos) i++;
    while (j < b.length && (b[j] as Extent).offset + (b[j] as Extent).length <= pos) j++;
    const ea = a[i];
    const eb = b[j];
    if (!ea || !eb) return;
    const segEnd = Math.min(end, ea.offset + ea.length, eb.offset + eb.length);
    yield { start: pos, end: segEnd, ka: ea.kind, kb: eb.kind };
    pos = segEnd;
  }
}

function addRange(out: DiffRange[], offset: number, length: number): void {
  const last = out[out.length - 1];
  if (last && last.offset + last.length === offset) last.length += length;
  else out.push({ offset, length });
}

/** Compare sector by sector; `gran` is the comparison granularity (the smaller logical sector size). */
function compareBuffers(x: Buffer, y: Buffer, base: number, gran: number, out: DiffRange[]): void {
  if (x.equals(y)) return;
  for (let o = 0; o < x.length; o += gran) {
    const e = Math.min(x.length, o + gran);
    if (x.compare(y, o, e, o, e) !== 0) addRange(out, base + o, e - o);
  }
}

/**
 * Ranges where the merged views of `a` and `b` differ. Segments that are zero on both sides are
 * skipped without reading; everything else is read and compared per logical sector. When the sizes
 * differ, the tail beyond the smaller disk counts as different.
 */
export async function diffDisks(a: string, b: string): Promise<DiffRange[]> {
  const ca = await openChain(a);
  let cb: Chain | undefined;
  try {
    cb = await openChain(b);
    const size = Math.min(ca.virtualSize, cb.virtualSize);
    const gran = Math.min(ca.logicalSectorSize, cb.logicalSectorSize);
    const [ea, eb] = await Promise.all([ca.extents(), cb.extents()]);
    const out: DiffRange[] = [];
    const bx = Buffer.allocUnsafe(STEP);
    const by = Buffer.allocUnsafe(STEP);
    const zero = Buffer.alloc(STEP);
    for (const s of segments(ea, eb, size)) {
      if (s.ka === 'zero' && s.kb === 'zero') continue;
      for (let p = s.start; p < s.end; p += STEP) {
        const n = Math.min(STEP, s.end - p);
        const x = bx.subarray(0, n);
        const y = by.subarray(0, n);
        if (s.ka === 'zero') zero.copy(x, 0, 0, n);
        else await ca.readInto(x, p);
        if (s.kb === 'zero') zero.copy(y, 0, 0, n);
        else await cb.readInto(y, p);
        compareBuffers(x, y, p, gran, out);
      }
    }
    const bigger = Math.max(ca.virtualSize, cb.virtualSize);
    if (bigger > size) addRange(out, size, bigger - size);
    return out;
  } finally {
    await ca.close();
    await cb?.close();
  }
}
