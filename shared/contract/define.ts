// Helpers to declare contract methods and events once, with runtime schemas for their parameters.
import { z } from 'zod';

export interface MethodDef<P extends z.ZodType, R> {
  params: P;
  /** Result type only (results are produced by our own services); kept as a phantom for typing. */
  result: R;
  /** One line for docs and `hvbc --help`. */
  summary: string;
}

/** Declare a method: `method<ResultType>()(paramsSchema, 'summary')`. */
export function method<R>() {
  return <P extends z.ZodType>(params: P, summary: string): MethodDef<P, R> => ({
    params,
    summary,
    result: undefined as unknown as R,
  });
}

export const NoParams = z.object({}).strict();
