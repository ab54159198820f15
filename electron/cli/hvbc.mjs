#!/usr/bin/env node
// Launcher for `hvbc`: loads the TypeScript CLI through tsx in this same process, so no build step is needed and
// signals (Ctrl-C, a service manager's SIGTERM) reach the CLI itself, which cancels its task and cleans up.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
process.exit(await runCli(process.argv.slice(2)));
