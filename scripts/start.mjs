// `npm start`: build the renderer, then open Electron when its binary is present, else serve web mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const forceWeb = args.includes('--web') || process.env.HVBC_WEB === '1';
const passArgs = args.filter((a) => a !== '--web');

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function electronBinary() {
  try {
    const bin = require('electron'); // the package exports the binary's path
    return typeof bin === 'string' && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

run(process.execPath, [
  path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
  'build',
  '--config',
  'renderer/vite.config.ts',
  '--logLevel',
  'warn',
]);

const electron = forceWeb ? null : electronBinary();
if (electron) {
  const esbuild = path.join(root, 'node_modules', 'esbuild', 'bin', 'esbuild');
  const common = [
    '--bundle',
    '--platform=node',
    '--format=cjs',
    '--external:electron',
    '--target=node20',
  ];
  run(process.execPath, [
    esbuild,
    'electron/main/main.ts',
    '--outfile=dist/electron/main/main.cjs',
    ...common,
  ]);
  run(process.execPath, [
    esbuild,
    'electron/preload/preload.ts',
    '--outfile=dist/electron/main/preload.cjs',
    ...common,
  ]);
  const child = spawn(electron, ['dist/electron/main/main.cjs', ...passArgs], {
    cwd: root,
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!forceWeb)
    console.log('Electron binary not available here: serving the console in web mode.');
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, 'electron/web/main.ts', ...passArgs], {
    cwd: root,
    stdio: 'inherit',
  });
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
