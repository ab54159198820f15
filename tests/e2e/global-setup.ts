// Global setup: one console in web mode for the whole run; its URL and token go to the tests by environment.
import { startConsole } from './console-host';

export default async function globalSetup() {
  const c = await startConsole();
  process.env.HVBC_E2E_URL = c.host.openUrl;
  process.env.HVBC_E2E_BASE = c.host.url;
  process.env.HVBC_E2E_TOKEN = c.host.token;
  return async () => c.close();
}
