// Contract methods for backups, restores, the repository and the job history.
import { z } from 'zod';
import {
  BackupRequest,
  RestoreRequest,
  type JobHistoryRecord,
  type PointSummary,
  type RepoStats,
} from '../backup';
import type { TaskRecord } from '../tasks';
import { method, NoParams } from './define';

export interface RepoInfo {
  path: string;
  exists: boolean;
  stats: RepoStats | null;
}

export const backupMethods = {
  'backup.start': method<TaskRecord>()(
    BackupRequest,
    'Back up VMs into the repository as a task; returns the task at once.',
  ),
  'restore.start': method<TaskRecord>()(
    RestoreRequest,
    'Restore a point as a new VM in a folder (or, on the lab, in place over the original VM with its name typed to confirm), verified by content digest; returns the task.',
  ),
  'repo.info': method<RepoInfo>()(NoParams, 'Where the repository is and what it holds.'),
  'repo.init': method<RepoInfo>()(
    z
      .object({
        path: z.string().min(1).optional(),
        passphrase: z.string().min(8, 'use at least 8 characters').optional(),
        chunkSize: z.number().int().optional(),
      })
      .strict(),
    'Create a repository (optionally encrypted with a passphrase).',
  ),
  'repo.open': method<RepoInfo>()(
    z.object({ path: z.string().min(1), passphrase: z.string().optional() }).strict(),
    'Use another existing repository.',
  ),
  'repo.points': method<PointSummary[]>()(
    z.object({ vmId: z.string().optional() }).strict(),
    'Restore points, newest last.',
  ),
  'repo.quarantinePoint': method<{ pointId: string; movedTo: string }>()(
    z.object({ pointId: z.string().min(1) }).strict(),
    'Move a restore point whose manifest is damaged aside (to quarantine/points/ in the repository), so gc and the figures no longer wait for it.',
  ),
  'repo.check': method<TaskRecord>()(
    z.object({ readData: z.boolean().default(false) }).strict(),
    'Check the repository structure (and re-hash every chunk with readData) as a task.',
  ),
  'repo.gc': method<TaskRecord>()(NoParams, 'Remove data no restore point uses, as a task.'),
  'repo.forget': method<TaskRecord>()(
    z
      .object({
        keepLast: z.number().int().positive().optional(),
        daily: z.number().int().nonnegative().optional(),
        weekly: z.number().int().nonnegative().optional(),
        monthly: z.number().int().nonnegative().optional(),
        yearly: z.number().int().nonnegative().optional(),
        vmId: z.string().optional(),
        dryRun: z.boolean().default(true),
      })
      .strict(),
    'Apply a retention policy (keep-last and GFS) to the restore points, as a task.',
  ),
  'jobs.history': method<JobHistoryRecord[]>()(
    z.object({ limit: z.number().int().positive().max(5000).optional() }).strict(),
    'Finished jobs with their figures, oldest first.',
  ),
};
