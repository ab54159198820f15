// Builds the service layer once (provider, tasks, events) for any host: Electron main, web host, CLI.
import os from 'node:os';
import path from 'node:path';
import type { EventMap, EventName } from '../../shared/contract';
import { LabProvider } from './providers/lab/provider';
import { createLabFile, labExists } from './providers/lab/store';
import { scenarios } from './providers/lab/scenarios';
import type { EstateProvider } from './providers/types';
import { JobHistory } from './engine/job-history';
import { RepoManager } from './engine/repo-manager';
import { TaskManager } from './tasks/task-manager';

export interface ServiceOptions {
  /** Lab folder; created from the default scenario on first start. */
  labDir?: string;
  /** Where the console keeps its own data (repository, drill evidence…). */
  dataDir?: string;
}

export interface Services {
  provider: EstateProvider;
  tasks: TaskManager;
  repos: RepoManager;
  history: JobHistory;
  dataDir: string;
  labDir: string;
  /** Subscribe to everything pushed to clients. */
  onEvent(listener: <E extends EventName>(event: E, payload: EventMap[E]) => void): () => void;
  close(): Promise<void>;
}

/** The user's data folder for this app, the same rule Electron's app.getPath('userData') follows. */
export function defaultDataDir(): string {
  if (process.env.HVBC_DATA_DIR) return path.resolve(process.env.HVBC_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'hyperv-backup-console');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'hyperv-backup-console');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'hyperv-backup-console');
}

export function resolveLabDir(opts: ServiceOptions): string {
  if (opts.labDir) return path.resolve(opts.labDir);
  if (process.env.HVBC_LAB) return path.resolve(process.env.HVBC_LAB);
  return path.join(opts.dataDir ?? defaultDataDir(), 'lab');
}

/** Open the lab (creating the default one on first start) and wire tasks and events. */
export async function createServices(opts: ServiceOptions = {}): Promise<Services> {
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : defaultDataDir();
  const labDir = resolveLabDir({ ...opts, dataDir });
  if (!(await labExists(labDir))) {
    const make = scenarios.default;
    if (!make) throw new Error('default scenario missing');
    await createLabFile(labDir, make());
  }
  const provider = await LabProvider.open(labDir);
  const tasks = new TaskManager();
  const repos = new RepoManager(dataDir);
  const history = new JobHistory(path.join(dataDir, 'jobs.jsonl'));
  type Listener = <E extends EventName>(event: E, payload: EventMap[E]) => void;
  const listeners = new Set<Listener>();
  const emit: Listener = (event, payload) => {
    for (const l of listeners) l(event, payload);
  };
  const offTasks = tasks.onUpdate((t) => emit('task.updated', t));
  const offProvider = provider.subscribe((c) => {
    emit('estate.changed', { reason: c.reason });
    if (c.event) emit('estate.event', c.event);
  });
  return {
    provider,
    tasks,
    repos,
    history,
    dataDir,
    labDir,
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async close() {
      offTasks();
      offProvider();
      await tasks.shutdown();
      await repos.close();
      await provider.close();
    },
  };
}
