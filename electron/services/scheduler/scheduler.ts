// The scheduler: runs due policies, reports missed slots, never lets two runs of one policy overlap.
import type { BackupPolicy, PolicyRun, PolicyStatus } from '../../../shared/drills';
import { HvbcError } from '../../../shared/errors';
import { nextSlot, parseCron, slotsBetween } from './cron';
import type { PolicyStore } from './policy-store';

export interface SchedulerDeps {
  store: PolicyStore;
  now: () => Date;
  /** Run a policy to its end; call onStart when its task exists. */
  run: (
    p: BackupPolicy,
    slot: string,
    onStart: (taskId: string) => Promise<void>,
  ) => Promise<PolicyRun>;
  onMissed: (p: BackupPolicy, run: PolicyRun) => Promise<void>;
}

export class Scheduler {
  private active = new Map<string, Promise<PolicyRun>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<PolicyRun[]> | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Look at every enabled policy once: run what is due, record what was missed. Returns the runs it recorded. */
  tick(): Promise<PolicyRun[]> {
    this.ticking ??= this.doTick().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async doTick(): Promise<PolicyRun[]> {
    const { store } = this.deps;
    const now = this.deps.now();
    const file = await store.read();
    const out: PolicyRun[] = [];
    for (const p of file.policies) {
      if (!p.enabled) continue;
      const from = new Date(file.checkedUntil[p.id] ?? now.toISOString());
      const slots = slotsBetween(parseCron(p.schedule.cron), from, now);
      file.checkedUntil[p.id] = now.toISOString();
      slots.forEach((slot, i) => {
        const late = (now.getTime() - slot.getTime()) / 60_000;
        const isLast = i === slots.length - 1;
        if (!isLast || late > p.schedule.windowMinutes) {
          const run: PolicyRun = {
            policyId: p.id,
            slot: slot.toISOString(),
            startedAt: null,
            endedAt: null,
            status: 'missed',
            taskId: null,
            drillId: null,
            message: isLast
              ? `Could not start within the ${p.schedule.windowMinutes}-minute window (it is ${Math.round(late)} minutes late).`
              : 'The console and service were not running at this time.',
          };
          out.push(run);
        } else if (this.active.has(p.id)) {
          out.push({
            policyId: p.id,
            slot: slot.toISOString(),
            startedAt: null,
            endedAt: null,
            status: 'skipped-overlap',
            taskId: null,
            drillId: null,
            message:
              'The previous run of this policy was still running; runs of one policy never overlap.',
          });
        } else {
          out.push(this.launch(p, slot.toISOString()));
        }
      });
    }
    if (file.policies.some((p) => p.enabled)) await store.write(file); // nothing to record otherwise
    for (const r of out) {
      if (r.status === 'running') continue;
      await store.appendRun(r);
      const p = file.policies.find((x) => x.id === r.policyId);
      if (p && r.status === 'missed') await this.deps.onMissed(p, r);
    }
    return out;
  }

  /** Start a run in the background and return its 'running' record. */
  private launch(p: BackupPolicy, slot: string): PolicyRun {
    const started: PolicyRun = {
      policyId: p.id,
      slot,
      startedAt: new Date().toISOString(),
      endedAt: null,
      status: 'running',
      taskId: null,
      drillId: null,
      message: 'started',
    };
    const promise = this.deps
      .run(p, slot, async (taskId) => {
        started.taskId = taskId;
        await this.deps.store.appendRun({ ...started });
      })
      .then(async (r) => {
        await this.deps.store.appendRun(r);
        return r;
      })
      .finally(() => this.active.delete(p.id));
    this.active.set(p.id, promise);
    return started;
  }

  /** Run a policy now, unless a run of it is active. */
  async runNow(p: BackupPolicy): Promise<PolicyRun> {
    if (this.active.has(p.id))
      throw new HvbcError(
        'CONFLICT',
        `Policy "${p.name}" is already running; runs of one policy never overlap.`,
      );
    return this.launch(p, this.deps.now().toISOString());
  }

  isRunning(id: string): boolean {
    return this.active.has(id);
  }

  /** Wait until every run in progress has ended (hvbc run-due, tests, shutdown). */
  async idle(): Promise<void> {
    while (this.active.size) await Promise.allSettled([...this.active.values()]);
  }

  async status(): Promise<PolicyStatus[]> {
    const f = await this.deps.store.read();
    const runs = await this.deps.store.runs();
    const now = this.deps.now();
    return f.policies.map((p) => {
      const mine = runs.filter((r) => r.policyId === p.id);
      return {
        policy: p,
        nextRun: p.enabled
          ? (nextSlot(parseCron(p.schedule.cron), now)?.toISOString() ?? null)
          : null,
        lastRun: mine[mine.length - 1] ?? null,
        running: this.active.has(p.id),
      };
    });
  }

  start(intervalMs = 30_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick().catch(() => undefined), intervalMs);
    this.timer.unref();
    void this.tick().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.idle();
  }
}
