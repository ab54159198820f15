// Handlers for the planner, pre-flight and doctor methods (the lead merges them into the handler table).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { plannerMethods } from '../../../shared/contract/planner';
import { HvbcError } from '../../../shared/errors';
import {
  analyzeGraph,
  applyRecommendationLive,
  planBackup,
  planRepair,
  recommend,
  repair,
  runPreflightLive,
  scanLive,
  type MoveCapabilities,
} from '../planner';
import type { Services } from '../services';
import type { HandlerSlice } from './types';

type PM = typeof plannerMethods;
/** The same shape as HandlerSlice<PM>, typed from the planner methods alone (so it type-checks before and after the merge). */
export type PlannerHandlers = {
  [K in keyof PM]: (params: z.input<PM[K]['params']>) => Promise<PM[K]['result']>;
};

/** The slice for the handler table. */
export function plannerHandlers(s: Services): HandlerSlice<PM> {
  return plannerHandlerMap(s);
}

/** The planner handlers with their own types (for callers that do not go through the merged table). */
export function plannerHandlerMap(s: Services): PlannerHandlers {
  return {
    'planner.analyze': async () => analyzeGraph(await s.provider.inventory()),
    'planner.plan': async (p) => planBackup(await s.provider.inventory(), p),
    'planner.recommend': async () => recommend(await s.provider.inventory()),
    'planner.apply': async (p) => {
      const rec = recommend(await s.provider.inventory()).recommendations.find(
        (r) => r.id === p.recommendationId,
      );
      if (!rec)
        throw new HvbcError(
          'NOT_FOUND',
          `No current recommendation ${p.recommendationId}: the estate changed since it was computed. Ask for recommendations again.`,
        );
      return applyRecommendationLive(s.provider as typeof s.provider & MoveCapabilities, rec, {
        confirmed: p.confirmed,
      });
    },
    'preflight.run': (p) =>
      runPreflightLive(s.provider, p.vmIds, {
        ...(p.dryRun !== undefined ? { dryRun: p.dryRun } : {}),
        ...(p.changeRatePercent !== undefined ? { changeRatePercent: p.changeRatePercent } : {}),
        ...(p.windowHours !== undefined ? { windowHours: p.windowHours } : {}),
        activeTaskIds: s.tasks.activeIds(),
      }),
    'doctor.scan': async (p) =>
      (await scanLive(s.provider, { ...p, activeTaskIds: s.tasks.activeIds() })).report,
    'doctor.repair': async (p) => {
      const running = s.tasks.activeIds();
      const { inv, report } = await scanLive(s.provider, { activeTaskIds: running });
      const plan = planRepair(inv, report, p.findingIds);
      const log = await repair(s.provider, plan, { dryRun: p.dryRun, activeTaskIds: running });
      if (!p.dryRun) await recordRepair(s.dataDir, { plan, log });
      return { plan, log };
    },
  };
}

/** Keep what the doctor did: one JSON file per repair under <data>/doctor/. */
export async function recordRepair(
  dataDir: string,
  entry: { plan: unknown; log: { startedAt: string } },
): Promise<string> {
  const dir = path.join(dataDir, 'doctor');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `repair-${entry.log.startedAt.replace(/[:.]/g, '-')}.json`);
  await fs.writeFile(file, `${JSON.stringify(entry, null, 2)}\n`, { flag: 'wx' });
  return file;
}
