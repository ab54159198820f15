// The one handler table for the contract, plus dispatch: validate params, run, return errors as data.
import { HvbcError, toErrorData, type Result } from '../../../shared/errors';
import { isMethodName, methods } from '../../../shared/contract';
import type { Services } from '../services';
import { backupHandlers } from './backup';
import { drillHandlers } from './drills';
import { estateHandlers, taskHandlers } from './estate';
import { plannerHandlers } from './planner';
import type { Handlers } from './types';

export type { Handlers } from './types';

export function createHandlers(s: Services): Handlers {
  return {
    ...estateHandlers(s),
    ...taskHandlers(s),
    ...backupHandlers(s),
    ...drillHandlers(s),
    ...plannerHandlers(s),
  };
}

/** Validate and run one call; never throws: every failure comes back as { ok: false, error }. */
export async function dispatch(
  handlers: Handlers,
  method: string,
  rawParams: unknown,
): Promise<Result<unknown>> {
  try {
    if (!isMethodName(method)) {
      throw new HvbcError(
        'NOT_FOUND',
        `Unknown method "${method}". See the contract in shared/contract.`,
      );
    }
    const parsed = methods[method].params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.join('.') || '(params)'}: ${i.message}`,
      );
      throw new HvbcError('VALIDATION', `Invalid arguments for ${method}: ${problems.join('; ')}`, {
        problems,
      });
    }
    const handler = handlers[method] as (p: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parsed.data) };
  } catch (e) {
    return { ok: false, error: toErrorData(e) };
  }
}
