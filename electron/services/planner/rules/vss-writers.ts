// Rule: every guest VSS writer must be stable; a failed writer (e.g. SQLServerWriter, seed 003) fails the checkpoint.
import type { VssWriter } from '../../../../shared/model';
import type { PreflightRule } from './types';

/** The Windows service that hosts a writer: restarting it is the usual fix (hyperv-api.md §11.1). */
const WRITER_SERVICES: Array<[RegExp, string]> = [
  [/^sql ?server ?writer$/i, 'SQL Server VSS Writer (SQLWriter)'],
  [/^system writer$/i, 'Cryptographic Services (CryptSvc)'],
  [/^wmi writer$/i, 'Windows Management Instrumentation (Winmgmt)'],
  [
    /^(registry writer|com\+ regdb writer|shadow copy optimization writer|asr writer|vss metadata store writer)$/i,
    'Volume Shadow Copy (VSS)',
  ],
  [/^ntds$/i, 'Active Directory Domain Services (NTDS)'],
  [/^iis config writer$/i, 'Application Host Helper Service (AppHostSvc)'],
  [/^iis metabase writer$/i, 'IIS Admin Service (IISADMIN)'],
  [/exchange/i, 'Microsoft Exchange Information Store (MSExchangeIS)'],
  [/hyper-v vss writer/i, 'Hyper-V Virtual Machine Management (vmms)'],
  [/^bits writer$/i, 'Background Intelligent Transfer Service (BITS)'],
  [/^dfs replication/i, 'DFS Replication (DFSR)'],
  [/^frs writer$/i, 'File Replication (NtFrs)'],
  [/^dhcp jet writer$/i, 'DHCP Server (DHCPServer)'],
  [/^cluster database$/i, 'Cluster Service (ClusSvc)'],
  [/^task scheduler writer$/i, 'Task Scheduler (Schedule)'],
  [/^certificate authority$/i, 'Active Directory Certificate Services (CertSvc)'],
];

export function serviceOfWriter(name: string): string | undefined {
  return WRITER_SERVICES.find(([re]) => re.test(name.trim()))?.[1];
}

/** VSS_WRITER_STATE number from "[11] Failed" (or the word alone); null when unreadable. */
export function writerStateNumber(state: string): number | null {
  const m = /\[(\d+)\]/.exec(state);
  if (m) return Number(m[1]);
  if (/^\s*stable\s*$/i.test(state)) return 1;
  if (/waiting for completion/i.test(state)) return 5;
  if (/failed/i.test(state)) return 9;
  return null;
}

export type WriterHealth = 'stable' | 'busy' | 'failed-retryable' | 'failed' | 'unknown';

export function writerHealth(w: VssWriter): WriterHealth {
  const n = writerStateNumber(w.state);
  const errorText = w.lastError.trim();
  const noError = errorText === '' || /^no error$/i.test(errorText);
  if (n === null) return 'unknown';
  if (n >= 6)
    return w.retryable || /^retryable|timed out/i.test(errorText) ? 'failed-retryable' : 'failed';
  if (n === 1) return noError ? 'stable' : 'failed-retryable';
  return 'busy';
}

export const vssWritersRule: PreflightRule = {
  id: 'guest-vss-writers',
  title: 'Guest VSS writers',
  scope: 'vm',
  severity: 'error',
  description:
    'An application-consistent checkpoint asks every VSS writer in the guest to freeze. One writer in a failed state (vssadmin list writers) makes the checkpoint fail with 0x800423F4 / 32768, as with the SQLServerWriter of seed 003.',
  check(vm, ctx) {
    if (vm.state !== 'Running')
      return {
        status: 'not-applicable',
        message: `${vm.name} is ${vm.state}: its writers only take part while it runs.`,
      };
    const err = ctx.facts.vssErrors?.[vm.id];
    const writers = ctx.facts.vssWriters?.[vm.id];
    if (writers === undefined || writers.length === 0) {
      return {
        status: 'unknown',
        message: err
          ? `The guest's writer states could not be read: ${err}`
          : `No writer states were collected for ${vm.name}.`,
        fix: 'Run the pre-flight against the estate (it asks each running guest through PowerShell Direct), or run "vssadmin list writers" in the guest.',
      };
    }
    const evidence = writers.map((w) => `${w.name}: ${w.state}, last error: ${w.lastError}`);
    const bad = writers.map((w) => ({ w, h: writerHealth(w) })).filter((x) => x.h !== 'stable');
    if (bad.length === 0)
      return { status: 'pass', message: `All ${writers.length} writers are stable.`, evidence };
    const failed = bad.filter((x) => x.h === 'failed');
    const retryable = bad.filter((x) => x.h === 'failed-retryable');
    const worst = failed.length > 0 ? 'error' : 'warning';
    const names = bad.map((x) => x.w.name);
    const services = [
      ...new Set(
        bad.map((x) => serviceOfWriter(x.w.name)).filter((s): s is string => s !== undefined),
      ),
    ];
    const what =
      failed.length > 0
        ? `${failed.map((x) => `${x.w.name} is ${x.w.state} (${x.w.lastError})`).join('; ')}: the application-consistent checkpoint of ${vm.name} will fail (0x800423F4, Hyper-V error 32768).`
        : retryable.length > 0
          ? `${retryable.map((x) => `${x.w.name} is ${x.w.state} (${x.w.lastError})`).join('; ')}: the next checkpoint may fail; a retry after about 10 minutes often succeeds.`
          : `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} busy (${bad.map((x) => x.w.state).join(', ')}): another backup may be running in the guest.`;
    return {
      status: 'fail',
      severity: failed.length > 0 || retryable.length > 0 ? worst : 'info',
      message: what,
      evidence,
      fix: `${services.length > 0 ? `Restart ${services.join(', ')} in the guest, then check "vssadmin list writers" again` : `Restart the service that hosts ${names.join(', ')} in the guest (or reboot it)`}; if the writer fails again, repair the application (seed 003: a repair install of SQL Server fixed SQLServerWriter).`,
    };
  },
};
