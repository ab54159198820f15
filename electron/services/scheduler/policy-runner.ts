// Runs one backup policy: select its VMs, back up, verify, apply retention, optionally drill, notify on trouble.
import type { BackupRunResult } from '../../../shared/backup';
import { BackupRequest } from '../../../shared/backup';
import type { BackupPolicy, DrillRecord, PolicyRun } from '../../../shared/drills';
import { DrillRequest, selectPolicyVms } from '../../../shared/drills';
import { HvbcError } from '../../../shared/errors';
import { startDrill } from '../drills/operations';
import { startBackup } from '../engine/operations';
import { selectRetention } from '../repository/retention';
import type { Services } from '../services';

export async function runPolicy(
  s: Services,
  p: BackupPolicy,
  slot: string,
  onStart: (taskId: string) => Promise<void>,
): Promise<PolicyRun> {
  const run: PolicyRun = {
    policyId: p.id,
    slot,
    startedAt: new Date().toISOString(),
    endedAt: null,
    status: 'running',
    taskId: null,
    drillId: null,
    message: '',
  };
  const finish = (status: PolicyRun['status'], message: string) =>
    Object.assign(run, { status, message, endedAt: new Date().toISOString() });
  try {
    const vmIds = selectPolicyVms(await s.provider.inventory(), p.select).map((vm) => vm.id);
    if (vmIds.length === 0)
      throw new HvbcError(
        'VALIDATION',
        `Policy "${p.name}" selects no VM: check its names, tags, CSVs and nodes.`,
      );
    let drillVms = vmIds;
    if (p.kind === 'backup') {
      const rec = await startBackup(
        s,
        BackupRequest.parse({
          vmIds,
          consistency: p.consistency,
          requireConsistency: p.requireConsistency,
          trigger: `policy:${p.id}`,
        }),
      );
      run.taskId = rec.id;
      await onStart(rec.id);
      const done = await s.tasks.wait(rec.id);
      const result = done.result as BackupRunResult | undefined;
      const ok = (result?.vms ?? []).filter((v) => v.status === 'succeeded' && v.pointId);
      // Retention only after the new point is written and reads back: a failed run never deletes a good copy.
      const repo = await s.repos.get();
      let removed = 0;
      for (const v of ok) {
        await repo.getPoint(v.pointId ?? '');
        const points = await repo.listPoints({ vmId: v.vmId });
        const sel = selectRetention(
          points.map((x) => ({ id: x.id, time: x.time })),
          p.retention,
        );
        for (const id of sel.remove) {
          if (id === v.pointId) continue;
          await repo.deletePoint(id);
          removed++;
        }
      }
      drillVms = ok.map((v) => v.vmId);
      if (done.state !== 'succeeded') {
        finish(ok.length ? 'partial' : 'failed', done.error?.message ?? done.state);
        await s.notifier.notify(
          {
            level: 'error',
            title: `Backup policy "${p.name}" ${run.status === 'partial' ? 'partly failed' : 'failed'}`,
            body: run.message,
            ref: { policyId: p.id, taskId: rec.id },
          },
          p.webhook,
        );
        return run;
      }
      run.message = `${ok.length} VMs backed up; retention removed ${removed} points.`;
      if (!p.drillAfter) return finish('succeeded', run.message);
    }
    const drill = await startDrill(
      s,
      DrillRequest.parse({ vmIds: drillVms, trigger: `policy:${p.id}` }),
      p.webhook,
    );
    if (p.kind === 'drill') {
      run.taskId = drill.id;
      await onStart(drill.id);
    }
    const d = await s.tasks.wait(drill.id);
    run.drillId = (d.result as DrillRecord | undefined)?.id ?? null;
    if (d.state !== 'succeeded')
      return finish('failed', `${run.message} Drill failed: ${d.error?.message ?? d.state}`.trim());
    return finish('succeeded', `${run.message} Drill passed.`.trim());
  } catch (e) {
    finish('failed', (e as Error).message);
    await s.notifier.notify(
      {
        level: 'error',
        title: `Backup policy "${p.name}" could not run`,
        body: run.message,
        ref: { policyId: p.id },
      },
      p.webhook,
    );
    return run;
  }
}
