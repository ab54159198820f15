// The renderer's one API client, typed against the shared contract; errors come back as ApiError with a code.
import type { EventMap, EventName, MethodName, ParamsOf, ResultOf } from '../../../shared/contract';
import type { ErrorCode, ErrorData } from '../../../shared/errors';
import { chooseTransport, type Transport } from './transport';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(e: ErrorData) {
    super(e.message);
    this.code = e.code;
    if (e.details) this.details = e.details;
  }
}

export class ApiClient {
  constructor(private readonly transport: Transport) {}

  get kind(): Transport['kind'] {
    return this.transport.kind;
  }

  /** Call a method; throws ApiError (for react-query) when the service answers with an error. */
  async call<K extends MethodName>(method: K, params: ParamsOf<K>): Promise<ResultOf<K>> {
    const r = await this.transport.call(method, params);
    if (!r.ok) throw new ApiError(r.error);
    return r.result as ResultOf<K>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    return this.transport.onEvent((name, payload) => {
      if (name === event) listener(payload as EventMap[E]);
    });
  }

  onReconnect(listener: () => void): () => void {
    return this.transport.onEvent((name) => {
      if (name === 'transport.reconnected') listener();
    });
  }
}

let client: ApiClient | null = null;
export function api(): ApiClient {
  client ??= new ApiClient(chooseTransport());
  return client;
}
