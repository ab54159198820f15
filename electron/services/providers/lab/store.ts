// Reads and writes a lab folder's lab.json (definition + state) atomically.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../../shared/errors';
import { parseLabDefinition, type LabDefinition } from './definition';
import { initialState, type LabState } from './state';

export const LAB_FILE = 'lab.json';

export interface LabFile {
  definition: LabDefinition;
  state: LabState;
}

/** Write a file so a crash leaves either the old or the new content: temp file, fsync, rename, fsync dir. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  try {
    const dir = await fs.open(path.dirname(file), 'r');
    await dir.sync().catch(() => undefined);
    await dir.close();
  } catch {
    /* directories cannot be opened for fsync on every platform */
  }
}

export async function labExists(dir: string): Promise<boolean> {
  return fs.access(path.join(dir, LAB_FILE)).then(
    () => true,
    () => false,
  );
}

/** Create a new lab folder from a definition; refuses to overwrite an existing lab. */
export async function createLabFile(dir: string, definition: LabDefinition): Promise<LabFile> {
  if (await labExists(dir)) {
    throw new HvbcError('CONFLICT', `A lab already exists in ${dir}. Use "hvbc lab reset" to start it again, or pick another folder.`, { dir });
  }
  await fs.mkdir(dir, { recursive: true });
  const lab: LabFile = { definition, state: initialState(definition) };
  await writeFileAtomic(path.join(dir, LAB_FILE), JSON.stringify(lab, null, 2));
  return lab;
}

export async function readLabFile(dir: string): Promise<LabFile> {
  const file = path.join(dir, LAB_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new HvbcError('NOT_FOUND', `No lab in ${dir} (missing ${LAB_FILE}). Run "hvbc lab init --lab ${dir}" to create one.`, { dir });
  }
  let raw: { definition?: unknown; state?: LabState };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (e) {
    throw new HvbcError('LAB_INVALID', `${file}: not valid JSON (${(e as Error).message}). Restore it or run "hvbc lab reset"; nothing was changed.`, { file });
  }
  const definition = parseLabDefinition(raw.definition, `${file} (definition)`);
  const state = raw.state ?? initialState(definition);
  return { definition, state };
}

export async function writeLabFile(dir: string, lab: LabFile): Promise<void> {
  await writeFileAtomic(path.join(dir, LAB_FILE), JSON.stringify(lab, null, 2));
}
