// `hvbc plan`, `hvbc preflight` and `hvbc doctor`: the job planner, pre-flight checks and checkpoint doctor from the command line.
import { parseArgs } from 'node:util';
import type {
  BackupPlan,
  DoctorReport,
  PreflightReport,
  RepairLog,
  RepairPlan,
} from '../../../shared/planner';
import { recordRepair } from '../../services/handlers/planner';
import {
  osLabel,
  planBackup,
  planRepair,
  recommend,
  repair,
  runPreflightLive,
  scanLive,
} from '../../services/planner';
import type { CliIO } from '../io';
import { withServices } from '../with-services';

function list(v: string | undefined): string[] | undefined {
  const out = (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  return out.length > 0 ? out : undefined;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw Object.assign(new Error(`--${name} must be a positive number, not "${v}".`), {
      code: 'VALIDATION',
    });
  return n;
}

function secs(s: number): string {
  const t = Math.round(s);
  return t < 60
    ? `${t} s`
    : t < 3600
      ? `${Math.floor(t / 60)} min ${t % 60} s`
      : `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

function gib(n: number): string {
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

export function printPlan(plan: BackupPlan, io: CliIO): void {
  io.log(
    `Cluster ${plan.clusterName} (Windows Server ${osLabel(plan.osVersion)}): ${plan.method === 'host-vss-csv' ? 'host VSS snapshots per CSV' : 'recovery checkpoints with change tracking'}`,
  );
  io.log(`  ${plan.methodReason}`);
  io.log('Rules this plan follows:');
  for (const c of plan.constraints) io.log(`  - ${c}`);
  for (const w of plan.waves) {
    io.log(`\nWave ${w.index}, starts at ${secs(w.startSeconds)}:`);
    for (const id of w.jobIds) {
      const j = plan.jobs.find((x) => x.id === id);
      if (!j) continue;
      io.log(
        `  ${j.label} on ${j.nodes.join(', ')}: ${gib(j.bytes)} ${j.runKind}, about ${secs(j.seconds)}`,
      );
      for (const e of j.explanation) io.log(`      ${e}`);
    }
  }
  for (const n of plan.notes) io.log(`\nNote: ${n}`);
  const t = plan.totals;
  io.log(
    `\n${t.jobs} job${t.jobs === 1 ? '' : 's'} for ${t.vms} VM${t.vms === 1 ? '' : 's'} in ${t.waves} wave${t.waves === 1 ? '' : 's'}; ${gib(t.bytes)} to read; about ${secs(t.seconds)}; ${t.waits} wait${t.waits === 1 ? '' : 's'}, ${t.moves} CSV ownership move${t.moves === 1 ? '' : 's'}.`,
  );
}

export async function planCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lab: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
      vms: { type: 'string' },
      'max-per-csv': { type: 'string' },
      'max-per-node': { type: 'string' },
      throughput: { type: 'string' },
      incremental: { type: 'boolean' },
      'change-rate': { type: 'string' },
      recommend: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.log(
      'hvbc plan [--vms a,b] [--max-per-csv N] [--max-per-node N] [--throughput MB/s] [--incremental] [--change-rate %] [--recommend] [--lab PATH] [--json]\n' +
        '  A backup job plan for the VMs (all by default): which jobs run together, which wait on which CSV and why,\n' +
        '  CSV ownership moves and an estimated duration. --recommend adds the changes that remove CSV conflicts.',
    );
    return 0;
  }
  return withServices(values.lab, undefined, async (s) => {
    const inv = await s.provider.inventory();
    const opts = {
      ...(list(values.vms) ? { vmIds: list(values.vms) } : {}),
      ...(values['max-per-csv'] ? { maxPerCsv: num('max-per-csv', values['max-per-csv']) } : {}),
      ...(values['max-per-node']
        ? { maxPerNode: num('max-per-node', values['max-per-node']) }
        : {}),
      ...(values.throughput ? { throughputMBps: num('throughput', values.throughput) } : {}),
      ...(values['change-rate']
        ? { changeRatePercent: num('change-rate', values['change-rate']) }
        : {}),
      incremental: values.incremental ?? false,
    };
    const plan = planBackup(inv, opts);
    const recs = values.recommend ? recommend(inv) : undefined;
    if (values.json) {
      io.log(JSON.stringify(recs ? { plan, recommendations: recs } : plan, null, 2));
      return 0;
    }
    printPlan(plan, io);
    if (recs) {
      io.log(
        `\n${recs.conflicts.length} conflict${recs.conflicts.length === 1 ? '' : 's'}; recommendations (nothing is changed):`,
      );
      for (const n of recs.notes) io.log(`  ${n}`);
      for (const r of recs.recommendations) {
        io.log(`  * ${r.title}`);
        io.log(`      ${r.why}`);
        io.log(
          `      removes ${r.removes.length} conflict${r.removes.length === 1 ? '' : 's'}${r.introduces.length ? `, adds ${r.introduces.length}` : ''}; ${r.remaining} left afterwards`,
        );
        for (const c of r.commands) io.log(`      ${c}`);
        for (const u of r.unresolved) io.log(`      could not place: ${u}`);
      }
    }
    return 0;
  });
}

export function printPreflight(r: PreflightReport, io: CliIO, all: boolean): void {
  io.log(
    `Pre-flight of ${r.vmIds.length} VM${r.vmIds.length === 1 ? '' : 's'} on ${r.clusterName} (${r.method === 'host-vss-csv' ? 'host VSS per CSV' : 'recovery checkpoints + RCT'})${r.dryRunRequested ? ', with dry run' : ''}`,
  );
  const order = { error: 0, warning: 1, info: 2 } as const;
  const shown = r.results
    .filter((x) => all || x.status === 'fail' || x.status === 'unknown')
    .sort(
      (a, b) =>
        (a.status === 'fail' ? order[a.severity ?? 'info'] : 3) -
        (b.status === 'fail' ? order[b.severity ?? 'info'] : 3),
    );
  for (const x of shown) {
    const tag = x.status === 'fail' ? (x.severity ?? 'info').toUpperCase() : x.status.toUpperCase();
    io.log(`\n${tag.padEnd(8)} ${x.target.name}: ${x.ruleTitle}`);
    io.log(`         ${x.message}`);
    for (const e of x.evidence) io.log(`         · ${e}`);
    if (x.fix) io.log(`         fix: ${x.fix}`);
  }
  const s = r.summary;
  io.log(
    `\n${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.infos} info, ${s.passed} passed, ${s.unknown} unknown, ${s.notApplicable} not applicable.${r.blocked ? ' Blocked: fix the errors before the window.' : ''}`,
  );
}

export async function preflightCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      lab: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'change-rate': { type: 'string' },
      window: { type: 'string' },
      all: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.log(
      'hvbc preflight [<vm…>] [--dry-run] [--change-rate %/h] [--window HOURS] [--all] [--lab PATH] [--json]\n' +
        '  Checks before a backup window, each with evidence and a fix. --dry-run takes and removes a production\n' +
        '  checkpoint with fallback off on each running VM. Exit code 1 when an error would block the backup.',
    );
    return 0;
  }
  return withServices(values.lab, undefined, async (s) => {
    const report = await runPreflightLive(
      s.provider,
      positionals.length > 0 ? positionals : undefined,
      {
        dryRun: values['dry-run'] ?? false,
        ...(values['change-rate']
          ? { changeRatePercent: num('change-rate', values['change-rate']) }
          : {}),
        ...(values.window ? { windowHours: num('window', values.window) } : {}),
        activeTaskIds: s.tasks.activeIds(),
        ...(values.json || !io.isTTY ? {} : { onProgress: (m: string) => io.error(m) }),
      },
    );
    if (values.json) io.log(JSON.stringify(report, null, 2));
    else printPreflight(report, io, values.all ?? false);
    return report.blocked ? 1 : 0;
  });
}

export function printDoctor(report: DoctorReport, io: CliIO): void {
  io.log(
    `Checkpoint doctor on ${report.clusterName}: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}, ${report.chainsChecked} chain${report.chainsChecked === 1 ? '' : 's'} checked.`,
  );
  for (const f of report.findings) {
    io.log(
      `\n${f.severity.toUpperCase().padEnd(8)} ${f.kind}${f.vmName ? ` (${f.vmName})` : ''}  [${f.id}]`,
    );
    io.log(`         ${f.message}`);
    for (const e of f.evidence) io.log(`         · ${e}`);
    io.log(`         ${f.repairable ? 'repair' : 'advice'}: ${f.proposal}`);
  }
  for (const n of report.notes) io.log(`\nNote: ${n}`);
}

export function printRepair(plan: RepairPlan, log: RepairLog, io: CliIO): void {
  io.log(
    log.dryRun
      ? '\nDry run: the repair would take these steps, in this order (nothing was changed):'
      : '\nRepair log:',
  );
  for (const e of log.entries) {
    const step = plan.steps.find((s) => s.id === e.stepId);
    io.log(`  ${String(step?.order ?? '?').padStart(2)}. [${e.status}] ${e.message}`);
    if (log.dryRun && step) io.log(`      safety: ${step.safety}`);
  }
  for (const r of plan.refused) io.log(`  refused ${r.findingId}: ${r.reason}`);
  if (plan.steps.length === 0) io.log('  Nothing to repair.');
  const s = log.summary;
  if (!log.dryRun) io.log(`${s.done} done, ${s.skipped} skipped, ${s.failed} failed.`);
}

export async function doctorCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      lab: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
      repair: { type: 'boolean' },
      yes: { type: 'boolean' },
      only: { type: 'string' },
      'min-age': { type: 'string' },
    },
  });
  if (values.help) {
    io.log(
      'hvbc doctor [--repair [--yes]] [--only ID,ID] [--min-age MINUTES] [--lab PATH] [--json]\n' +
        '  Finds orphaned .avhdx files, recovery checkpoints no job owns, broken chains and stuck merges.\n' +
        '  --repair shows the safe repair steps (a dry run); --repair --yes carries them out and logs what was done.',
    );
    return 0;
  }
  return withServices(values.lab, undefined, async (s) => {
    const running = s.tasks.activeIds();
    const minAge = values['min-age'] !== undefined ? Number(values['min-age']) : undefined;
    const { inv, report } = await scanLive(s.provider, {
      activeTaskIds: running,
      ...(minAge !== undefined && Number.isFinite(minAge) ? { minOrphanAgeMinutes: minAge } : {}),
    });
    if (!values.repair) {
      if (values.json) io.log(JSON.stringify(report, null, 2));
      else printDoctor(report, io);
      return 0;
    }
    const plan = planRepair(inv, report, list(values.only));
    const dryRun = values.yes !== true;
    const log = await repair(s.provider, plan, { dryRun, activeTaskIds: running });
    const file = dryRun ? undefined : await recordRepair(s.dataDir, { plan, log });
    if (values.json)
      io.log(JSON.stringify({ report, plan, log, ...(file ? { logFile: file } : {}) }, null, 2));
    else {
      printDoctor(report, io);
      printRepair(plan, log, io);
      if (dryRun && plan.steps.length > 0)
        io.log('\nRun again with --repair --yes to carry these steps out.');
      if (file) io.log(`Log kept in ${file}`);
    }
    return log.summary.failed > 0 ? 1 : 0;
  });
}
