// Drill records on disk: an append-only JSON-lines file sealed by a hash chain.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '../../../shared/drills';
import { GENESIS, seal, verifyChain } from './hash-chain';

export class DrillStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async list(): Promise<DrillRecord[]> {
    const text = await fs.readFile(this.file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as DrillRecord);
  }

  /** Append one record, chained to the last; serialised so two drills never share a prevHash. */
  append(rec: Omit<DrillRecord, 'prevHash' | 'hash'>): Promise<DrillRecord> {
    const run = this.queue.then(async () => {
      const all = await this.list();
      const sealed = seal<DrillRecord>(all[all.length - 1]?.hash ?? GENESIS, rec);
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const fh = await fs.open(this.file, 'a');
      try {
        await fh.write(`${JSON.stringify(sealed)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return sealed;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async verify(): Promise<ReturnType<typeof verifyChain>> {
    return verifyChain(await this.list());
  }
}
