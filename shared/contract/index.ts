// The service contract, declared once: the method map and the event map that every transport is typed against.
import type { z } from 'zod';
import type { Result } from '../errors';
import type { HyperVEvent } from '../model';
import type { TaskRecord } from '../tasks';
import type { MethodDef } from './define';
import { backupMethods } from './backup';
import { drillMethods } from './drills';
import { estateMethods } from './estate';
import { plannerMethods } from './planner';
import { taskMethods } from './tasks';

export const methods = {
  ...estateMethods,
  ...taskMethods,
  ...backupMethods,
  ...drillMethods,
  ...plannerMethods,
};

export type Methods = typeof methods;
export type MethodName = keyof Methods;
type DefOf<K extends MethodName> =
  Methods[K] extends MethodDef<infer P, infer R> ? { p: P; r: R } : never;
export type ParamsOf<K extends MethodName> = z.input<DefOf<K>['p']>;
/** Params as the handler receives them: validated, with defaults applied. */
export type ParsedParamsOf<K extends MethodName> = z.output<DefOf<K>['p']>;
export type ResultOf<K extends MethodName> = DefOf<K>['r'];

/** Events pushed from the service host to every client. */
export interface EventMap {
  'task.updated': TaskRecord;
  'estate.changed': { reason: string };
  'estate.event': HyperVEvent;
  notification: {
    level: 'info' | 'warning' | 'error';
    title: string;
    body: string;
    ref?: Record<string, string>;
  };
}
export type EventName = keyof EventMap;
export const eventNames: readonly EventName[] = [
  'task.updated',
  'estate.changed',
  'estate.event',
  'notification',
];

/** The client side of the contract: what the renderer's API client and the CLI call. */
export interface ServiceClient {
  call<K extends MethodName>(method: K, params: ParamsOf<K>): Promise<Result<ResultOf<K>>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
