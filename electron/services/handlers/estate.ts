// Handlers for estate and task methods.
import type { estateMethods } from '../../../shared/contract/estate';
import type { taskMethods } from '../../../shared/contract/tasks';
import type { Services } from '../services';
import type { HandlerSlice } from './types';

export function estateHandlers(s: Services): HandlerSlice<typeof estateMethods> {
  return {
    'estate.inventory': () => s.provider.inventory(),
    'estate.events': (p) => s.provider.events(p),
  };
}

export function taskHandlers(s: Services): HandlerSlice<typeof taskMethods> {
  return {
    'tasks.list': async () => s.tasks.list(),
    'tasks.get': async (p) => s.tasks.get(p.id),
    'tasks.cancel': async (p) => s.tasks.cancel(p.id),
  };
}
