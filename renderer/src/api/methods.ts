// Typing for every method the console calls: the registered contract, plus methods declared but maybe not yet registered.
import type { z } from 'zod';
import type { MethodName, ParamsOf, ResultOf } from '../../../shared/contract';
import type { MethodDef } from '../../../shared/contract/define';
import type { drillMethods } from '../../../shared/contract/drills';
import type { plannerMethods } from '../../../shared/contract/planner';

type DefParams<D> = D extends MethodDef<infer P, unknown> ? z.input<P> : never;
type DefResult<D> = D extends MethodDef<z.ZodType, infer R> ? R : never;
type FromDefs<M> = { [K in keyof M]: { params: DefParams<M[K]>; result: DefResult<M[K]> } };

/**
 * Methods the UI uses whose handlers may not be registered in shared/contract/index.ts yet. Once they are, the
 * contract's own types take over (see ParamsFor/ResultFor); until then a call answers NOT_FOUND "Unknown method"
 * and the UI says so. Shapes come from shared/contract/planner.ts and shared/contract/drills.ts.
 */
export type PendingMethods = FromDefs<typeof drillMethods> & FromDefs<typeof plannerMethods>;

export type AnyMethod = MethodName | keyof PendingMethods;
export type ParamsFor<K extends AnyMethod> = K extends MethodName
  ? ParamsOf<K>
  : K extends keyof PendingMethods
    ? PendingMethods[K]['params']
    : never;
export type ResultFor<K extends AnyMethod> = K extends MethodName
  ? ResultOf<K>
  : K extends keyof PendingMethods
    ? PendingMethods[K]['result']
    : never;
