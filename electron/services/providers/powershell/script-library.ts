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
  const common = await read('_Common.ps1');
  const scripts = {} as Record<ScriptName, string>;
  for (const name of SCRIPT_NAMES)
    scripts[name] = spliceCommon(name, await read(`${name}.ps1`), common);
  return { bootstrap: await read('_Bootstrap.ps1'), scripts };
}

/** The shared helpers live once in _Common.ps1; each script names the place they go with one include line. */
export const INCLUDE_LINE = /^#hvbc-include _Common\.ps1\b.*$/m;

export function spliceCommon(name: string, text: string, common: string): string {
  if (!INCLUDE_LINE.test(text)) {
    throw new HvbcError(
      'INTERNAL',
      `PowerShell script ${name}.ps1 lacks its "#hvbc-include _Common.ps1" line.`,
    );
  }
  return text.replace(INCLUDE_LINE, () => common.replace(/^(#[^\n]*\n)+(?=#region)/, '').trimEnd());
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
