// Runs long operations as task records: state machine, coalesced progress events, cancellation by AbortSignal.
import { randomUUID } from 'node:crypto';
import { HvbcError, toErrorData } from '../../../shared/errors';
import {
  emptyProgress,
  TERMINAL_TASK_STATES,
  type TaskProgress,
  type TaskRecord,
} from '../../../shared/tasks';

export interface TaskContext {
  readonly id: string;
  readonly signal: AbortSignal;
  /** Merge a progress update; pushed to listeners at most every `intervalMs`. */
  progress(update: Partial<TaskProgress>): void;
  warn(message: string): void;
  /** Throws CANCELED when the task was asked to stop. */
  throwIfCanceled(): void;
  /**
   * From here the task cannot be stopped without harm (`what` it is doing, for the admin): throws CANCELED if a
   * cancel came before; a cancel asked later is refused with a warning, and the task's outcome is reported as is.
   */
  pointOfNoReturn(what: string): void;
}

export type TaskRunner<T> = (ctx: TaskContext) => Promise<T>;

export interface TaskManagerOptions {
  /** Minimum interval between two progress pushes of one task (state changes are pushed at once). */
  intervalMs?: number;
  /** How many finished tasks to keep in memory. */
  keep?: number;
}

interface Entry {
  record: TaskRecord;
  controller: AbortController;
  lastPush: number;
  timer: NodeJS.Timeout | null;
  done: Promise<TaskRecord>;
  /** Set at the task's point of no return: what it is doing that a cancel must not interrupt. */
  committed: string | null;
}

export class TaskManager {
  private tasks = new Map<string, Entry>();
  private listeners = new Set<(t: TaskRecord) => void>();
  private readonly intervalMs: number;
  private readonly keep: number;

  constructor(opts: TaskManagerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 200;
    this.keep = opts.keep ?? 500;
  }

  onUpdate(listener: (t: TaskRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start a task; returns its record at once. The runner's resolved value becomes `result`. */
  start<T>(kind: string, title: string, run: TaskRunner<T>): TaskRecord {
    const id = randomUUID();
    const controller = new AbortController();
    const record: TaskRecord = {
      id,
      kind,
      title,
      state: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
      progress: emptyProgress(),
      error: null,
      warnings: [],
    };
    const entry: Entry = {
      record,
      controller,
      lastPush: 0,
      timer: null,
      done: Promise.resolve(record),
      committed: null,
    };
    this.tasks.set(id, entry);
    this.prune();
    const ctx: TaskContext = {
      id,
      signal: controller.signal,
      progress: (u) => {
        record.progress = { ...record.progress, ...u };
        this.schedulePush(entry);
      },
      warn: (m) => {
        record.warnings.push(m);
        this.schedulePush(entry);
      },
      throwIfCanceled: () => {
        if (controller.signal.aborted)
          throw new HvbcError('CANCELED', `Task "${title}" was canceled.`);
      },
      pointOfNoReturn: (what) => {
        ctx.throwIfCanceled();
        entry.committed = what;
      },
    };
    entry.done = (async () => {
      await Promise.resolve();
      record.state = 'running';
      record.startedAt = new Date().toISOString();
      record.progress = { ...record.progress, phase: 'starting' };
      this.push(entry);
      try {
        const result = await run(ctx);
        if (controller.signal.aborted)
          throw new HvbcError('CANCELED', `Task "${title}" was canceled.`);
        record.result = result;
        record.state = 'succeeded';
        record.progress = { ...record.progress, fraction: 1, phase: 'done', etaSeconds: 0 };
      } catch (e) {
        const err = toErrorData(e);
        const canceled = err.code === 'CANCELED' || controller.signal.aborted;
        record.state = canceled ? 'canceled' : 'failed';
        record.error = canceled
          ? {
              code: 'CANCELED',
              message: err.code === 'CANCELED' ? err.message : `Task "${title}" was canceled.`,
            }
          : err;
        record.progress = { ...record.progress, phase: record.state, etaSeconds: null };
        const partial = (e as { partialResult?: unknown }).partialResult;
        if (partial !== undefined) record.result = partial;
      }
      record.endedAt = new Date().toISOString();
      this.push(entry);
      return record;
    })();
    return { ...record };
  }

  /** Wait for a task to end; resolves with its final record. */
  async wait(id: string): Promise<TaskRecord> {
    const e = this.tasks.get(id);
    if (!e) throw new HvbcError('NOT_FOUND', `No task with id ${id}.`);
    return { ...(await e.done) };
  }

  get(id: string): TaskRecord {
    const e = this.tasks.get(id);
    if (!e)
      throw new HvbcError(
        'NOT_FOUND',
        `No task with id ${id}. It may have ended before this service host started.`,
      );
    return structuredClone(e.record);
  }

  list(): TaskRecord[] {
    return [...this.tasks.values()].map((e) => structuredClone(e.record)).reverse();
  }

  /** Ids of the tasks not yet ended (queued, running, canceling): checkpoints they made belong to them. */
  activeIds(): string[] {
    return [...this.tasks.values()]
      .filter((e) => !TERMINAL_TASK_STATES.includes(e.record.state))
      .map((e) => e.record.id);
  }

  cancel(id: string): TaskRecord {
    const e = this.tasks.get(id);
    if (!e) throw new HvbcError('NOT_FOUND', `No task with id ${id}.`);
    if (e.committed && !TERMINAL_TASK_STATES.includes(e.record.state)) {
      e.record.warnings.push(
        `Cancel was asked while ${e.committed}: too late to stop safely, so the task finishes.`,
      );
      this.push(e);
    } else if (!TERMINAL_TASK_STATES.includes(e.record.state)) {
      e.record.state = 'canceling';
      e.controller.abort();
      this.push(e);
    }
    return structuredClone(e.record);
  }

  /** Cancel everything still running and wait for it (shutdown). */
  async shutdown(): Promise<void> {
    for (const e of this.tasks.values())
      if (!TERMINAL_TASK_STATES.includes(e.record.state) && !e.committed) e.controller.abort();
    await Promise.all([...this.tasks.values()].map((e) => e.done.catch(() => undefined)));
  }

  private schedulePush(e: Entry): void {
    const wait = e.lastPush + this.intervalMs - Date.now();
    if (wait <= 0) return this.push(e);
    e.timer ??= setTimeout(() => this.push(e), wait);
  }

  private push(e: Entry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.lastPush = Date.now();
    const snapshot = structuredClone(e.record);
    for (const l of this.listeners) l(snapshot);
  }

  private prune(): void {
    if (this.tasks.size <= this.keep) return;
    for (const [id, e] of this.tasks) {
      if (this.tasks.size <= this.keep) break;
      if (TERMINAL_TASK_STATES.includes(e.record.state)) this.tasks.delete(id);
    }
  }
}
