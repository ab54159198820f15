// Contract methods for the estate: inventory and Hyper-V events.
import { z } from 'zod';
import type { HyperVEvent, Inventory } from '../model';
import { method, NoParams } from './define';

export const estateMethods = {
  'estate.inventory': method<Inventory>()(
    NoParams,
    'The whole estate: cluster, nodes, CSVs, VMs, disks and checkpoints.',
  ),
  'estate.events': method<HyperVEvent[]>()(
    z.object({
      vmId: z.string().optional(),
      sinceSeq: z.number().int().nonnegative().optional(),
      taskId: z.string().optional(),
      limit: z.number().int().positive().max(10_000).optional(),
    }),
    'Hyper-V events raised in the estate, newest last.',
  ),
};
