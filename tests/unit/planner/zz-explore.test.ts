import { it } from 'vitest';
import { planBackup } from '../../../electron/services/planner/plan';
import { defaultScenario } from '../../../electron/services/providers/lab/scenarios';
import { inventoryOf } from './helpers';
it('x', () => {
  const inv = inventoryOf(defaultScenario('2019'));
  const p = planBackup(inv, { maxPerCsv: 2, maxPerNode: 3, incremental: true });
  console.log(p.totals, p.notes, p.constraints, p.jobs.map(j => `${j.label} w${j.wave} ${j.startSeconds}-${j.endSeconds} ${j.runKind} waits:${j.waits.map(w=>w.message).join(' | ')}`).join('\n'));
});
