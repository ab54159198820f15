// Handler types: one async function per contract method, typed from the shared method map.
import type { MethodName, ParsedParamsOf, ResultOf } from '../../../shared/contract';

export type Handler<K extends MethodName> = (params: ParsedParamsOf<K>) => Promise<ResultOf<K>>;
export type Handlers = { [K in MethodName]: Handler<K> };
/** The handlers of one feature's methods (a slice of the table). */
export type HandlerSlice<M> = { [K in keyof M & MethodName]: Handler<K> };
