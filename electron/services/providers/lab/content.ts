// Pure: the lab's deterministic disk content — seed layout (an MBR plus tagged pseudo-random extents) and the
// bytes of any logged write, regenerated from (kind, data seed, offset) alone so a model can be rebuilt at any time.

/** Generator writes are 4 KiB aligned (offset and length); the MBR write is one 512-byte sector. */
export const PAGE = 4096;
export const SECTOR = 512;
const TAG_BYTES = 64;

/** One write as the lab logs it: where it went and how to regenerate its bytes. */
export interface WriteSpec {
  /** Byte offset on the virtual disk. */
  o: number;
  /** Length in bytes. */
  l: number;
  /** Data seed (32-bit). */
  d: number;
  /** 'mbr' for the partition-table sector; data otherwise. */
  k?: 'mbr';
}

/** splitmix32-style mixer: a 32-bit hash of a 32-bit state. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A 32-bit hash of a string (FNV-1a, then mixed). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

/** A small deterministic PRNG (mulberry32) for choosing offsets, sizes and seeds. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

const scratch = new Uint8Array(PAGE);
const scratch32 = new Int32Array(scratch.buffer);

/** Fill one 4 KiB page of generated data: an ASCII tag naming the disk, the offset and the seed, then pseudo-random bytes. */
function fillPage(dst: Buffer, at: number, label: string, seed: number, diskOffset: number): void {
  // xorshift32 seeded by (seed, page index): deterministic, fast, and different for every page.
  let x = mix32((seed ^ Math.imul(Math.floor(diskOffset / PAGE), 0x27d4eb2d)) >>> 0) | 1;
  for (let i = TAG_BYTES / 4; i < PAGE / 4; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    scratch32[i] = x;
  }
  const tag = `HVBC ${label} @${diskOffset.toString(16).padStart(10, '0')} #${seed.toString(16).padStart(8, '0')}`;
  scratch.fill(0x20, 0, TAG_BYTES - 1);
  for (let i = 0; i < Math.min(tag.length, TAG_BYTES - 1); i++)
    scratch[i] = tag.charCodeAt(i) & 0xff;
  scratch[TAG_BYTES - 1] = 0x0a;
  dst.set(scratch, at);
}

