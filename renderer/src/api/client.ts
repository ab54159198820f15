// The renderer's one API client, typed against the shared contract; errors come back as ApiError with a code.
import type { EventMap, EventName } from '../../../shared/contract';
import type { ErrorCode, ErrorData } from '../../../shared/errors';
import type { AnyMethod, ParamsFor, ResultFor } from './methods';
import { chooseTransport, type Transport } from './transport';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  /** The contract method that failed. */
  readonly method: string;
  constructor(e: ErrorData, method: string) {
    super(e.message);
    this.name = 'ApiError';
    this.code = e.code;
    this.method = method;
    if (e.details) this.details = e.details;
  }

  /** The service does not register this method (yet): a version gap, not a failure of the operation. */
  get unavailable(): boolean {
    return this.code === 'NOT_FOUND' && /unknown method/i.test(this.message);
  }
}

export class ApiClient {
  constructor(private readonly transport: Transport) {}

  get kind(): Transport['kind'] {
    return this.transport.kind;
  }

  /** Call a method; throws ApiError (for react-query) when the service answers with an error. */
  async call<K extends AnyMethod>(method: K, params: ParamsFor<K>): Promise<ResultFor<K>> {
    const r = await this.transport.call(method, params);
    if (!r.ok) throw new ApiError(r.error, method);
    return r.result as ResultFor<K>;
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
