// Pure: the sentences that sum up a repository task's result (check, gc, retention), for the console and the CLI.
import type { CheckResult, ForgetResult, GcResult } from './backup';
import { fmtBytes } from './format-bytes';

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function checkHeadline(r: CheckResult, readData: boolean): string {
  if (!r.ok) return 'The repository is damaged.';
  return readData ? 'Verified: every chunk re-hashed and intact.' : 'Structure is consistent.';
}

/** "93 chunks checked", and for a damaged repository what is missing or corrupt and how many points it affects. */
export function checkDetail(r: CheckResult): string {
  const checked = `${plural(r.chunksChecked, 'chunk')} checked${r.ok ? '.' : ''}`;
  if (r.ok) return checked;
  return `${checked}; ${r.missingChunks.length} missing, ${r.corruptChunks.length} corrupt, affecting ${plural(r.affectedPoints.length, 'restore point')}.`;
}

export function gcSummary(r: GcResult): string {
  const parts = [
    `Freed ${fmtBytes(r.bytesFreed)}; ${plural(r.packsDeleted, 'pack')} deleted, ${r.packsRewritten} rewritten.`,
  ];
  if (r.deferredChunks > 0)
    parts.push(
      `${plural(r.deferredChunks, 'chunk')} kept for now because backups were running; a later run removes them.`,
    );
  if (r.youngChunks > 0)
    parts.push(
      `${plural(r.youngChunks, 'unused chunk')} written less than 10 minutes ago ${r.youngChunks === 1 ? 'is' : 'are'} left for a later run (a backup may still be using them).`,
    );
  return parts.join(' ');
}

export function forgetHeadline(r: ForgetResult): string {
  return r.dryRun ? 'Retention preview (nothing removed):' : 'Retention applied:';
}

export function forgetDetail(r: ForgetResult): string {
  const n = r.removed.length;
  return `${plural(n, 'restore point')} ${r.dryRun ? 'would be' : n === 1 ? 'was' : 'were'} removed, ${r.kept.length} kept.`;
}
