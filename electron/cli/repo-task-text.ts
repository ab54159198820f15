// What `hvbc repo check | gc | forget` print on a terminal when their task ends (--json prints the record instead).
import type { CheckResult, ForgetResult, GcResult } from '../../shared/backup';
import {
  checkDetail,
  checkHeadline,
  forgetDetail,
  forgetHeadline,
  gcSummary,
} from '../../shared/repo-result-text';

/** Problems listed on a terminal; --json has all of them. */
const MAX_ERRORS = 50;

/** Lines describing a finished repository task's result. */
export function repoTaskLines(
  sub: 'check' | 'gc' | 'forget',
  result: unknown,
  readData: boolean,
): string[] {
  if (sub === 'check') {
    const r = result as CheckResult;
    const lines = [`${checkHeadline(r, readData)} ${checkDetail(r)}`];
    for (const e of r.errors.slice(0, MAX_ERRORS)) lines.push(`  ${e}`);
    if (r.errors.length > MAX_ERRORS)
      lines.push(`  … and ${r.errors.length - MAX_ERRORS} more (--json lists them all)`);
    if (r.affectedPoints.length)
      lines.push(`Affected restore points: ${r.affectedPoints.join(', ')}`);
    return lines;
  }
  if (sub === 'gc') return [`Garbage collection done. ${gcSummary(result as GcResult)}`];
  const r = result as ForgetResult;
  const lines = [`${forgetHeadline(r)} ${forgetDetail(r)}`];
  for (const id of r.removed) lines.push(`  ${r.dryRun ? 'would remove' : 'removed'} ${id}`);
  for (const id of r.kept) lines.push(`  kept ${id}`);
  if (r.dryRun && r.removed.length) lines.push('Run it again with --apply to remove them.');
  return lines;
}
