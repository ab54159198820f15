import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServices, type Services } from '../../../electron/services/services';
import { startWebHost, type WebHost } from '../../../electron/web/server';
import { tempDir } from '../../helpers/tmp';

function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
    (resolve, reject) => {
      const req = http.request(
        url,
        { method: init.method ?? 'GET', headers: init.headers },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(parts).toString(),
              headers: res.headers,
            }),
          );
        },
      );
      req.on('error', reject);
      if (init.body) req.write(init.body);
      req.end();
    },
  );
}

describe('web host', () => {
  const tmp = tempDir();
  let services: Services;
  let host: WebHost;
  const call = (method: string, params: unknown, headers: Record<string, string> = {}) =>
    request(`${host.url}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ method, params }),
    });

  beforeAll(async () => {
    services = await createServices({ dataDir: tmp.dir });
    host = await startWebHost(services, { staticDir: undefined });
  });
  afterAll(async () => {
    await host.close();
    await services.close();
    tmp.cleanup();
  });

  it('binds to 127.0.0.1 with a long random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 without a token and with a wrong token', async () => {
    const none = await call('estate.inventory', {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe('UNAUTHORIZED');
    const wrong = await call('estate.inventory', {}, { 'x-hvbc-token': `${host.token}x` });
    expect(wrong.status).toBe(401);
  });

  it('refuses a foreign origin even with the right token, and a foreign Host header', async () => {
    const r = await call(
      'estate.inventory',
      {},
      { 'x-hvbc-token': host.token, origin: 'http://evil.example' },
    );
    expect(r.status).toBe(403);
    const h = await call(
      'estate.inventory',
      {},
      { 'x-hvbc-token': host.token, host: 'attacker.example' },
    );
    expect(h.status).toBe(403);
  });

  it('round-trips a call with the token and returns the lab inventory', async () => {
    const r = await call('estate.inventory', {}, { 'x-hvbc-token': host.token, origin: host.url });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.ok).toBe(true);
    expect(body.result.cluster.nodes).toHaveLength(3);
    expect(body.result.vms.map((v: { name: string }) => v.name)).toContain('SQL01');
  });

  it('returns a validation error as data for bad arguments', async () => {
    const r = await call('tasks.get', { id: 7 }, { 'x-hvbc-token': host.token });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const bad = await request(`${host.url}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hvbc-token': host.token },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
  });

  it('requires the token on the WebSocket and refuses other origins', async () => {
    const attempt = (url: string, origin?: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url, origin ? { origin } : {});
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', () => resolve('error'));
      });
    const wsUrl = host.url.replace('http', 'ws');
    expect(await attempt(`${wsUrl}/api/ws`)).toBe('401');
    expect(await attempt(`${wsUrl}/api/ws?token=${host.token}`, 'http://evil.example')).toBe('403');
    expect(await attempt(`${wsUrl}/api/ws?token=${host.token}`, host.url)).toBe('open');
  });

  it('round-trips a call over the WebSocket', async () => {
    const ws = new WebSocket(`${host.url.replace('http', 'ws')}/api/ws?token=${host.token}`);
    await new Promise((r) => ws.on('open', r));
    const reply = new Promise<{ id: number; response: { ok: boolean; result: unknown[] } }>(
      (resolve) => ws.on('message', (m) => resolve(JSON.parse(m.toString()))),
    );
    ws.send(JSON.stringify({ id: 5, method: 'tasks.list', params: {} }));
    const msg = await reply;
    expect(msg.id).toBe(5);
    expect(msg.response.ok).toBe(true);
    expect(Array.isArray(msg.response.result)).toBe(true);
    ws.close();
  });
});
