// The subset of Electron's API the shell uses, declared here because Electron's package cannot be installed on
// machines without its binary download (CI, this build host). Kept to what electron/main and electron/preload call.
declare module 'electron' {
  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    nodeIntegrationInSubFrames?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    webviewTag?: boolean;
    spellcheck?: boolean;
  }
  interface BrowserWindowOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    title?: string;
    icon?: string;
    show?: boolean;
    backgroundColor?: string;
    webPreferences?: WebPreferences;
  }
  interface WebFrameMain {
    url: string;
  }
  interface Session {
    setPermissionRequestHandler(
      h: ((wc: WebContents, permission: string, cb: (granted: boolean) => void) => void) | null,
    ): void;
    setPermissionCheckHandler(
      h: ((wc: WebContents | null, permission: string) => boolean) | null,
    ): void;
    webRequest: {
      onHeadersReceived(
        l: (
          d: { responseHeaders?: Record<string, string[]> },
          cb: (r: { responseHeaders?: Record<string, string[]> }) => void,
        ) => void,
      ): void;
    };
  }
  interface WebContents {
    id: number;
    session: Session;
    send(channel: string, ...args: unknown[]): void;
    on(
      event: 'will-navigate' | 'will-redirect',
      l: (e: { preventDefault(): void }, url: string) => void,
    ): this;
    on(event: 'will-attach-webview', l: (e: { preventDefault(): void }) => void): this;
    on(event: 'did-finish-load', l: () => void): this;
    setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' | 'allow' }): void;
    isDestroyed(): boolean;
    getURL(): string;
  }
  class BrowserWindow {
    constructor(opts?: BrowserWindowOptions);
    webContents: WebContents;
    loadFile(file: string): Promise<void>;
    loadURL(url: string): Promise<void>;
    once(event: 'ready-to-show', l: () => void): this;
    on(event: 'closed', l: () => void): this;
    show(): void;
    isDestroyed(): boolean;
    static getAllWindows(): BrowserWindow[];
  }
  interface IpcMainInvokeEvent {
    sender: WebContents;
    senderFrame: WebFrameMain | null;
  }
  const ipcMain: {
    handle(
      channel: string,
      l: (e: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>,
    ): void;
    removeHandler(channel: string): void;
  };
  const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'before-quit', l: () => void): void;
    on(event: 'web-contents-created', l: (e: unknown, wc: WebContents) => void): void;
    on(event: 'activate', l: () => void): void;
    quit(): void;
    getPath(name: 'userData' | 'home' | 'temp'): string;
    requestSingleInstanceLock(): boolean;
    enableSandbox(): void;
  };
  const shell: { openExternal(url: string): Promise<void> };
  const safeStorage: {
    isEncryptionAvailable(): boolean;
    encryptString(plain: string): Buffer;
    decryptString(encrypted: Buffer): string;
  };
  class Notification {
    constructor(opts: { title: string; body: string });
    show(): void;
    static isSupported(): boolean;
  }
  interface IpcRendererEvent {
    sender: unknown;
  }
  const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, l: (e: IpcRendererEvent, ...args: unknown[]) => void): void;
    removeListener(channel: string, l: (e: IpcRendererEvent, ...args: unknown[]) => void): void;
  };
  const contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
}