/** A classic MBR: disk signature from the seed, one NTFS partition from LBA 2048 to the end, 0x55AA. */
export function mbrSector(virtualSize: number, seed: number, label: string): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.write(`HVBC lab MBR ${label}`.slice(0, 400), 0, 'latin1');
  b.writeUInt32LE(seed >>> 0, 440);
  const e = 446;
  const start = 2048;
  const count = Math.max(0, Math.floor(virtualSize / SECTOR) - start);
  b[e] = 0x00;
  b[e + 1] = 0xfe;
  b[e + 2] = 0xff;
  b[e + 3] = 0xff;
  b[e + 4] = 0x07;
  b[e + 5] = 0xfe;
  b[e + 6] = 0xff;
  b[e + 7] = 0xff;
  b.writeUInt32LE(start, e + 8);
  b.writeUInt32LE(count >>> 0, e + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** The bytes of one write. */
export function writeData(w: WriteSpec, label: string, virtualSize: number): Buffer {
  if (w.k === 'mbr') return mbrSector(virtualSize, w.d, label);
  const b = Buffer.allocUnsafe(w.l);
  for (let i = 0; i < w.l; i += PAGE) fillPage(b, i, label, w.d, w.o + i);
  return b;
}

/** Apply the part of a write that falls inside [offset, offset+dst.length) to dst. */
export function applyWrite(
  dst: Buffer,
  offset: number,
  w: WriteSpec,
  label: string,
  virtualSize: number,
): void {
  const s = Math.max(offset, w.o);
  const e = Math.min(offset + dst.length, w.o + w.l);
  if (s >= e) return;
  if (w.k === 'mbr') {
    mbrSector(virtualSize, w.d, label).copy(dst, s - offset, s - w.o, e - w.o);
    return;
  }
  // Generate only the pages that overlap.
  const p0 = Math.floor((s - w.o) / PAGE) * PAGE + w.o;
  const page = Buffer.allocUnsafe(PAGE);
  for (let p = p0; p < e; p += PAGE) {
    fillPage(page, 0, label, w.d, p);
    const ps = Math.max(p, s);
    const pe = Math.min(p + PAGE, e);
    page.copy(dst, ps - offset, ps - p, pe - p);
  }
}

/**
 * The seed layout of a new disk: the MBR, a 64 KiB "file-system header" at the partition start, and extents of
 * 64 KiB – 1 MiB until about `fraction` of the disk is written. Each extent stays inside one 2 MiB region (the lab's
 * VHDX block size), so most blocks of the disk stay unallocated.
 */
export function seedWrites(virtualSize: number, seed: number, fraction: number): WriteSpec[] {
  const rng = new Prng(seed);
  const out: WriteSpec[] = [{ o: 0, l: SECTOR, d: rng.u32(), k: 'mbr' }];
  const partStart = 2048 * SECTOR;
  if (virtualSize < partStart + 64 * 1024) return out;
  out.push({ o: partStart, l: 64 * 1024, d: rng.u32() });
  const region = 2 * 1024 * 1024;
  const regions = Math.floor(virtualSize / region);
  const target = Math.floor(virtualSize * fraction);
  let written = 64 * 1024;
  while (written < target && regions > 1) {
    const lenPages = Math.min(rng.int(16, 256), Math.ceil((target - written) / PAGE) + 1);
    const r = rng.int(1, regions - 1);
    const within = rng.int(0, region / PAGE - lenPages);
    out.push({ o: r * region + within * PAGE, l: lenPages * PAGE, d: rng.u32() });
    written += lenPages * PAGE;
  }
  return out;
}

export interface IoPlanOptions {
  bytes: number;
  pattern: 'scattered' | 'hotspot';
  seed: number;
  /** Disks to spread the writes over (weighted by size). */
  disks: { id: string; virtualSize: number }[];
}

export interface PlannedWrite extends WriteSpec {
  diskId: string;
}

/**
 * Plan guest writes: 4–64 KiB, 4 KiB aligned. 'scattered' picks offsets uniformly; 'hotspot' sends 80% of writes
 * into four 1 MiB hot regions per disk (a log file, a page file…), the rest uniformly. Deterministic for a seed.
 */
export function planWrites(opts: IoPlanOptions): PlannedWrite[] {
  const rng = new Prng(mix32(opts.seed >>> 0));
  const disks = opts.disks.filter((d) => d.virtualSize >= 4 * 1024 * 1024);
  if (disks.length === 0 || opts.bytes <= 0) return [];
  const total = disks.reduce((s, d) => s + d.virtualSize, 0);
  const hot = new Map<string, number[]>();
  for (const d of disks) {
    const hr = new Prng(hash32(`${opts.seed}:${d.id}:hot`));
    const regions: number[] = [];
    const mibs = Math.floor(d.virtualSize / (1024 * 1024));
    for (let i = 0; i < 4; i++) regions.push(hr.int(2, Math.max(2, mibs - 2)) * 1024 * 1024);
    hot.set(d.id, regions);
  }
  const out: PlannedWrite[] = [];
  let left = opts.bytes;
  while (left > 0) {
    let pick = rng.next() * total;
    let disk = disks[0];
    for (const d of disks) {
      disk = d;
      pick -= d.virtualSize;
      if (pick < 0) break;
    }
    if (!disk) break;
    const len = Math.min(rng.int(1, 16) * PAGE, Math.ceil(left / PAGE) * PAGE);
    const pages = Math.floor(disk.virtualSize / PAGE);
    const lenPages = len / PAGE;
    let startPage: number;
    const regions = hot.get(disk.id) ?? [];
    if (opts.pattern === 'hotspot' && rng.next() < 0.8 && regions.length > 0) {
      const r = regions[rng.int(0, regions.length - 1)] ?? 0;
      startPage = Math.min(pages - lenPages, r / PAGE + rng.int(0, 256 - lenPages));
    } else {
      startPage = rng.int(1, pages - lenPages);
    }
    out.push({ diskId: disk.id, o: startPage * PAGE, l: len, d: rng.u32() });
    left -= len;
  }
  return out;
}

/** Sort and coalesce ranges (overlapping or touching) into a minimal list. */
export function unionRanges(
  ranges: Iterable<{ offset: number; length: number }>,
): { offset: number; length: number }[] {
  const list = [...ranges].filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: { offset: number; length: number }[] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && r.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else out.push({ offset: r.offset, length: r.length });
  }
  return out;
}
