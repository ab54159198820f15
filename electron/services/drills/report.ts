// Pure: a drill record as a self-contained HTML report, with its hash chain values so an edit is detectable.
import type { DrillRecord, DrillTrendPoint } from '../../../shared/drills';

function esc(s: unknown): string {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function secs(n: number | null): string {
  return n === null ? '–' : `${n.toFixed(1)} s`;
}

export function drillReportHtml(
  rec: DrillRecord,
  trend: DrillTrendPoint[],
): { fileName: string; html: string } {
  const rows = rec.vms
    .map((v) => {
      const verdict =
        v.rtoMet === null
          ? 'no target set'
          : v.rtoMet
            ? `met, ${secs(v.rtoMarginSeconds)} to spare`
            : `MISSED by ${secs(v.rtoMarginSeconds === null ? null : -v.rtoMarginSeconds)}`;
      return `<tr><td>${esc(v.vmName)}</td><td>${esc(v.pointTime)}</td><td>${secs(v.recoverySeconds)}</td><td>${secs(v.rtoSeconds)}</td><td class="${v.rtoMet === false ? 'bad' : ''}">${esc(verdict)}</td></tr>`;
    })
    .join('');
  const steps = rec.steps
    .map(
      (s) =>
        `<tr class="${s.status}"><td>${esc(rec.vms.find((v) => v.vmId === s.vmId)?.vmName ?? s.vmId)}</td><td>${esc(s.title)}</td><td>${esc(s.status)}</td><td>${esc(s.reason ?? '')}</td><td><pre>${esc(JSON.stringify(s.evidence, null, 1))}</pre></td><td>${s.durationSeconds.toFixed(2)} s</td></tr>`,
    )
    .join('');
  const trendRows = trend
    .slice(-20)
    .map(
      (t) =>
        `<tr><td>${esc(t.time)}</td><td>${esc(t.vmName)}</td><td>${esc(t.status)}</td><td>${secs(t.recoverySeconds)}</td><td>${secs(t.rtoSeconds)}</td></tr>`,
    )
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Restore drill ${esc(rec.id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:32px;color:#111}h1{font-size:22px}table{border-collapse:collapse;width:100%;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0;font-size:11px;white-space:pre-wrap;max-width:520px}.failed td{background:#fde8ea}.bad{color:#b00020;font-weight:600}.passed td:nth-child(3){color:#0a7a43}.verdict{font-size:18px;font-weight:700}.mono{font-family:monospace;word-break:break-all}</style></head><body>
<h1>Restore drill report</h1>
<p class="verdict">${rec.status === 'passed' ? 'PASSED' : 'FAILED'}${rec.failure ? ` — ${esc(rec.failure)}` : ''}</p>
<table><tr><th>Drill id</th><td class="mono">${esc(rec.id)}</td></tr><tr><th>Started</th><td>${esc(rec.startedAt)}</td></tr><tr><th>Ended</th><td>${esc(rec.endedAt)}</td></tr><tr><th>Trigger</th><td>${esc(rec.trigger)}</td></tr><tr><th>Sandbox</th><td>${esc(rec.sandbox.folder)} on network ${esc(rec.sandbox.network)}; ${rec.sandbox.tornDown ? 'torn down after the drill' : 'kept'}</td></tr></table>
<h2>Recovery time</h2><table><tr><th>VM</th><th>Restore point</th><th>Measured recovery</th><th>Target</th><th>Verdict</th></tr>${rows}</table>
<h2>Verification steps</h2><table><tr><th>VM</th><th>Step</th><th>Result</th><th>Reason</th><th>Evidence</th><th>Took</th></tr>${steps}</table>
<h2>Trend (recent drills)</h2><table><tr><th>Time</th><th>VM</th><th>Result</th><th>Recovery</th><th>Target</th></tr>${trendRows}</table>
<h2>Integrity</h2><p>This record is link <span class="mono">${esc(rec.hash)}</span> of a hash chain over every drill record; it follows <span class="mono">${esc(rec.prevHash)}</span>. Each hash is SHA-256 of the previous hash and this record in canonical JSON. Run <code>hvbc drill verify</code> against the console's data folder to check that no record was edited or removed.</p>
<script type="application/json" id="drill-record">${esc(JSON.stringify(rec))}</script>
</body></html>`;
  return {
    fileName: `drill-${rec.startedAt.slice(0, 19).replace(/[:T]/g, '-')}-${rec.id.slice(0, 8)}.html`,
    html,
  };
}

export function trendOf(records: DrillRecord[], vmId?: string): DrillTrendPoint[] {
  return records.flatMap((r) =>
    r.vms
      .filter((v) => !vmId || v.vmId === vmId)
      .map((v) => ({
        drillId: r.id,
        time: r.startedAt,
        vmId: v.vmId,
        vmName: v.vmName,
        recoverySeconds: v.recoverySeconds,
        rtoSeconds: v.rtoSeconds,
        status: r.status,
      })),
  );
}
