// Waits for a task from the CLI: a one-line progress bar on a terminal, the final record as JSON for scripts.
import type { TaskRecord } from '../../shared/tasks';
import type { Services } from '../services/services';
import type { CliIO } from './io';

function bar(fraction: number | null, width = 28): string {
  if (fraction === null) return `[${'·'.repeat(width)}]`;
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

function mb(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * Follow a task to its end; Ctrl-C cancels it (and waits for the cleanup) instead of killing the process. The task's
 * warnings (checkpoints left behind, the slow path…) go to stderr at the end; with --json they are in the record.
 */
export async function followTask(
  s: Services,
  rec: TaskRecord,
  io: CliIO,
  json: boolean,
): Promise<TaskRecord> {
  let lastLine = '';
  const off = s.tasks.onUpdate((t) => {
    if (t.id !== rec.id || json) return;
    const p = t.progress;
    const line =
      `${bar(p.fraction)} ${p.fraction === null ? '' : `${Math.round(p.fraction * 100)}% `}${p.phase} ${p.message} ${p.throughput ? `${mb(p.throughput)}/s` : ''}`.slice(
        0,
        120,
      );
    if (io.isTTY) process.stdout.write(`\r${line.padEnd(lastLine.length)}`);
    else if (p.phase !== lastLine.split(' ')[0])
      io.log(p.message ? `${p.phase}: ${p.message}` : p.phase);
    lastLine = io.isTTY ? line : p.phase;
  });
  // The first Ctrl-C (or a service manager's SIGTERM) cancels; a second Ctrl-C stops at once, skipping cleanup.
  const onSignal = () => {
    io.error('\nCanceling: cleanup runs before exit (Ctrl-C again stops at once, without it).');
    s.tasks.cancel(rec.id);
  };
  process.once('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const done = await s.tasks.wait(rec.id);
    if (io.isTTY && !json) process.stdout.write('\n');
    if (!json) for (const w of done.warnings) io.error(`!! ${w}`);
    return done;
  } finally {
    off();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export function exitCodeOf(t: TaskRecord): number {
  return t.state === 'succeeded' ? 0 : t.state === 'canceled' ? 130 : 1;
}
