// Reads and writes a lab folder's lab.json (definition + state) atomically, and creates new labs (files included).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';
import { writeFileAtomic } from './atomic';
import { parseLabDefinition, type LabDefinition } from './definition';
import { acquireLock, LOCK_FILE } from './lock';
import { upgradeState, type LabState } from './state';

export { writeFileAtomic };

export const LAB_FILE = 'lab.json';

export interface LabFile {
  definition: LabDefinition;
  state: LabState;
}

export async function labExists(dir: string): Promise<boolean> {
  return fs.access(path.join(dir, LAB_FILE)).then(
    () => true,
    () => false,
  );
}

/** Labs with more disks than this create their disk files on first use (the "large" scenario). */
export const EAGER_DISK_LIMIT = 200;

export interface CreateLabOptions {
  /** 'eager' creates every disk now; 'lazy' on first use; 'auto' (default) is eager up to EAGER_DISK_LIMIT disks. */
  disks?: 'eager' | 'lazy' | 'auto';
  /** How long to wait for the lab lock (another process creating the same lab). */
  lockWaitMs?: number;
}

/**
 * Create a new lab folder from a definition: lab.json, then every disk as a real VHDX with seeded content
 * (see disks.ts). Refuses to overwrite an existing lab. A crash part-way leaves a lab whose missing disks
 * are created on first use.
 */
export async function createLabFile(
  dir: string,
  definition: LabDefinition,
  opts: CreateLabOptions = {},
): Promise<LabFile> {
  // Validate first (a hand-made definition object may be wrong): nothing is created for an invalid lab.
  const def = parseLabDefinition(definition, `lab definition "${definition.name ?? '?'}"`);
  if (await labExists(dir)) {
    throw new HvbcError(
      'CONFLICT',
      `A lab already exists in ${dir}. Use "hvbc lab reset" to start it again, or pick another folder.`,
      { dir },
    );
  }
  await fs.mkdir(dir, { recursive: true });
  const release = await acquireLock(dir, 'create lab', opts.lockWaitMs ?? 5000);
  try {
    if (await labExists(dir)) {
      throw new HvbcError(
        'CONFLICT',
        `A lab already exists in ${dir}. Use "hvbc lab reset" to start it again, or pick another folder.`,
        { dir },
      );
    }
    const { initLabContent } = await import('./disks');
    return await initLabContent(dir, def, opts.disks ?? 'auto');
  } finally {
    await release();
  }
}

/** Remove a lab's files under the lab lock (keeps the folder). Refuses folders that are not labs. */
export async function removeLabContent(dir: string, lockWaitMs = 5000): Promise<void> {
  if (!(await labExists(dir)))
    throw new HvbcError(
      'NOT_FOUND',
      `No lab in ${dir} (missing ${LAB_FILE}); nothing was removed.`,
      { dir },
    );
  const release = await acquireLock(dir, 'remove lab', lockWaitMs);
  try {
    // lab.json first: a crash part-way leaves a folder that is no longer a lab, never a lab with files missing.
    await fs.rm(path.join(dir, LAB_FILE), { force: true });
    for (const name of await fs.readdir(dir)) {
      if (name === LOCK_FILE) continue;
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
    }
  } finally {
    await release();
  }
}

let cache: { file: string; key: string; lab: LabFile } | undefined;

export async function readLabFile(dir: string): Promise<LabFile> {
  const file = path.join(dir, LAB_FILE);
  let text: string;
  let key: string;
  try {
    const st = await fs.stat(file);
    key = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    if (cache && cache.file === file && cache.key === key) return structuredClone(cache.lab);
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new HvbcError(
      'NOT_FOUND',
      `No lab in ${dir} (missing ${LAB_FILE}). Run "hvbc lab init --lab ${dir}" to create one.`,
      { dir },
    );
  }
  let raw: { definition?: unknown; state?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (e) {
    throw new HvbcError(
      'LAB_INVALID',
      `${file}: not valid JSON (${(e as Error).message}). Restore it or run "hvbc lab reset"; nothing was changed.`,
      { file },
    );
  }
  const definition = parseLabDefinition(raw.definition, `${file} (definition)`);
  const state = upgradeState(definition, raw.state);
  const lab = { definition, state };
  cache = { file, key, lab: structuredClone(lab) };
  return lab;
}

export async function writeLabFile(dir: string, lab: LabFile): Promise<void> {
  cache = undefined;
  // Readable for labs of ordinary size; compact for the 1,000-VM scale lab.
  await writeFileAtomic(
    path.join(dir, LAB_FILE),
    JSON.stringify(lab, null, lab.definition.vms.length <= 100 ? 1 : undefined),
  );
}
