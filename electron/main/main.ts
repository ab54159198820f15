// Electron main: one window over the service layer; the contract is registered on IPC with the sender checked.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, Notification, type IpcMainInvokeEvent } from 'electron';
import { IPC_CALL, IPC_EVENT } from '../../shared/bridge';
import { createHandlers, dispatch } from '../services/handlers';
import { createServices, type Services } from '../services/services';
import { CSP } from '../web/server';
import { SafeStorageSecretStore } from './secret-store';
import { hardenWebContents, isAppUrl, secureWebPreferences } from './security';

const appRoot = path.resolve(__dirname, '../..');
const rendererIndex = path.join(appRoot, 'dist', 'renderer', 'index.html');
const rendererIndexUrl = pathToFileURL(rendererIndex).toString();

let services: Services | null = null;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function createWindow(): Promise<void> {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 1000,
    minHeight: 650,
    title: 'Hyper-V Backup Console',
    icon: path.join(appRoot, 'assets', 'icon.png'),
    show: false,
    backgroundColor: '#0f172a',
    webPreferences: secureWebPreferences(path.join(__dirname, 'preload.cjs')),
  });
  hardenWebContents(win.webContents, rendererIndexUrl);
  win.webContents.session.webRequest.onHeadersReceived((d, cb) =>
    cb({ responseHeaders: { ...d.responseHeaders, 'Content-Security-Policy': [CSP] } }),
  );
  win.once('ready-to-show', () => win.show());
  await win.loadFile(rendererIndex);
}

async function main(): Promise<void> {
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) return app.quit();
  await app.whenReady();
  const labDir = argValue('--lab') ?? process.env.HVBC_LAB;
  const dataDir = process.env.HVBC_DATA_DIR ?? app.getPath('userData');
  const inventory = argValue('--inventory');
  services = await createServices({
    ...(labDir ? { labDir } : {}),
    ...(inventory ? { estate: { kind: 'offline' as const, file: inventory } } : {}),
    dataDir,
    secrets: new SafeStorageSecretStore(path.join(dataDir, 'credentials.json')),
    scheduler: true,
  });
  const handlers = createHandlers(services);

  ipcMain.handle(IPC_CALL, async (e: IpcMainInvokeEvent, method: unknown, params: unknown) => {
    // Only our own page may call the service layer.
    const url = e.senderFrame?.url ?? '';
    if (!isAppUrl(url, rendererIndexUrl)) {
      return {
        ok: false,
        error: { code: 'UNAUTHORIZED', message: 'IPC from an unexpected frame was refused.' },
      };
    }
    return dispatch(handlers, String(method), params);
  });
  services.onEvent((event, payload) => {
    for (const w of BrowserWindow.getAllWindows())
      if (!w.isDestroyed()) w.webContents.send(IPC_EVENT, event, payload);
    if (event === 'notification' && Notification.isSupported()) {
      const n = payload as { title: string; body: string };
      new Notification({ title: n.title, body: n.body }).show();
    }
  });

  app.on('web-contents-created', (_e, wc) => hardenWebContents(wc, rendererIndexUrl));
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => void services?.close());
  await createWindow();
}

void main();
