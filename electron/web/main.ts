// Web-mode entry point: build the services, serve the renderer and the contract, print the URL with its token.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createServices } from '../services/services';
import { startWebHost } from './server';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lab: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      static: { type: 'string' },
      inventory: { type: 'string' },
    },
  });
  const services = await createServices({
    ...(values.lab ? { labDir: values.lab } : {}),
    ...(values.inventory ? { estate: { kind: 'offline' as const, file: values.inventory } } : {}),
    ...(values.data ? { dataDir: values.data } : {}),
    scheduler: true,
  });
  const host = await startWebHost(services, {
    staticDir: values.static ?? path.resolve(here, '../../dist/renderer'),
    ...(values.port ? { port: Number(values.port) } : {}),
  });
  const where =
    services.provider.kind === 'lab'
      ? `the lab at ${services.labDir}`
      : `a ${services.provider.kind} estate`;
  process.stdout.write(`Hyper-V Backup Console (web mode) on ${where}\nOpen: ${host.openUrl}\n`);
  const stop = async () => {
    await host.close();
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  const err = e as { code?: string; message?: string };
  process.stderr.write(
    `Could not start: ${err.code ? `[${err.code}] ` : ''}${err.message ?? String(e)}\n`,
  );
  process.exit(1);
});
