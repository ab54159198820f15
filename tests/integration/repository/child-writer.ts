// Child process for the multi-process repository tests: writes one restore point.
//   node --import tsx tests/integration/repository/child-writer.ts '<json options>'
// Prints "BEGIN <pointId>", "PAUSED" (when pauseAt is reached; continues once goFile exists), "DONE <pointId> <digest>",
// and with progress "W <i>" per chunk and "COMMIT".
import { existsSync } from 'node:fs';
import { Repository } from '../../../electron/services/repository';
import { makeDisk } from './helpers';

interface Opts {
  dir: string;
  seed: number;
  /** Disk size in chunks. */
  chunks: number;
  vmId: string;
  /** Chunks [0, sharedChunks) come from seed `sharedSeed` (dedupe with other writers / old points). */
  sharedSeed?: number;
  sharedChunks?: number;
  pauseAt?: number;
  goFile?: string;
  slowMs?: number;
  threads?: number;
  /** Print "W <i>" after each chunk and "COMMIT" before committing (the crash test kills on these). */
  progress?: boolean;
}

export function childDisk(
  o: Pick<Opts, 'seed' | 'chunks' | 'sharedSeed' | 'sharedChunks'>,
  cs: number,
): Buffer {
  const data = makeDisk(o.seed, o.chunks * cs, cs);
  if (o.sharedSeed !== undefined && o.sharedChunks)
    makeDisk(o.sharedSeed, o.sharedChunks * cs, cs).copy(data, 0);
  return data;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as Opts;
  const repo = await Repository.open(o.dir, o.threads !== undefined ? { threads: o.threads } : {});
  const cs = repo.chunkSize;
  const data = childDisk(o, cs);
  const w = await repo.beginPoint({
    vmId: o.vmId,
    vmName: `child ${o.vmId}`,
    kind: 'full',
    source: 'child-writer',
    childDisk: {
      seed: o.seed,
      chunks: o.chunks,
      sharedSeed: o.sharedSeed,
      sharedChunks: o.sharedChunks,
    },
  });
  console.log(`BEGIN ${w.id}`);
  const d = await w.beginDisk('d', { virtualSize: data.length });
  for (let i = 0; i < o.chunks; i++) {
    if (i === o.pauseAt) {
      console.log('PAUSED');
      while (!existsSync(o.goFile ?? '')) await sleep(20);
    }
    await d.writeChunk(i * cs, data.subarray(i * cs, (i + 1) * cs));
    if (o.progress) console.log(`W ${i}`);
    if (o.slowMs) await sleep(o.slowMs);
  }
  if (o.progress) console.log('COMMIT');
  const f = await d.finish();
  const s = await w.commit();
  console.log(`DONE ${s.id} ${f.digest}`);
  await repo.close();
}

if (process.argv[1]?.endsWith('child-writer.ts')) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
