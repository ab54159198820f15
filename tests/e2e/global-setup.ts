// Global setup: one console in web mode on a fresh fault-seeded lab for the whole run; URL and token go to the tests by environment.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startConsole } from './console-host';
import { createE2eLab } from './e2e-lab';

export default async function globalSetup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hvbc-e2e-'));
  const labDir = path.join(dataDir, 'lab');
  await createE2eLab(labDir);
  const c = await startConsole({ labDir, dataDir });
  process.env.HVBC_E2E_URL = c.host.openUrl;
  process.env.HVBC_E2E_BASE = c.host.url;
  process.env.HVBC_E2E_TOKEN = c.host.token;
  process.env.HVBC_E2E_DATA = dataDir;
  return async () => {
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
