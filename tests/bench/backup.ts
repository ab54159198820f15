// Benchmark: full, incremental, restore and check --read-data of a 4 GiB VHDX through our data path, against
// restic, borg and cp on the same file in the same run (every step in rounds, the tools interleaved). Prints one
// JSON object with figures and ratios.
import { execFileSync, spawnSync } from 'node:child_process';

import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository } from '../../electron/services/repository/repository';
import { createVhdx } from '../../electron/services/vhdx';

const here = path.dirname(fileURLToPath(import.meta.url));
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const SIZE = Number(process.env.BENCH_GIB ?? 4) * GiB;
/** Every step runs once per round for every tool (order rotated); figures are medians, all samples reported. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const tmp = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'hvbc-bench-'));

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 40% random 1 MiB blocks, 20% copies of a few repeated 1 MiB patterns, 40% zeros, shuffled deterministically. */
async function makeSyntheticDisk(file: string): Promise<void> {
  const r = rng(42);
  const patterns = Array.from({ length: 8 }, (_, i) =>
    Buffer.alloc(MiB, `pattern-${i}-`.repeat(8)),
  );
  const disk = await createVhdx(file, { type: 'dynamic', virtualSize: SIZE, blockSize: 32 * MiB });
  const random = Buffer.alloc(MiB);
  for (let off = 0; off < SIZE; off += MiB) {
    const x = r();
    if (x < 0.4) {
      for (let i = 0; i < MiB; i += 4) random.writeUInt32LE((r() * 4294967296) >>> 0, i);
      await disk.write(off, Buffer.from(random));
    } else if (x < 0.6)
      await disk.write(off, patterns[Math.floor(r() * patterns.length)] as Buffer);
  }
  await disk.close();
}

/** A disk holding real files (a tar of /usr), so compression is not flattered. */
async function makeFilesDisk(file: string, bytes: number): Promise<void> {
  const tar = path.join(tmp, 'usr.tar');
  spawnSync('bash', ['-c', `tar -cf - /usr 2>/dev/null | head -c ${bytes} > ${tar}`]);
  const data = await fs.readFile(tar);
  const size = Math.ceil(data.length / MiB) * MiB;
  const disk = await createVhdx(file, { type: 'dynamic', virtualSize: size });
  for (let off = 0; off < data.length; off += 8 * MiB) {
    const part = Buffer.alloc(Math.min(8 * MiB, size - off));
    data.copy(part, 0, off, Math.min(off + 8 * MiB, data.length));
    await disk.write(off, part);
  }
  await disk.close();
  await fs.rm(tar);
}

/** Scatter 64 KiB writes over 1% of the disk; returns the ranges written. */
async function changeOnePercent(file: string): Promise<Array<{ offset: number; length: number }>> {
  const { openVhdx } = await import('../../electron/services/vhdx');
  const r = rng(7);
  const disk = await openVhdx(file, { writable: true });
  const n = Math.round((SIZE * 0.01) / (64 * 1024));
  const ranges = [];
  const buf = Buffer.alloc(64 * 1024);
  for (let i = 0; i < n; i++) {
    const offset = Math.floor(r() * (SIZE / (64 * 1024))) * 64 * 1024;
    for (let k = 0; k < buf.length; k += 4) buf.writeUInt32LE((r() * 4294967296) >>> 0, k);
    await disk.write(offset, buf);
    ranges.push({ offset, length: buf.length });
  }
  await disk.close();
  return ranges;
}

function timed(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): { seconds: number; maxRssMiB: number | null; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { seconds, maxRssMiB: Number.isFinite(kb) ? kb / 1024 : null, stdout: r.stdout };
}

function ours(
  step: string,
  repo: string,
  disk: string,
  arg = '',
): Record<string, number> & { digest?: string } {
  // Timed like the peers (under /usr/bin/time): a child forked straight from this process (which holds the
  // generated disks in memory for a while) would inherit its high-water RSS, as Linux keeps it across exec. The
  // step's own seconds (timed from opening the repository) come from the worker's JSON.
  const t = timed(process.execPath, [
    '--import',
    'tsx',
    path.join(here, 'backup-worker.ts'),
    step,
    repo,
    disk,
    arg,
  ]);
  return {
    ...JSON.parse(t.stdout.trim().split('\n').pop() ?? '{}'),
    maxRssMiB: t.maxRssMiB ?? NaN,
  };
}

