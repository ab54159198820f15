// Handlers for restore drills, drill reports, backup policies and their runs.
import type { drillMethods } from '../../../shared/contract/drills';
import { HvbcError } from '../../../shared/errors';
import { startDrill } from '../drills/operations';
import { drillReportHtml, trendOf } from '../drills/report';
import { parseCron } from '../scheduler/cron';
import type { Services } from '../services';
import type { HandlerSlice } from './types';

export function drillHandlers(s: Services): HandlerSlice<typeof drillMethods> {
  return {
    'drills.start': (p) => startDrill(s, p),
    'drills.list': async (p) =>
      (await s.drills.list()).filter((r) => !p.vmId || r.vms.some((v) => v.vmId === p.vmId)),
    'drills.trend': async (p) => trendOf(await s.drills.list(), p.vmId),
    'drills.report': async (p) => {
      const all = await s.drills.list();
      const rec = all.find((r) => r.id === p.drillId);
      if (!rec) throw new HvbcError('NOT_FOUND', `No drill ${p.drillId}.`);
      return drillReportHtml(rec, trendOf(all));
    },
    'drills.verifyChain': () => s.drills.verify(),
    'policies.list': () => s.scheduler.status(),
    'policies.save': async (p) => {
      parseCron(p.schedule.cron);
      await s.policies.save(p, new Date());
      const st = (await s.scheduler.status()).find((x) => x.policy.id === p.id);
      if (!st) throw new HvbcError('INTERNAL', 'The policy was saved but cannot be read back.');
      return st;
    },
    'policies.delete': async (p) => ({ deleted: await s.policies.remove(p.id) }),
    'policies.runNow': async (p) => {
      const policy = (await s.policies.list()).find((x) => x.id === p.id);
      if (!policy) throw new HvbcError('NOT_FOUND', `No policy "${p.id}".`);
      return s.scheduler.runNow(policy);
    },
    'policies.runs': (p) => s.policies.runs(p.policyId, p.limit),
  };
}
