// Benchmark worker: one step of our data path (full, incremental, restore, check) in its own process, so its peak
// memory is measured alone. Prints one JSON line.
import { promises as fs } from 'node:fs';
import { dataChunks, copyChunks } from '../../electron/services/engine/read-disk';
import { chunkRangesFor } from '../../electron/services/repository/chunking';
import { Repository } from '../../electron/services/repository/repository';
import { createVhdx, openChain } from '../../electron/services/vhdx';

const [step, repoDir, disk, arg] = process.argv.slice(2);
const ctl = new AbortController();

async function backup(kind: 'full' | 'incremental'): Promise<Record<string, unknown>> {
  // Timed from the open: it starts the worker threads, as the console and the CLI do.
  const t0 = performance.now();
  const repo = await Repository.open(repoDir ?? '', { startWorkers: true });
  const chain = await openChain(disk ?? '');
  const base =
    kind === 'incremental'
      ? (await repo.listPoints()).filter((p) => p.disks.some((d) => d.key === 'disk')).at(-1)?.id
      : undefined;
  const w = await repo.beginPoint({ vmId: 'bench', vmName: 'bench', kind });
  const dw = await w.beginDisk('disk', {
    virtualSize: chain.virtualSize,
    ...(base ? { basePointId: base } : {}),
  });
  let indices: number[];
  if (kind === 'incremental') {
    const ranges = JSON.parse(await fs.readFile(arg ?? '', 'utf8')) as Array<{
      offset: number;
      length: number;
    }>;
    indices = chunkRangesFor(ranges, repo.chunkSize, chain.virtualSize);
  } else indices = dataChunks(await chain.extents(), repo.chunkSize, chain.virtualSize);
  const read = await copyChunks(chain, dw, repo.chunkSize, indices, {
    markRestZero: kind === 'full',
    signal: ctl.signal,
    onProgress: () => undefined,
  });
  const fin = await dw.finish();
  await w.commit({});
  await chain.close();
  await repo.close();
  return {
    seconds: (performance.now() - t0) / 1000,
    bytesRead: read,
    bytesStored: fin.bytesStored,
    chunksNew: fin.chunksNew,
  };
}

async function restore(): Promise<Record<string, unknown>> {
  // Timed from the open: it starts the worker threads, as the console and the CLI do.
  const t0 = performance.now();
  const repo = await Repository.open(repoDir ?? '', { startWorkers: true });
  const point = (await repo.listPoints()).at(-1);
  if (!point) throw new Error('no point');
  const out = await createVhdx(arg ?? '', {
    type: 'dynamic',
    virtualSize: point.disks[0]?.virtualSize ?? 0,
    directIo: true,
  });
  const r = await repo.readDiskTo(point.id, 'disk', out);
  const tClose = performance.now();
  await out.close(); // fsyncs the restored file: the data is on disk when restore says so
  const closeSeconds = (performance.now() - tClose) / 1000;
  await repo.close();
  return {
    seconds: (performance.now() - t0) / 1000,
    closeAndFsyncSeconds: closeSeconds,
    digest: r.digest,
  };
}

/** `check --read-data`: every stored chunk read back and re-hashed. */
async function check(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const repo = await Repository.open(repoDir ?? '', { startWorkers: true });
  const r = await repo.check({ readData: true });
  await repo.close();
  if (!r.ok) throw new Error(`check failed: ${r.errors.join(' ')}`);
  return { seconds: (performance.now() - t0) / 1000, chunksChecked: r.chunksChecked };
}

/** The content digest of a VHDX as the repository computes it (to compare a restored file with the source). */
async function hash(): Promise<Record<string, unknown>> {
  const repo = await Repository.open(repoDir ?? '');
  const chain = await openChain(disk ?? '');
  const digest = await repo.digestOf(chain);
  await chain.close();
  await repo.close();
  return { digest };
}

// Peak of each part of this process's memory, sampled every 20 ms, so a high RSS can be traced to the JS heap,
// native buffers or (neither) worker threads and WASM memories. maxRssMiB is the kernel's high-water mark: a
// process forked from a larger one starts with that one's, so backup.ts measures it with /usr/bin/time.
const peaks = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sample = (): void => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peaks) as (keyof typeof peaks)[]) peaks[k] = Math.max(peaks[k], m[k]);
};
setInterval(sample, 20).unref();
const memPeaksMiB = (): Record<string, number> => {
  sample();
  return Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / 2 ** 20)]));
};

const run =
  step === 'full'
    ? backup('full')
    : step === 'incremental'
      ? backup('incremental')
      : step === 'restore'
        ? restore()
        : step === 'check'
          ? check()
          : hash();
run
  .then((r) =>
    process.stdout.write(
      `${JSON.stringify({ ...r, maxRssMiB: process.resourceUsage().maxRSS / 1024, memPeaksMiB: memPeaksMiB() })}\n`,
    ),
  )
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