/**
 * Read a file or folder through the page cache before a timed step, so every tool starts with its input cached
 * (this machine's memory reclaim otherwise evicts large files at random, and O_DIRECT-written packs are never
 * cached while a buffered writer's files are), and start it with no other tool's writes still draining.
 */
function warm(...paths: string[]): void {
  for (const p of paths)
    execFileSync('bash', ['-c', 'find "$1" -type f -exec cat {} + > /dev/null', '_', p]);
  // Flush what earlier steps left dirty (restic and borg write through the page cache), so no step pays for
  // another tool's writeback.
  execFileSync('sync');
}

async function dirBytes(dir: string): Promise<number> {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function sha256File(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

type Tool = 'ours' | 'restic' | 'borg';
const TOOLS: Tool[] = ['ours', 'restic', 'borg'];

/** The tools in round `r`'s order: rotated each round, so no tool always runs first (or right after another). */
function rotated<T>(items: T[], r: number): T[] {
  const k = r % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Per-tool samples of one step: the median (`<tool>Seconds`) and every round's figure (`<tool>SecondsAll`). */
function summary(samples: Record<string, number[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, xs] of Object.entries(samples)) {
    out[`${k}Seconds`] = median(xs);
    out[`${k}SecondsAll`] = xs;
  }
  return out;
}

async function benchDisk(name: string, disk: string, allowIncremental: boolean) {
  const res: Record<string, unknown> = {
    disk: name,
    fileBytes: (await fs.stat(disk)).size,
    rounds: ROUNDS,
  };
  const renv = { RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: path.join(tmp, 'restic-cache') };
  const benv = {
    BORG_PASSPHRASE: '',
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_BASE_DIR: path.join(tmp, 'borg-base'),
  };
  // One set of repositories per round: each round's full goes into empty repositories, and its incremental and
  // restore use that round's full.
  const repos = Array.from({ length: ROUNDS }, (_, r) => ({
    ours: path.join(tmp, `ours-${name}-${r}`),
    restic: path.join(tmp, `restic-${name}-${r}`),
    borg: path.join(tmp, `borg-${name}-${r}`),
  }));
  for (const rp of repos) {
    await (await Repository.init(rp.ours)).close();
    execFileSync('restic', ['init', '--repo', rp.restic], {
      env: { ...process.env, ...renv },
      stdio: 'ignore',
    });
    execFileSync('borg', ['init', '-e', 'none', rp.borg], {
      env: { ...process.env, ...benv },
      stdio: 'ignore',
    });
  }
  const rss = { full: [] as number[], incremental: [] as number[], restore: [] as number[] };
  const memPeaks = {
    full: [] as unknown[],
    incremental: [] as unknown[],
    restore: [] as unknown[],
  };
  const peerRss = { restic: [] as number[], borg: [] as number[] };

  // Full backup, and cp of the file as the copy limit.
  const full = {
    ours: [] as number[],
    restic: [] as number[],
    borg: [] as number[],
    cp: [] as number[],
  };
  for (const [r, rp] of repos.entries()) {
    for (const tool of rotated([...TOOLS, 'cp' as const], r)) {
      warm(disk);
      if (tool === 'ours') {
        const o = ours('full', rp.ours, disk);
        full.ours.push(o.seconds as number);
        rss.full.push(o.maxRssMiB as number);
        memPeaks.full.push(o.memPeaksMiB);
      } else if (tool === 'restic') {
        const t = timed('restic', ['backup', '--repo', rp.restic, '-q', disk], renv);
        full.restic.push(t.seconds);
        peerRss.restic.push(t.maxRssMiB ?? 0);
      } else if (tool === 'borg') {
        const t = timed('borg', ['create', `${rp.borg}::full`, disk], benv);
        full.borg.push(t.seconds);
        peerRss.borg.push(t.maxRssMiB ?? 0);
      } else {
        full.cp.push(timed('cp', ['--sparse=always', disk, path.join(tmp, 'copy.vhdx')]).seconds);
        await fs.rm(path.join(tmp, 'copy.vhdx'));
      }
    }
  }
  const first = repos[0] as (typeof repos)[number];
  res.full = {
    ...summary(full),
    oursMaxRssMiB: Math.max(...rss.full),
    oursMaxRssMiBAll: rss.full,
    oursMemPeaksMiB: memPeaks.full,
    resticMaxRssMiB: Math.max(...peerRss.restic),
    borgMaxRssMiB: Math.max(...peerRss.borg),
    oursRepoBytes: await dirBytes(first.ours),
    resticRepoBytes: await dirBytes(first.restic),
    borgRepoBytes: await dirBytes(first.borg),
    speedupVsRestic: median(full.restic) / median(full.ours),
    speedupVsBorg: median(full.borg) / median(full.ours),
    targets: { vsRestic: 3, vsBorg: 1.5 },
  };

  if (allowIncremental) {
    const ranges = await changeOnePercent(disk);
    const rangesFile = path.join(tmp, 'ranges.json');
    await fs.writeFile(rangesFile, JSON.stringify(ranges));
    const inc = { ours: [] as number[], restic: [] as number[], borg: [] as number[] };
    const added: Record<Tool, number[]> = { ours: [], restic: [], borg: [] };
    let oursBytesRead = 0;
    for (const [r, rp] of repos.entries()) {
      for (const tool of rotated(TOOLS, r)) {
        const before = await dirBytes(rp[tool]);
        warm(disk);
        if (tool === 'ours') {
          const o = ours('incremental', rp.ours, disk, rangesFile);
          inc.ours.push(o.seconds as number);
          rss.incremental.push(o.maxRssMiB as number);
          memPeaks.incremental.push(o.memPeaksMiB);
          oursBytesRead = o.bytesRead as number;
        } else if (tool === 'restic')
          inc.restic.push(
            timed('restic', ['backup', '--repo', rp.restic, '-q', disk], renv).seconds,
          );
        else inc.borg.push(timed('borg', ['create', `${rp.borg}::inc`, disk], benv).seconds);
        added[tool].push((await dirBytes(rp[tool])) - before);
      }
    }
    const addedOurs = median(added.ours);
    const addedRestic = median(added.restic);
    res.incremental = {
      ...summary(inc),
      oursBytesRead,
      oursAddedBytes: addedOurs,
      resticAddedBytes: addedRestic,
      borgAddedBytes: median(added.borg),
      speedupVsRestic: median(inc.restic) / median(inc.ours),
      addedVsRestic: addedOurs / Math.max(1, addedRestic),
      oursMaxRssMiB: Math.max(...rss.incremental),
      oursMaxRssMiBAll: rss.incremental,
      oursMemPeaksMiB: memPeaks.incremental,
      targets: { speedupVsRestic: 10, addedVsRestic: 1 / 3 },
    };
  }

  // Restore of the latest point, each tool's output checked against the source.
  const expected = ours('hash', first.ours, disk).digest;
  const sourceSha = sha256File(disk);
  const rest = {
    ours: [] as number[],
    restic: [] as number[],
    resticUntilDurable: [] as number[],
    borg: [] as number[],
  };
  const verified: Record<Tool, boolean> = { ours: true, restic: true, borg: true };
  for (const [r, rp] of repos.entries()) {
    for (const tool of rotated(TOOLS, r)) {
      warm(rp[tool]);
      if (tool === 'ours') {
        const outOurs = path.join(tmp, 'restored.vhdx');
        const o = ours('restore', rp.ours, disk, outOurs);
        rest.ours.push(o.seconds as number);
        rss.restore.push(o.maxRssMiB as number);
        memPeaks.restore.push(o.memPeaksMiB);
        verified.ours &&= ours('hash', rp.ours, outOurs).digest === expected;
        await fs.rm(outOurs);
      } else if (tool === 'restic') {
        const rDir = path.join(tmp, 'restic-restore');
        const t = timed(
          'restic',
          ['restore', 'latest', '--repo', rp.restic, '--target', rDir, '-q'],
          renv,
        );
        const file = path.join(rDir, disk);
        // restic leaves its output in the page cache; ours is on disk when it returns (unbuffered writes +
        // fsync). The time until restic's file is durable too is reported beside the plain figure (the ratio
        // target uses the plain one).
        const sync = timed('sync', [file]);
        rest.restic.push(t.seconds);
        rest.resticUntilDurable.push(t.seconds + sync.seconds);
        verified.restic &&= sha256File(file) === sourceSha;
        await fs.rm(rDir, { recursive: true });
      } else {
        const bDir = path.join(tmp, 'borg-restore');
        await fs.mkdir(bDir);
        const t0 = performance.now();
        const b = spawnSync(
          'borg',
          ['extract', `${rp.borg}::${allowIncremental ? 'inc' : 'full'}`],
          {
            cwd: bDir,
            env: { ...process.env, ...benv },
          },
        );
        if (b.status !== 0) throw new Error(`borg extract failed: ${b.stderr}`);
        rest.borg.push((performance.now() - t0) / 1000);
        verified.borg &&= sha256File(path.join(bDir, disk)) === sourceSha;
        await fs.rm(bDir, { recursive: true });
      }
    }
  }
  res.restore = {
    ...summary(rest),
    oursVerified: verified.ours,
    resticVerified: verified.restic,
    borgVerified: verified.borg,
    oursMaxRssMiB: Math.max(...rss.restore),
    oursMaxRssMiBAll: rss.restore,
    oursMemPeaksMiB: memPeaks.restore,
    speedupVsRestic: median(rest.restic) / median(rest.ours),
    speedupVsResticUntilDurable: median(rest.resticUntilDurable) / median(rest.ours),
    targets: { speedupVsRestic: 3 },
  };
  // Verify every stored chunk (no target; reported beside the peers' own deep checks).
  const ver = { ours: [] as number[], restic: [] as number[], borg: [] as number[] };
  for (const [r, rp] of repos.entries()) {
    for (const tool of rotated(TOOLS, r)) {
      warm(rp[tool]);
      if (tool === 'ours') ver.ours.push(ours('check', rp.ours, disk).seconds as number);
      else if (tool === 'restic')
        ver.restic.push(
          timed('restic', ['check', '--read-data', '--repo', rp.restic, '-q'], renv).seconds,
        );
      else ver.borg.push(timed('borg', ['check', '--verify-data', rp.borg], benv).seconds);
    }
  }
  res.checkReadData = {
    ...summary(ver),
    speedupVsRestic: median(ver.restic) / median(ver.ours),
    speedupVsBorg: median(ver.borg) / median(ver.ours),
  };
  for (const rp of repos)
    for (const dir of Object.values(rp)) rmSync(dir, { recursive: true, force: true });
  return res;
}

async function main() {
  const versions = {
    node: process.version,
    restic: execFileSync('restic', ['version'], { encoding: 'utf8' }).trim(),
    borg: execFileSync('borg', ['--version'], { encoding: 'utf8' }).trim(),
    cores: os.cpus().length,
  };
  const synthetic = path.join(tmp, 'synthetic.vhdx');
  await makeSyntheticDisk(synthetic);
  const files = path.join(tmp, 'files.vhdx');
  await makeFilesDisk(files, Math.min(GiB, SIZE));
  const results = [
    await benchDisk('synthetic-4GiB', synthetic, true),
    await benchDisk('usr-tar', files, false),
  ];
  const peak = Math.max(
    ...results.flatMap((r) =>
      ['full', 'incremental', 'restore'].map(
        (k) => (r[k] as { oursMaxRssMiB?: number } | undefined)?.oursMaxRssMiB ?? 0,
      ),
    ),
  );
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'backup', sizeBytes: SIZE, versions, results, oursPeakRssMiB: peak, peakRssTargetMiB: 256 }, null, 2)}\n`,
  );
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(tmp, { recursive: true, force: true }));
