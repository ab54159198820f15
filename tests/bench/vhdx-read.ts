// Benchmark: end-to-end VHDX read (single file and 3-deep chain) vs `qemu-img convert -O raw`, peak RSS, 64 TiB sparse open+map.
// Run: npx tsx tests/bench/vhdx-read.ts [--size-gib 4] [--runs 3] [--sha]
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import {
  mkdtempSync,
  openSync,
  closeSync,
  createReadStream,
  writeSync,
  ftruncateSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDifferencing, createVhdx, openChain } from '../../electron/services/vhdx/index';

const { values } = parseArgs({
  options: {
    'size-gib': { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    sha: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SIZE = Number(values['size-gib']) * GiB;
const RUNS = Number(values.runs);
const REGION = 32 * MiB;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const rssMiB = (): number => Math.round((process.memoryUsage().rss / MiB) * 10) / 10;
const maxRssMiB = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
const r2 = (n: number): number => Math.round(n * 100) / 100;

function makeRaw(file: string): number {
  // Every other 32 MiB region gets random bytes; the rest stays a hole (reads as zeros): ~half allocated.
  const fd = openSync(file, 'w');
  const buf = Buffer.allocUnsafe(REGION);
  let written = 0;
  try {
    ftruncateSync(fd, SIZE);
    for (let off = 0; off < SIZE; off += 2 * REGION) {
      randomFillSync(buf);
      writeSync(fd, buf, 0, REGION, off);
      written += REGION;
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

const STEP = 32 * MiB;
/** One sink buffer for every run, so RSS reflects the engine rather than benchmark garbage. */
const sink = Buffer.allocUnsafe(STEP);

async function readAll(p: string, sha: boolean): Promise<{ seconds: number; sha256?: string }> {
  const t0 = performance.now();
  const chain = await openChain(p);
  const step = STEP;
  const buf = sink;
  const h = sha ? createHash('sha256') : undefined;
  for (let o = 0; o < chain.virtualSize; o += step) {
    const n = Math.min(step, chain.virtualSize - o);
    const b = buf.subarray(0, n);
    await chain.readInto(b, o);
    h?.update(b);
  }
  await chain.close();
  const seconds = (performance.now() - t0) / 1000;
  return h ? { seconds, sha256: h.digest('hex') } : { seconds };
}

async function qemuConvert(
  src: string,
  dir: string,
  hash = false,
): Promise<{ seconds: number; sha256?: string }> {
  const out = path.join(dir, 'qemu-out.raw');
  const t0 = performance.now();
  execFileSync('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', src, out], { stdio: 'ignore' });
  const seconds = (performance.now() - t0) / 1000;
  let sha256: string | undefined;
  if (hash) {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(out, { highWaterMark: 8 * MiB }))
      h.update(chunk as Buffer);
    sha256 = h.digest('hex');
  }
  rmSync(out, { force: true });
  return sha256 ? { seconds, sha256 } : { seconds };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvbc-vhdx-bench-'));
  const result: Record<string, unknown> = {
    node: process.version,
    cpus: os.cpus().length,
    virtualSizeGiB: SIZE / GiB,
    runs: RUNS,
    sha256: values.sha,
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
    baselineRssMiB: rssMiB(),
  };
  try {
    const raw = path.join(dir, 'src.raw');
    const img = path.join(dir, 'dyn.vhdx');
    const rawData = makeRaw(raw);
    execFileSync(
      'qemu-img',
      ['convert', '-f', 'raw', '-O', 'vhdx', '-o', 'subformat=dynamic,block_size=32M', raw, img],
      { stdio: 'ignore' },
    );
    rmSync(raw);
    result.image = {
      maker: 'qemu-img convert (subformat=dynamic, 32 MiB blocks)',
      fileBytes: statSync(img).size,
      randomDataBytes: rawData,
    };

    // warm the page cache once for both readers
    await readAll(img, false);
    const ours: number[] = [];
    const qemu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await readAll(img, values.sha ?? false);
      ours.push(a.seconds);
      const q = await qemuConvert(img, dir, (values.sha ?? false) && i === 0);
      qemu.push(q.seconds);
      if (a.sha256 && q.sha256) result.sha256MatchesQemu = a.sha256 === q.sha256;
    }
    const oursS = median(ours);
    const qemuS = median(qemu);
    result.single = {
      oursSeconds: r2(oursS),
      oursMiBps: Math.round(SIZE / MiB / oursS),
      qemuConvertSeconds: r2(qemuS),
      qemuConvertMiBps: Math.round(SIZE / MiB / qemuS),
      speedupVsQemu: r2(qemuS / oursS),
      oursRuns: ours.map(r2),
      qemuRuns: qemu.map(r2),
    };

    // 3-deep chain: our differencing children over the qemu base, each with scattered writes
    let parent = img;
    const patch = Buffer.allocUnsafe(8 * MiB);
    for (let level = 1; level <= 3; level++) {
      const child = path.join(dir, `child${level}.avhdx`);
      const f = await createDifferencing(child, parent);
      for (let k = 0; k < 8; k++) {
        randomFillSync(patch);
        const off =
          Math.floor(
            ((((k * 2654435761 + level * 40503) % 1000) / 1000) * (SIZE - patch.length)) / 4096,
          ) * 4096;
        await f.write(off, patch.subarray(0, ((k % 4) + 1) * MiB + 3 * 4096));
      }
      await f.close();
      parent = child;
    }
    const chainRuns: number[] = [];
    for (let i = 0; i < RUNS; i++)
      chainRuns.push((await readAll(parent, values.sha ?? false)).seconds);
    const chainS = median(chainRuns);
    result.chain3 = {
      oursSeconds: r2(chainS),
      oursMiBps: Math.round(SIZE / MiB / chainS),
      ratioVsSingleFile: r2(chainS / oursS),
      ratioVsQemuSingleFile: r2(qemuS / chainS),
      runs: chainRuns.map(r2),
    };
    result.rssAfterReadsMiB = rssMiB();
    result.maxRssAfterReadsMiB = maxRssMiB();

    // 64 TiB sparse dynamic disk: create, open, map
    const huge = path.join(dir, 'huge-64T.vhdx');
    const t0 = performance.now();
    const hf = await createVhdx(huge, { virtualSize: 64 * 1024 * GiB, type: 'dynamic' });
    await hf.write(0, Buffer.alloc(4096, 1));
    await hf.write(64 * 1024 * GiB - 4096, Buffer.alloc(4096, 2));
    await hf.close();
    const tCreate = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const hc = await openChain(huge);
    const tOpen = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const ext = await hc.extents();
    const tMap = (performance.now() - t2) / 1000;
    const tail = await hc.read(64 * 1024 * GiB - 4096, 4096);
    await hc.close();
    result.sparse64TiB = {
      createAndTwoWritesSeconds: r2(tCreate),
      openSeconds: r2(tOpen),
      mapSeconds: r2(tMap),
      extents: ext.length,
      fileBytes: statSync(huge).size,
      tailReadOk: tail.every((b) => b === 2),
      rssMiB: rssMiB(),
    };
    result.peakRssMiB = maxRssMiB();
    result.meetsTarget = oursS <= qemuS * 1.0 && maxRssMiB() < 200;
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
    else result.dir = dir;
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
