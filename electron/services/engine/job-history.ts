// The job history: one JSON line per finished task (backups, restores, checks, drills) for charts and audits.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { JobHistoryRecord } from '../../../shared/backup';
import type { TaskRecord } from '../../../shared/tasks';

export class JobHistory {
  constructor(private readonly file: string) {}

  async append(rec: JobHistoryRecord): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, `${JSON.stringify(rec)}\n`);
  }

  async list(limit = 500): Promise<JobHistoryRecord[]> {
    const text = await fs.readFile(this.file, 'utf8').catch(() => '');
    const out: JobHistoryRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JobHistoryRecord);
      } catch {
        /* a line cut by a crash: skip it, keep the rest */
      }
    }
    return out.slice(-limit);
  }
}

/** Summarise a finished task for the history, reading the counters its runner reported. */
export function historyRecordOf(
  t: TaskRecord,
  extra: Partial<JobHistoryRecord> = {},
): JobHistoryRecord {
  const c = t.progress.counters;
  const started = t.startedAt ?? t.createdAt;
  const ended = t.endedAt ?? new Date().toISOString();
  return {
    taskId: t.id,
    kind: t.kind,
    title: t.title,
    status: t.state,
    startedAt: started,
    endedAt: ended,
    durationSeconds: (Date.parse(ended) - Date.parse(started)) / 1000,
    bytesRead: c.bytesRead ?? 0,
    bytesWritten: c.bytesWritten ?? 0,
    logicalBytes: c.logicalBytes ?? 0,
    changedBytes: c.changedBytes ?? 0,
    dedupeRatio: null,
    vmIds: [],
    summary: t.error ? t.error.message : t.progress.message,
    ...extra,
  };
}
