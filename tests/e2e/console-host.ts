// Starts the console's web host on a fresh lab for end-to-end tests and tells the tests where it is.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../../electron/services/services';
import { startWebHost } from '../../electron/web/server';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startConsole(opts: { labDir?: string; dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'hvbc-e2e-'));
  const services = await createServices({
    dataDir,
    ...(opts.labDir ? { labDir: opts.labDir } : {}),
  });
  const host = await startWebHost(services, {
    staticDir: path.resolve(here, '../../dist/renderer'),
  });
  return {
    services,
    host,
    dataDir,
    close: async () => (await host.close(), await services.close()),
  };
}
