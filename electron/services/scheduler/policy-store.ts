// Backup policies and their run log on disk: policies.json (atomic) and policy-runs.jsonl (append-only).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BackupPolicy, type PolicyRun } from '../../../shared/drills';
import { HvbcError } from '../../../shared/errors';
import { writeFileAtomic } from '../providers/lab/store';

interface PolicyFile {
  policies: BackupPolicy[];
  /** Per policy: the time up to which its slots have been handled. */
  checkedUntil: Record<string, string>;
}

export class PolicyStore {
  constructor(private readonly dir: string) {}

  private get file() {
    return path.join(this.dir, 'policies.json');
  }
  private get runsFile() {
    return path.join(this.dir, 'policy-runs.jsonl');
  }

  async read(): Promise<PolicyFile> {
    const text = await fs.readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return { policies: [], checkedUntil: {} };
    try {
      const raw = JSON.parse(text) as {
        policies?: unknown[];
        checkedUntil?: Record<string, string>;
      };
      return {
        policies: (raw.policies ?? []).map((p) => BackupPolicy.parse(p)),
        checkedUntil: raw.checkedUntil ?? {},
      };
    } catch (e) {
      throw new HvbcError(
        'VALIDATION',
        `${this.file} is not a valid policy file (${(e as Error).message}). Fix or remove it; no policy ran.`,
      );
    }
  }

  async write(f: PolicyFile): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(f, null, 2));
  }

  async list(): Promise<BackupPolicy[]> {
    return (await this.read()).policies;
  }

  async save(p: BackupPolicy, now: Date): Promise<void> {
    const f = await this.read();
    const i = f.policies.findIndex((x) => x.id === p.id);
    if (i >= 0) f.policies[i] = p;
    else {
      f.policies.push(p);
      f.checkedUntil[p.id] = now.toISOString(); // a new policy does not back-fill slots before it existed
    }
    await this.write(f);
  }

  async remove(id: string): Promise<boolean> {
    const f = await this.read();
    const before = f.policies.length;
    f.policies = f.policies.filter((p) => p.id !== id);
    delete f.checkedUntil[id];
    await this.write(f);
    return f.policies.length < before;
  }

  async appendRun(run: PolicyRun): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await fs.appendFile(this.runsFile, `${JSON.stringify(run)}\n`);
  }

  async runs(policyId?: string, limit = 500): Promise<PolicyRun[]> {
    const text = await fs.readFile(this.runsFile, 'utf8').catch(() => '');
    const all = text
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as PolicyRun];
        } catch {
          return [];
        }
      });
    // A run is logged when it starts and when it ends; one slot holds one run, so its newest line wins.
    const byKey = new Map<string, PolicyRun>();
    for (const r of all)
      if (!policyId || r.policyId === policyId) byKey.set(`${r.policyId}@${r.slot}`, r);
    return [...byKey.values()].slice(-limit);
  }
}
