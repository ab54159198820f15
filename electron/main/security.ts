// Electron security baseline: locked-down web preferences, navigation and window.open blocked, permissions denied.
import type { BrowserWindowOptions, WebContents } from 'electron';

export function secureWebPreferences(
  preload: string,
): NonNullable<BrowserWindowOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** True for the app's own page (loaded from a file:// under the app's renderer folder). */
export function isAppUrl(url: string, rendererIndexUrl: string): boolean {
  try {
    const u = new URL(url);
    const own = new URL(rendererIndexUrl);
    return u.protocol === 'file:' && u.pathname === own.pathname;
  } catch {
    return false;
  }
}

export function hardenWebContents(wc: WebContents, rendererIndexUrl: string): void {
  wc.on('will-navigate', (e, url) => {
    if (!isAppUrl(url, rendererIndexUrl)) e.preventDefault();
  });
  wc.on('will-redirect', (e, url) => {
    if (!isAppUrl(url, rendererIndexUrl)) e.preventDefault();
  });
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.session.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  wc.session.setPermissionCheckHandler(() => false);
}
