// The one small bridge the Electron preload exposes to the renderer (window.hvbc), and its IPC channel names.
import type { Result } from './errors';

export const IPC_CALL = 'hvbc:call';
export const IPC_EVENT = 'hvbc:event';

export interface HvbcBridge {
  /** Call one contract method; never rejects for service errors (they come back as { ok: false }). */
  call(method: string, params: unknown): Promise<Result<unknown>>;
  /** Listen to pushed events; returns an unsubscribe function. */
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}
