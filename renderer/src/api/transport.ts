// The two transports behind the one API client: the Electron preload bridge, or a WebSocket to the web host.
import type { HvbcBridge } from '../../../shared/bridge';
import type { Result } from '../../../shared/errors';

export interface Transport {
  kind: 'ipc' | 'websocket';
  call(method: string, params: unknown): Promise<Result<unknown>>;
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    hvbc?: HvbcBridge;
  }
}

export function ipcTransport(bridge: HvbcBridge): Transport {
  return { kind: 'ipc', call: (m, p) => bridge.call(m, p), onEvent: (l) => bridge.onEvent(l) };
}

/** One socket for calls and pushed events; calls wait for the socket to open and fail clearly if it closes. */
export function websocketTransport(url: string): Transport {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  const pending = new Map<number, (r: Result<unknown>) => void>();
  let nextId = 1;
  let ws: WebSocket;
  let open: Promise<void>;
  let retry = 250;

  const connect = () => {
    ws = new WebSocket(url);
    open = new Promise((resolve) => ws.addEventListener('open', () => resolve(), { once: true }));
    ws.addEventListener('open', () => {
      retry = 250;
      for (const l of listeners) l('transport.reconnected', null);
    });
    ws.addEventListener('message', (m) => {
      const msg = JSON.parse(String(m.data)) as {
        id?: number;
        response?: Result<unknown>;
        event?: string;
        payload?: unknown;
      };
      if (msg.event !== undefined) {
        for (const l of listeners) l(msg.event, msg.payload);
      } else if (typeof msg.id === 'number' && msg.response) {
        pending.get(msg.id)?.(msg.response);
        pending.delete(msg.id);
      }
    });
    ws.addEventListener('close', () => {
      for (const [id, resolve] of pending) {
        resolve({
          ok: false,
          error: {
            code: 'HOST_UNREACHABLE',
            message: 'Lost the connection to the console service; retrying.',
          },
        });
        pending.delete(id);
      }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    });
  };
  connect();

  return {
    kind: 'websocket',
    async call(method, params) {
      await open;
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

/** Pick the transport once at startup: the preload bridge in Electron, else the web host's socket. */
export function chooseTransport(): Transport {
  if (window.hvbc) return ipcTransport(window.hvbc);
  const params = new URLSearchParams(window.location.search);
  if (params.has('token')) {
    // The token is now in an HttpOnly cookie set by the host; keep it out of the address bar and history.
    params.delete('token');
    const q = params.toString();
    window.history.replaceState(
      null,
      '',
      `${window.location.pathname}${q ? `?${q}` : ''}${window.location.hash}`,
    );
  }
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return websocketTransport(`${proto}://${window.location.host}/api/ws`);
}
