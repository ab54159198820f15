// Task records: the one shape of every long operation (backup, restore, check, gc, drill), with progress.
import { z } from 'zod';
import { ErrorCodes } from './errors';

export const TaskState = z.enum([
  'queued',
  'running',
  'canceling',
  'canceled',
  'succeeded',
  'failed',
]);
export type TaskState = z.infer<typeof TaskState>;

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['canceled', 'succeeded', 'failed'];

export const TaskProgress = z.object({
  /** 0..1, or null when the total is unknown. */
  fraction: z.number().min(0).max(1).nullable(),
  phase: z.string(),
  message: z.string(),
  /** Named counters: bytesRead, bytesWritten, chunksNew… */
  counters: z.record(z.string(), z.number()),
  /** Per-item detail, e.g. one entry per VM and disk of a backup. */
  items: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      phase: z.string(),
      fraction: z.number().min(0).max(1).nullable(),
      bytesDone: z.number(),
      bytesTotal: z.number(),
      state: TaskState,
      message: z.string().optional(),
    }),
  ),
  /** Bytes per second over the last few seconds, and seconds remaining when known. */
  throughput: z.number().nullable(),
  etaSeconds: z.number().nullable(),
});
export type TaskProgress = z.infer<typeof TaskProgress>;

export const TaskRecord = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  state: TaskState,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  progress: TaskProgress,
  error: z
    .object({
      code: z.enum(ErrorCodes),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    })
    .nullable(),
  /** The operation's result once succeeded (or a partial result on failure). */
  result: z.unknown().optional(),
  /** Warnings the run raised that do not fail it. */
  warnings: z.array(z.string()),
});
export type TaskRecord = z.infer<typeof TaskRecord>;

export function emptyProgress(): TaskProgress {
  return {
    fraction: 0,
    phase: 'queued',
    message: '',
    counters: {},
    items: [],
    throughput: null,
    etaSeconds: null,
  };
}
