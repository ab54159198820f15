// Web mode: the same contract over HTTP + WebSocket on 127.0.0.1, with a per-launch token and an origin check.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ErrorData } from '../../shared/errors';
import { createHandlers, dispatch } from '../services/handlers';
import type { Services } from '../services/services';

export interface WebHostOptions {
  /** Folder with the built renderer (index.html); API only when absent. */
  staticDir?: string;
  port?: number;
  /** Fixed token for tests; random otherwise. */
  token?: string;
}

export interface WebHost {
  url: string;
  /** URL to open in a browser: carries the token once, the page then keeps it in a cookie. */
  openUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The Content-Security-Policy of the console page, in both Electron and web mode. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage): string | undefined {
  const m = /(?:^|;\s*)hvbc_token=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
  return m?.[1];
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function errorBody(code: ErrorData['code'], message: string): { ok: false; error: ErrorData } {
  return { ok: false, error: { code, message } };
}

export async function startWebHost(
  services: Services,
  opts: WebHostOptions = {},
): Promise<WebHost> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const handlers = createHandlers(services);
  let port = 0;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  /** Host must be ours (DNS rebinding); a present Origin must be ours (cross-site requests). */
  const checkOrigin = (req: http.IncomingMessage): string | null => {
    if (!allowedHosts().includes(req.headers.host ?? '')) return 'unexpected Host header';
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin))
      return `origin ${origin} is not allowed`;
    return null;
  };
  const tokenOf = (req: http.IncomingMessage, url: URL) =>
    (req.headers['x-hvbc-token'] as string | undefined) ??
    url.searchParams.get('token') ??
    cookieToken(req);

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const bad = checkOrigin(req);
    if (bad) return send(res, 403, errorBody('UNAUTHORIZED', `Refused: ${bad}.`));
    const given = tokenOf(req, url);
    if (!sameToken(given, token)) {
      return send(
        res,
        401,
        errorBody(
          'UNAUTHORIZED',
          'Missing or wrong token. Open the URL that "npm start" printed (it carries the token).',
        ),
      );
    }
    const setCookie = { 'set-cookie': `hvbc_token=${token}; HttpOnly; SameSite=Strict; Path=/` };

    if (url.pathname === '/api/call') {
      if (req.method !== 'POST')
        return send(res, 405, errorBody('VALIDATION', 'Use POST for /api/call.'));
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return send(res, 415, errorBody('VALIDATION', 'Send the call as application/json.'));
      }
      let body: { method?: unknown; params?: unknown };
      try {
        body = JSON.parse(await readBody(req)) as typeof body;
      } catch {
        return send(
          res,
          400,
          errorBody(
            'VALIDATION',
            'The body is not valid JSON: send {"method": "...", "params": {...}}.',
          ),
        );
      }
      if (typeof body.method !== 'string')
        return send(res, 400, errorBody('VALIDATION', 'Missing "method" (a string).'));
      return send(res, 200, await dispatch(handlers, body.method, body.params));
    }

    if (!opts.staticDir)
      return send(res, 404, errorBody('NOT_FOUND', 'No page here: the renderer was not built.'));
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(opts.staticDir, `.${rel}`);
    if (!file.startsWith(path.resolve(opts.staticDir) + path.sep))
      return send(res, 403, errorBody('UNAUTHORIZED', 'Path outside the app.'));
    const data = await fs.readFile(file).catch(() => null);
    const page =
      data ?? (await fs.readFile(path.join(opts.staticDir, 'index.html')).catch(() => null));
    if (!page) return send(res, 404, errorBody('NOT_FOUND', `No file ${rel}.`));
    const ext = data ? path.extname(file) : '.html';
    res.writeHead(200, {
      'content-type': MIME[ext] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      ...setCookie,
    });
    res.end(page);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const bad = checkOrigin(req);
    const ok = url.pathname === '/api/ws' && !bad && sameToken(tokenOf(req, url), token);
    if (!ok) {
      socket.write(
        `HTTP/1.1 ${bad ? '403 Forbidden' : '401 Unauthorized'}\r\nConnection: close\r\n\r\n`,
      );
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', async (raw) => {
        let msg: { id?: unknown; method?: unknown; params?: unknown };
        try {
          msg = JSON.parse(raw.toString()) as typeof msg;
        } catch {
          return ws.send(
            JSON.stringify({ id: null, response: errorBody('VALIDATION', 'Message is not JSON.') }),
          );
        }
        const response =
          typeof msg.method === 'string'
            ? await dispatch(handlers, msg.method, msg.params)
            : errorBody('VALIDATION', 'Missing "method".');
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id ?? null, response }));
      });
    });
  });
  const offEvents = services.onEvent((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    token,
    port,
    async close() {
      offEvents();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function readBody(req: http.IncomingMessage, limit = 4 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
