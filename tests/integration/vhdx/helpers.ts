// Shared helpers for the VHDX integration tests: external tools (qemu-img, qemu-io, libvhdi), temp dirs, hashing, fixtures.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Chain } from '../../../electron/services/vhdx/index';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures/vhdx');

/** pyvhdi is installed for the distribution's Python only (see the format reference, section 2). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const INSTALL: Record<string, string> = {
  'qemu-img': 'apt-get install -y qemu-utils',
  'qemu-io': 'apt-get install -y qemu-utils',
  vhdiinfo: 'apt-get install -y libvhdi-utils',
  bzip2: 'apt-get install -y bzip2',
};

/** Fail (not skip) with a clear message when a required tool is missing. */
export function requireTool(name: string): void {
  const r = spawnSync(name, name === 'vhdiinfo' ? ['-V'] : ['--version'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `The VHDX integration tests need "${name}", which is not installed or not on PATH. Install it: ${INSTALL[name] ?? name}.`,
    );
}

export function requirePyvhdi(): void {
  const r = spawnSync(PYTHON, ['-c', 'import pyvhdi'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `The VHDX integration tests need the Python module pyvhdi for ${PYTHON}: apt-get install -y python3-libvhdi (it installs for the system Python only). ${r.stderr ?? r.error?.message ?? ''}`,
    );
  }
}

export function run(
  cmd: string,
  args: string[],
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** SHA-256 of the raw content qemu-img extracts from a VHDX (the reference oracle for fixed/dynamic files). */
export async function qemuRawSha(file: string, dir: string): Promise<string> {
  const out = path.join(dir, `qemu-${path.basename(file)}.raw`);
  qemuImg('convert', '-f', 'vhdx', '-O', 'raw', file, out);
  try {
    return await fileSha(out);
  } finally {
    await rm(out, { force: true });
  }
}

/** Streaming SHA-256 of a file. */
export async function fileSha(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(p, { highWaterMark: 8 * MiB }))
    h.update(chunk as Buffer);
  return h.digest('hex');
}

/** SHA-256 of a chain's merged content, read in 32 MiB pieces. */
export async function chainSha(chain: Chain): Promise<string> {
  const h = createHash('sha256');
  const step = 32 * MiB;
  const buf = Buffer.allocUnsafe(step);
  for (let o = 0; o < chain.virtualSize; o += step) {
    const n = Math.min(step, chain.virtualSize - o);
    await chain.readInto(buf.subarray(0, n), o);
    h.update(buf.subarray(0, n));
  }
  return h.digest('hex');
}

/**
 * Read a chain with libvhdi (pyvhdi): `files` child first, parents attached with set_parent
 * (which also checks parent_linkage against the parent's DataWriteGuid). Returns the SHA-256 of
 * the whole virtual disk.
 */
export function pyvhdiSha(files: string[]): string {
  return pyvhdiShas(files)[0] as string;
}

/** Like pyvhdiSha, for several ranges at once (one Python process): one SHA-256 per range. */
export function pyvhdiShas(
  files: string[],
  ranges?: Array<{ offset: number; length: number }>,
): string[] {
  const script = `
import hashlib, sys, json, pyvhdi
paths = json.loads(sys.argv[1])
opened = []
for p in reversed(paths):
    f = pyvhdi.file()
    f.open(p)
    if opened:
        f.set_parent(opened[-1])
    opened.append(f)
leaf = opened[-1]
ranges = json.loads(sys.argv[2]) or [[0, leaf.get_media_size()]]
for start, length in ranges:
    h = hashlib.sha256()
    o = start
    while o < start + length:
        n = min(1 << 24, start + length - o)
        h.update(leaf.read_buffer_at_offset(n, o))
        o += n
    print(h.hexdigest())
`;
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      script,
      JSON.stringify(files),
      JSON.stringify((ranges ?? []).map((x) => [x.offset, x.length])),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 16 * MiB,
    },
  );
  if (r.status !== 0) throw new Error(`pyvhdi failed: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

export async function tempDir(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `hvbc-vhdx-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function prng(seed: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len + 3);
  let x = seed | 1;
  for (let i = 0; i < len; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  return b.subarray(0, len);
}

/** True when every byte of `b` is `v` (fast: one memcmp instead of a callback per byte). */
export function isFilled(b: Buffer, v: number): boolean {
  return b.equals(Buffer.alloc(b.length, v));
}

/**
 * Count, with libvhdi, the sectors of `child` (in the given 2 MiB-aligned ranges) whose content does
 * not depend on the parent: the child is read over two parents that differ everywhere, and sectors
 * that read the same both times come from the child.
 */
export function pyvhdiChildSectors(
  child: string,
  parentA: string,
  parentB: string,
  ranges: Array<{ offset: number; length: number }>,
  sector = 512,
): number {
  const script = `
import sys, json, pyvhdi
child, pa, pb, ranges, sector = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5])
def chain(parent):
    p = pyvhdi.file(); p.open(parent)
    c = pyvhdi.file(); c.open(child); c.set_parent(p)
    return c, p
ca, _pa = chain(pa)
cb, _pb = chain(pb)
n = 0
for off, length in ranges:
    a = ca.read_buffer_at_offset(length, off)
    b = cb.read_buffer_at_offset(length, off)
    for s in range(0, length, sector):
        if a[s:s+sector] == b[s:s+sector]:
            n += 1
print(n)
`;
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      script,
      child,
      parentA,
      parentB,
      JSON.stringify(ranges.map((x) => [x.offset, x.length])),
      String(sector),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`pyvhdi failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}
