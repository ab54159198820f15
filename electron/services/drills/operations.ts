// Starts a drill as a task: run it, seal its record into the hash chain, notify on failure or a missed target.
import type { DrillRecord, DrillRequest } from '../../../shared/drills';
import { HvbcError } from '../../../shared/errors';
import type { TaskRecord } from '../../../shared/tasks';
import { onRepo, recordWhenDone } from '../engine/operations';
import type { Services } from '../services';
import { runDrill } from './drill';

export async function startDrill(
  s: Services,
  req: DrillRequest,
  webhook?: string,
): Promise<TaskRecord> {
  const repo = await s.repos.get();
  const inv = await s.provider.inventory();
  const names = req.vmIds.map(
    (id) =>
      inv.vms.find((v) => v.id === id || v.name.toLowerCase() === id.toLowerCase())?.name ?? id,
  );
  const rec = s.tasks.start('drill', `Restore drill: ${names.join(' → ')}`, async (ctx) => {
    const body = await onRepo(s, repo, ctx, () =>
      runDrill(
        { provider: s.provider, repo, dataDir: s.dataDir, makeSandbox: s.makeSandbox },
        req,
        ctx,
      ),
    );
    const sealed = await s.drills.append(body);
    const missed = sealed.vms.filter((v) => v.rtoMet === false);
    if (sealed.status === 'failed') {
      await s.notifier.notify(
        {
          level: 'error',
          title: 'Restore drill failed',
          body: sealed.failure ?? 'A verification step failed.',
          ref: { drillId: sealed.id },
        },
        webhook,
      );
      throw Object.assign(
        new HvbcError('DRILL_FAILED', sealed.failure ?? 'The drill failed.', {
          drillId: sealed.id,
        }),
        { partialResult: sealed },
      );
    }
    if (missed.length) {
      await s.notifier.notify(
        {
          level: 'warning',
          title: 'Restore drill missed its recovery-time target',
          body: missed
            .map((m) => `${m.vmName}: ${m.recoverySeconds?.toFixed(1)} s against ${m.rtoSeconds} s`)
            .join('; '),
          ref: { drillId: sealed.id },
        },
        webhook,
      );
    }
    return sealed;
  });
  return recordWhenDone(s, rec, req.vmIds, (t) => ({
    summary: (t.result as DrillRecord | undefined)?.status ?? t.state,
  }));
}
