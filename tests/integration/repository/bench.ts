// Throughput of a full backup into a fresh repository (not run by the test suite).
//   node --import tsx tests/integration/repository/bench.ts [image-file | --synthetic-gib N] [--threads N] [--no-sha] [--repo DIR] [--passphrase P]
//   node --import tsx tests/integration/repository/bench.ts --make-image FILE [--synthetic-gib N]   (only write the synthetic image, e.g. to
//   compare: restic init && time restic backup FILE)
// Reads the image in chunk-size pieces like the engine does, awaits each writeChunk, commits, then reads the
// point back and compares SHA-256. The synthetic image (default 1 GiB): 35% zero chunks, 20% random, 45% text-like.
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Repository } from '../../../electron/services/repository';
import { prng } from './helpers';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function synthetic(file: string, gib: number): void {
  const fd = openSync(file, 'w');
  const fill = prng(1);
  const pick = prng(2);
  const r = Buffer.alloc(4);
  const words = [
    'the ',
    'disk ',
    'backup ',
    'hyper-v ',
    'chunk ',
    'log ',
    'value=',
    '\n',
    '{"id":',
    '0x7ff3',
    'data ',
    'C:\\Windows\\',
    'error ',
    'ok ',
  ];
  const b = Buffer.alloc(MiB);
  for (let i = 0; i < gib * 1024; i++) {
    const k = pick(r).readUInt32LE(0) % 100;
    if (k < 35) b.fill(0);
    else if (k < 55) fill(b);
    else {
      let o = 0;
      while (o < MiB) {
        const w = words[pick(r).readUInt32LE(0) % words.length] as string;
        o += b.write(w, o, 'latin1');
        if (pick(r).readUInt32LE(0) % 4 === 0)
          o += b.write(String(pick(r).readUInt32LE(0)), o, 'latin1');
      }
    }
    writeSync(fd, b, 0, MiB, i * MiB);
  }
  closeSync(fd);
}

async function main(): Promise<void> {
  const only = opt('--make-image');
  if (only) {
    synthetic(only, Number(opt('--synthetic-gib') ?? 1));
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'hvbc-bench-'));
  try {
    let image = args[0] && !args[0].startsWith('--') ? args[0] : '';
    if (!image) {
      image = path.join(work, 'disk.img');
      synthetic(image, Number(opt('--synthetic-gib') ?? 1));
    }
    const repoDir = opt('--repo') ?? path.join(work, 'repo');
    const threads = opt('--threads');
    const passphrase = opt('--passphrase');
    const size = statSync(image).size;
    const t0 = performance.now();
    const repo = await Repository.init(repoDir, {
      ...(threads !== undefined ? { threads: Number(threads) } : {}),
      ...(passphrase ? { passphrase } : {}),
    });
    const cs = repo.chunkSize;
    const fd = openSync(image, 'r');
    const w = await repo.beginPoint({ vmId: 'bench', vmName: 'bench', kind: 'full' });
    const d = await w.beginDisk('disk', { virtualSize: size });
    for (let o = 0; o < size; o += cs) {
      const b = Buffer.allocUnsafe(Math.min(cs, size - o));
      readSync(fd, b, 0, b.length, o);
      await d.writeChunk(o, b);
    }
    const f = await d.finish();
    const s = await w.commit();
    const t1 = performance.now();
    const h = createHash('sha256');
    const back = await repo.readDisk(
      s.id,
      'disk',
      async (_o, data, len) => void h.update(data ?? Buffer.alloc(len)),
    );
    const t2 = performance.now();
    closeSync(fd);
    const secs = (t1 - t0) / 1000;
    console.log(
      JSON.stringify({
        bytes: size,
        threads: await repo.threads(),
        backupSeconds: +secs.toFixed(2),
        backupMiBps: +(size / MiB / secs).toFixed(0),
        restoreMiBps: +(size / MiB / ((t2 - t1) / 1000)).toFixed(0),
        chunksNew: f.chunksNew,
        chunksReused: f.chunksReused,
        storedMiB: +(f.bytesStored / MiB).toFixed(1),
        verified: back.digest === f.digest,
      }),
    );
    await repo.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
