// Typing for every method the console calls: the registered contract, plus methods declared but maybe not yet registered.
import type { z } from 'zod';
import type { MethodName, ParamsOf, ResultOf } from '../../../shared/contract';
import type { MethodDef } from '../../../shared/contract/define';
import type { drillMethods } from '../../../shared/contract/drills';
import type {
  BackupPlan,
  DoctorOptions,
  DoctorReport,
  DoctorRepairResult,
  GraphSummary,
  PlanOptions,
  PreflightOptions,
  PreflightReport,
  RecommendResult,
} from '../../../shared/planner';

type DefParams<D> = D extends MethodDef<infer P, unknown> ? z.input<P> : never;
type DefResult<D> = D extends MethodDef<z.ZodType, infer R> ? R : never;
type FromDefs<M> = { [K in keyof M]: { params: DefParams<M[K]>; result: DefResult<M[K]> } };

/**
 * Methods the UI uses whose handlers may not be registered in shared/contract/index.ts yet. Once they are, the
 * contract's own types take over (see ParamsFor/ResultFor); until then a call answers NOT_FOUND "Unknown method"
 * and the UI says so. Shapes follow shared/planner.ts and shared/contract/drills.ts.
 */
export type PendingMethods = FromDefs<typeof drillMethods> & {
  'planner.analyze': { params: Record<string, never>; result: GraphSummary };
  'planner.plan': { params: PlanOptions; result: BackupPlan };
  'planner.recommend': { params: Record<string, never>; result: RecommendResult };
  'preflight.run': { params: PreflightOptions & { dryRun?: boolean }; result: PreflightReport };
  'doctor.scan': { params: DoctorOptions; result: DoctorReport };
  'doctor.repair': { params: { findingIds: string[]; dryRun: boolean }; result: DoctorRepairResult };
};

export type AnyMethod = MethodName | keyof PendingMethods;
export type ParamsFor<K extends AnyMethod> = K extends MethodName ? ParamsOf<K> : K extends keyof PendingMethods ? PendingMethods[K]['params'] : never;
export type ResultFor<K extends AnyMethod> = K extends MethodName ? ResultOf<K> : K extends keyof PendingMethods ? PendingMethods[K]['result'] : never;
