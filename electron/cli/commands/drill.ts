// `hvbc drill`, `hvbc policy`, `hvbc run-due` and `hvbc service`: restore drills and scheduled policies.
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { BackupPolicy, DrillRequest, type DrillRecord } from '../../../shared/drills';
import { HvbcError } from '../../../shared/errors';
import { startDrill } from '../../services/drills/operations';
import { drillReportHtml, trendOf } from '../../services/drills/report';
import { createServices } from '../../services/services';
import type { CliIO } from '../io';
import { commonOptions, withServices } from '../with-services';
import { exitCodeOf, followTask } from '../task-progress';

const common = commonOptions;

export async function drillCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...common,
      point: { type: 'string', multiple: true },
      'custom-check': { type: 'string' },
      'keep-sandbox': { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const [first, ...rest] = positionals;
  if (values.help || !first) {
    io.log(
      'hvbc drill <vm…> [--point VM=POINT …] [--custom-check "CMD"] [--keep-sandbox] [--json]\nhvbc drill list [--json]\nhvbc drill report <drill-id> --out FILE.html\nhvbc drill verify   (check the hash chain over every drill record)',
    );
    return values.help ? 0 : 2;
  }
  return withServices(values.lab, values.repo, async (s) => {
    if (first === 'verify') {
      const r = await s.drills.verify();
      io.log(
        values.json
          ? JSON.stringify(r)
          : r.ok
            ? `Hash chain intact over ${r.records} drill records.`
            : `HASH CHAIN BROKEN at ${r.brokenAt}: ${r.reason}`,
      );
      return r.ok ? 0 : 1;
    }
    if (first === 'list') {
      const all = await s.drills.list();
      if (values.json) io.log(JSON.stringify(all, null, 2));
      else
        for (const d of all)
          io.log(
            `${d.id}  ${d.startedAt}  ${d.status.padEnd(6)} ${d.vms.map((v) => `${v.vmName} ${v.recoverySeconds?.toFixed(1) ?? '–'} s${v.rtoMet === false ? ' (RTO MISSED)' : ''}`).join(', ')}${d.failure ? ` — ${d.failure}` : ''}`,
          );
      return 0;
    }
    if (first === 'report') {
      const all = await s.drills.list();
      const rec = all.find((d) => d.id === rest[0] || d.id.startsWith(rest[0] ?? '\u0000'));
      if (!rec)
        throw new HvbcError('NOT_FOUND', `No drill "${rest[0] ?? ''}". See "hvbc drill list".`);
      const r = drillReportHtml(rec, trendOf(all));
      const out = values.out ?? r.fileName;
      await fs.writeFile(out, r.html);
      io.log(`Wrote ${out}`);
      return 0;
    }
    const pointIds: Record<string, string> = {};
    const inv = await s.provider.inventory();
    for (const p of values.point ?? []) {
      const [vm, id] = p.split('=');
      const found = inv.vms.find((v) => v.name.toLowerCase() === vm?.toLowerCase() || v.id === vm);
      if (!found || !id) throw new HvbcError('VALIDATION', `--point takes VM=POINT, got "${p}".`);
      pointIds[found.id] = id;
    }
    const vmIds = positionals.map(
      (n) => inv.vms.find((v) => v.name.toLowerCase() === n.toLowerCase() || v.id === n)?.id ?? n,
    );
    const req = DrillRequest.parse({
      vmIds,
      pointIds,
      ...(values['custom-check'] ? { customCheck: values['custom-check'] } : {}),
      keepSandbox: values['keep-sandbox'] ?? false,
      trigger: 'cli',
    });
    const done = await followTask(s, await startDrill(s, req), io, values.json ?? false);
    const rec = done.result as DrillRecord | undefined;
    if (values.json)
      io.log(JSON.stringify({ state: done.state, error: done.error, result: rec }, null, 2));
    else if (rec) {
      io.log(
        `Drill ${rec.id}: ${rec.status.toUpperCase()}${rec.failure ? ` — ${rec.failure}` : ''}`,
      );
      for (const st of rec.steps)
        io.log(`  ${st.status.padEnd(7)} ${st.title}${st.reason ? ` — ${st.reason}` : ''}`);
      for (const v of rec.vms)
        io.log(
          `  ${v.vmName}: recovered in ${v.recoverySeconds?.toFixed(1) ?? '–'} s; target ${v.rtoSeconds ?? 'none'}${v.rtoMet === false ? ' — MISSED' : ''}`,
        );
    } else io.error(`Drill ${done.state}: ${done.error?.message ?? ''}`);
    return exitCodeOf(done);
  });
}

