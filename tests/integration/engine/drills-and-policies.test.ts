import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupRequest } from '../../../shared/backup';
import { BackupPolicy, DrillRequest, type DrillRecord } from '../../../shared/drills';
import { startDrill } from '../../../electron/services/drills/operations';
import { drillReportHtml, trendOf } from '../../../electron/services/drills/report';
import { startBackup } from '../../../electron/services/engine/operations';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { createServices, type Services } from '../../../electron/services/services';
import { tempDir } from '../../helpers/tmp';

describe('restore drills and scheduled policies on the lab', () => {
  const tmp = tempDir();
  let s: Services;
  let clock = new Date('2026-11-23T21:50:00');
  const webhooks: Array<{ url: string; body: { title: string } }> = [];
  const notices: string[] = [];
  const id = async (n: string) =>
    (await s.provider.inventory()).vms.find((v) => v.name === n)?.id ?? n;
  const drill = async (names: string[], extra: Partial<DrillRequest> = {}) => {
    const t = await s.tasks.wait(
      (
        await startDrill(
          s,
          DrillRequest.parse({ vmIds: await Promise.all(names.map(id)), ...extra }),
        )
      ).id,
    );
    return { task: t, rec: t.result as DrillRecord };
  };

  beforeAll(async () => {
    s = await createServices({
      dataDir: tmp.dir,
      now: () => clock,
      fetch: (async (url: string, init: { body: string }) => {
        webhooks.push({ url, body: JSON.parse(init.body) });
        return new Response('ok');
      }) as unknown as typeof fetch,
    });
    s.onEvent((e, p) => e === 'notification' && notices.push((p as { title: string }).title));
    for (const n of ['DC01', 'APP01'])
      await s.tasks.wait((await startBackup(s, BackupRequest.parse({ vmIds: [await id(n)] }))).id);
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('a drill of a healthy VM passes every step with a measured recovery time, and never touches production', async () => {
    const before = JSON.stringify(
      (await s.provider.inventory()).vms.find((v) => v.name === 'DC01'),
    );
    const { task, rec } = await drill(['DC01']);
    expect(task.state).toBe('succeeded');
    expect(rec.status).toBe('passed');
    expect(rec.steps.map((x) => [x.id, x.status])).toEqual([
      ['data-integrity', 'passed'],
      ['restore', 'passed'],
      ['vhdx-structure', 'passed'],
      ['content-match', 'passed'],
      ['config-import', 'passed'],
      ['boot-heartbeat', 'passed'],
    ]);
    const vm = rec.vms[0];
    expect(vm?.recoverySeconds).toBeGreaterThan(0);
    expect(vm?.rtoSeconds).toBe(600);
    expect(vm?.rtoMet).toBe(true);
    expect(vm?.sandboxVmId).not.toBe(vm?.vmId);
    expect(rec.sandbox.tornDown).toBe(true);
    const content = rec.steps.find((x) => x.id === 'content-match');
    expect(JSON.stringify(content?.evidence)).toContain("the lab's model");
    await expect(fs.access(rec.sandbox.folder)).rejects.toThrow();
    const after = (await s.provider.inventory()).vms.find((v) => v.name === 'DC01');
    expect(JSON.stringify(after)).toBe(before);
  });

  it('fails at the right step when the lab fails the heartbeat', async () => {
    const lab = s.provider as LabProvider;
    await lab.setFault(await id('APP01'), 'heartbeat-fails', true);
    const { task, rec } = await drill(['APP01']);
    await lab.setFault(await id('APP01'), 'heartbeat-fails', false);
    expect(task.state).toBe('failed');
    expect(task.error?.code).toBe('DRILL_FAILED');
    expect(rec.status).toBe('failed');
    const failed = rec.steps.find((x) => x.status === 'failed');
    expect(failed?.id).toBe('boot-heartbeat');
    expect(failed?.reason).toMatch(/heartbeat/);
    expect(rec.failure).toMatch(/APP01/);
    expect(notices).toContain('Restore drill failed');
  });

  it('fails at data integrity when a chunk of the restore point is corrupted', async () => {
    const repoDir = s.repos.path;
    const packs = (await fs.readdir(path.join(repoDir, 'packs'), { recursive: true })).filter(
      (f) => !f.endsWith('/'),
    ) as string[];
    const files = [];
    for (const p of packs) {
      const st = await fs.stat(path.join(repoDir, 'packs', p));
      if (st.isFile()) files.push({ p, size: st.size });
    }
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const full = path.join(repoDir, 'packs', f.p);
      const buf = await fs.readFile(full);
      for (let i = 64; i < buf.length; i += 4096) buf[i] = (buf[i] ?? 0) ^ 0xff;
      await fs.writeFile(full, buf);
    }
    const { task, rec } = await drill(['DC01']);
    expect(task.state).toBe('failed');
    const failed = rec.steps.find((x) => x.status === 'failed');
    expect(failed?.id).toBe('data-integrity');
    expect(failed?.reason).toMatch(/REPO_CORRUPT|corrupt/i);
    expect(rec.steps.filter((x) => x.status === 'skipped').length).toBeGreaterThan(0);
  });

  it('seals every drill into a hash chain that detects an edited report record', async () => {
    expect(await s.drills.verify()).toMatchObject({ ok: true, records: 3 });
    const all = await s.drills.list();
    const report = drillReportHtml(all[0] as DrillRecord, trendOf(all));
    expect(report.html).toContain('PASSED');
    expect(report.html).toContain((all[0] as DrillRecord).hash);
    const file = path.join(tmp.dir, 'drills', 'records.jsonl');
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    const edited = JSON.parse(lines[1] ?? '{}') as DrillRecord;
    edited.status = 'passed';
    delete edited.failure;
    lines[1] = JSON.stringify(edited);
    await fs.writeFile(file, `${lines.join('\n')}\n`);
    expect(await s.drills.verify()).toMatchObject({ ok: false, brokenAt: edited.id });
  });

  it('records finished backups and drills in the job history with their figures', async () => {
    const history = await s.history.list();
    const backups = history.filter((h) => h.kind === 'backup' && h.status === 'succeeded');
    expect(backups.length).toBeGreaterThanOrEqual(2);
    expect(backups.every((h) => h.bytesRead > 0 && h.logicalBytes > 0)).toBe(true);
    const drills = history.filter((h) => h.kind === 'drill');
    expect(drills.map((h) => h.summary)).toEqual(expect.arrayContaining(['passed', 'failed']));
  });

  it('fires a scheduled policy on a test clock, reports a missed slot, and never overlaps runs', async () => {
    await fs.rm(path.join(tmp.dir, 'drills'), { recursive: true, force: true });
    const policy = BackupPolicy.parse({
      id: 'nightly-web',
      name: 'Nightly web',
      select: { names: ['WEB01'] },
      schedule: { cron: '0 22 * * *', windowMinutes: 60 },
      retention: { keepLast: 2 },
      webhook: 'http://127.0.0.1:9/hook',
    });
    await s.policies.save(policy, clock);
    expect(await s.scheduler.tick()).toEqual([]); // 21:50: nothing due
    clock = new Date('2026-11-23T22:01:00');
    const runs = await s.scheduler.tick();
    expect(runs.map((r) => r.status)).toEqual(['running']);
    // A second tick while it runs: the slot is already handled, nothing new starts.
    expect(await s.scheduler.tick()).toEqual([]);
    await expect(s.scheduler.runNow(policy)).rejects.toMatchObject({ code: 'CONFLICT' });
    await s.scheduler.idle();
    const done = (await s.policies.runs('nightly-web')).at(-1);
    expect(done?.status).toBe('succeeded');
    expect(done?.taskId).toBeTruthy();
    expect((await (await s.repos.get()).listPoints({ vmId: await id('WEB01') })).length).toBe(1);

    // The service was down for two nights: both slots are reported missed, never silently skipped.
    clock = new Date('2026-11-26T09:00:00');
    const later = await s.scheduler.tick();
    expect(later.map((r) => r.status)).toEqual(['missed', 'missed']);
    expect(
      webhooks.filter((w) => w.url === 'http://127.0.0.1:9/hook').map((w) => w.body.title),
    ).toEqual([
      'Backup policy "Nightly web" missed its run',
      'Backup policy "Nightly web" missed its run',
    ]);
    const st = (await s.scheduler.status()).find((p) => p.policy.id === 'nightly-web');
    expect(st?.nextRun).toBe(new Date('2026-11-26T22:00:00').toISOString());
  });
});
