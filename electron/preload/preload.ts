// Preload: exposes one typed bridge (window.hvbc) and nothing else; the IPC event object never reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL, IPC_EVENT, type HvbcBridge } from '../../shared/bridge';
import type { Result } from '../../shared/errors';

const bridge: HvbcBridge = {
  call: (method, params) =>
    ipcRenderer.invoke(IPC_CALL, String(method), params) as Promise<Result<unknown>>,
  onEvent: (listener) => {
    const wrapped = (_e: IpcRendererEvent, event: unknown, payload: unknown) =>
      listener(String(event), payload);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
};

contextBridge.exposeInMainWorld('hvbc', bridge);