export async function policyCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...common, file: { type: 'string' } },
  });
  if (!sub || values.help || !['list', 'add', 'remove', 'run', 'runs'].includes(sub)) {
    io.log(
      'hvbc policy list\nhvbc policy add --file POLICY.json   (see shared/drills.ts BackupPolicy)\nhvbc policy remove <id>\nhvbc policy run <id>\nhvbc policy runs [<id>]',
    );
    return values.help ? 0 : 2;
  }
  return withServices(values.lab, values.repo, async (s) => {
    if (sub === 'list') {
      const st = await s.scheduler.status();
      if (values.json) io.log(JSON.stringify(st, null, 2));
      else
        for (const p of st)
          io.log(
            `${p.policy.id.padEnd(16)} ${p.policy.enabled ? 'on ' : 'off'} ${p.policy.schedule.cron.padEnd(16)} next ${p.nextRun ?? '–'}  last ${p.lastRun ? `${p.lastRun.status} ${p.lastRun.slot}` : '–'}`,
          );
      return 0;
    }
    if (sub === 'add') {
      if (!values.file) throw new HvbcError('VALIDATION', 'Give the policy as JSON with --file.');
      const parsed = BackupPolicy.safeParse(JSON.parse(await fs.readFile(values.file, 'utf8')));
      if (!parsed.success)
        throw new HvbcError(
          'VALIDATION',
          `${values.file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      await s.policies.save(parsed.data, new Date());
      io.log(`Saved policy ${parsed.data.id}.`);
      return 0;
    }
    if (sub === 'remove') {
      const ok = await s.policies.remove(positionals[0] ?? '');
      io.log(ok ? 'Removed.' : `No policy "${positionals[0] ?? ''}".`);
      return ok ? 0 : 1;
    }
    if (sub === 'runs') {
      const runs = await s.policies.runs(positionals[0]);
      io.log(
        values.json
          ? JSON.stringify(runs, null, 2)
          : runs
              .map((r) => `${r.slot}  ${r.policyId.padEnd(16)} ${r.status.padEnd(15)} ${r.message}`)
              .join('\n'),
      );
      return 0;
    }
    const policy = (await s.policies.list()).find((p) => p.id === positionals[0]);
    if (!policy) throw new HvbcError('NOT_FOUND', `No policy "${positionals[0] ?? ''}".`);
    await s.scheduler.runNow(policy);
    await s.scheduler.idle();
    const runs = await s.policies.runs(policy.id);
    const last = runs[runs.length - 1];
    io.log(
      values.json
        ? JSON.stringify(last)
        : `${policy.id}: ${last?.status ?? '?'} — ${last?.message ?? ''}`,
    );
    return last?.status === 'succeeded' ? 0 : 1;
  });
}

/** `hvbc run-due`: one scheduler pass (for Windows Task Scheduler), waiting for the runs it starts. */
export async function runDueCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: common });
  if (values.help) {
    io.log(
      'hvbc run-due [--lab PATH] [--json]\n  Run every policy that is due now; report missed slots. Schedule it every few minutes.',
    );
    return 0;
  }
  return withServices(values.lab, values.repo, async (s) => {
    const started = await s.scheduler.tick();
    await s.scheduler.idle();
    const runs = await s.policies.runs();
    const mine = runs.filter((r) =>
      started.some((x) => x.policyId === r.policyId && x.slot === r.slot),
    );
    io.log(
      values.json
        ? JSON.stringify(mine, null, 2)
        : mine.length
          ? mine.map((r) => `${r.policyId}: ${r.status} (${r.slot}) ${r.message}`).join('\n')
          : 'Nothing was due.',
    );
    return mine.some((r) => r.status === 'failed' || r.status === 'partial') ? 1 : 0;
  });
}

/** `hvbc service`: a headless service host that runs due policies until stopped. */
export async function serviceCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...common, interval: { type: 'string' } },
  });
  if (values.help) {
    io.log(
      'hvbc service [--lab PATH] [--interval SECONDS]\n  Run backup policies on schedule without the console window (Ctrl-C or SIGTERM stops after running jobs end).',
    );
    return 0;
  }
  const s = await createServices(values.lab ? { labDir: values.lab } : {});
  s.scheduler.start(Number(values.interval ?? 30) * 1000);
  s.onEvent((event, payload) => {
    if (event === 'notification')
      io.error(
        `[notice] ${(payload as { title: string }).title}: ${(payload as { body: string }).body}`,
      );
  });
  io.log(`hvbc service: running policies for the lab at ${s.labDir}. Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await s.close();
  return 0;
}
