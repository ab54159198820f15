// Loads the shipped .ps1 files (bootstrap + allow-listed scripts) once; their text is sent to each new process.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HvbcError } from '../../../../shared/errors';
import { SCRIPT_NAMES, type ScriptName } from './registry';

export interface ScriptLibrary {
  bootstrap: string;
  scripts: Record<ScriptName, string>;
}

/** The scripts folder beside this module (a packaged app passes its resources folder instead). */
export function defaultScriptsDir(): string {
  if (typeof __dirname !== 'undefined') return path.join(__dirname, 'scripts');
  return fileURLToPath(new URL('./scripts/', import.meta.url));
}

const cache = new Map<string, Promise<ScriptLibrary>>();

async function load(dir: string): Promise<ScriptLibrary> {
  const read = async (file: string): Promise<string> => {
    try {
      return (await fs.readFile(path.join(dir, file), 'utf8')).replace(/^\uFEFF/, '');
    } catch (e) {
      throw new HvbcError(
        'INTERNAL',
        `PowerShell script ${file} is missing from ${dir}: ${(e as Error).message}`,
      );
    }
  };
  const scripts = {} as Record<ScriptName, string>;
  for (const name of SCRIPT_NAMES) scripts[name] = await read(`${name}.ps1`);
  return { bootstrap: await read('_Bootstrap.ps1'), scripts };
}

export function loadScriptLibrary(dir: string = defaultScriptsDir()): Promise<ScriptLibrary> {
  const key = path.resolve(dir);
  let p = cache.get(key);
  if (!p) {
    p = load(key);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
