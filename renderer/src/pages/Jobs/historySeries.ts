// Pure: job history records turned into chart rows (duration, bytes, change rate %, dedupe ratio), oldest first.
import type { JobHistoryRecord } from '../../../../shared/backup';

export interface HistoryRow {
  taskId: string;
  label: string;
  time: number;
  status: string;
  duration: number;
  read: number;
  written: number;
  /** changedBytes / logicalBytes in percent; null when nothing logical was counted. */
  changePct: number | null;
  dedupe: number | null;
}

function label(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })}`;
}

export function historySeries(
  history: readonly JobHistoryRecord[],
  kind: string | null,
): HistoryRow[] {
  return history
    .filter((h) => kind === null || h.kind === kind)
    .map((h) => ({
      taskId: h.taskId,
      label: label(h.endedAt),
      time: Date.parse(h.endedAt),
      status: h.status,
      duration: h.durationSeconds,
      read: h.bytesRead,
      written: h.bytesWritten,
      changePct: h.logicalBytes > 0 ? (h.changedBytes / h.logicalBytes) * 100 : null,
      dedupe: h.dedupeRatio,
    }))
    .sort((a, b) => a.time - b.time);
}
