// Builds the service layer once (provider, tasks, events) for any host: Electron main, web host, CLI.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventMap, EventName } from '../../shared/contract';
import { HvbcError } from '../../shared/errors';
import { OfflineProvider } from './providers/offline/provider';
import type { PowerShellProviderInput } from './providers/powershell/config';
import { PowerShellProvider } from './providers/powershell/provider';
import type { SecretStore } from './providers/powershell/secrets';
import { LabSandbox, type Sandbox } from './drills/sandbox';
import { DrillStore } from './drills/store';
import { createNotifier, type Notifier } from './notify';
import { effectiveFaults } from './providers/lab/inventory';
import { readLabFile } from './providers/lab/store';
import { runPolicy } from './scheduler/policy-runner';
import { PolicyStore } from './scheduler/policy-store';
import { Scheduler } from './scheduler/scheduler';
import { LabProvider } from './providers/lab/provider';
import { createLabFile, labExists } from './providers/lab/store';
import { vmId as vmIdOf } from './providers/lab/state';
import { scenarios } from './providers/lab/scenarios';
import type { EstateProvider } from './providers/types';
import { JobHistory } from './engine/job-history';
import { RepoManager } from './engine/repo-manager';
import type { WorkerStarter } from './repository/chunk-pool';
import { TaskManager } from './tasks/task-manager';

/** Which estate the service host works on: the embedded lab (default), a real cluster, or an inventory file. */
export type EstateChoice =
  | { kind: 'lab'; dir?: string }
  | { kind: 'offline'; file: string }
  | { kind: 'powershell'; config: PowerShellProviderInput };

export interface ServiceOptions {
  /** Lab folder; created from the default scenario on first start. */
  labDir?: string;
  /** Another estate than the lab (HVBC_INVENTORY=file or HVBC_CLUSTER=config.json pick one from the environment). */
  estate?: EstateChoice;
  /** Credentials for the PowerShell provider (Electron passes a safeStorage-backed store). */
  secrets?: SecretStore;
  /** Where the console keeps its own data (repository, drill evidence…). */
  dataDir?: string;
  /** Run due backup policies while this service host lives (the console and `hvbc service`). */
  scheduler?: boolean;
  /** The scheduler's clock (tests). */
  now?: () => Date;
  /** Webhook transport (tests). */
  fetch?: typeof fetch;
  /** How the repository's chunk workers start (tests: one that fails, to see the slow path reported). */
  workerStarter?: WorkerStarter;
}

export interface Services {
  provider: EstateProvider;
  tasks: TaskManager;
  repos: RepoManager;
  history: JobHistory;
  drills: DrillStore;
  policies: PolicyStore;
  scheduler: Scheduler;
  notifier: Notifier;
  makeSandbox: (folder: string, drillId: string) => Sandbox;
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
  if (process.platform === 'win32')
    return path.join(
      process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'),
      'hyperv-backup-console',
    );
  if (process.platform === 'darwin')
    return path.join(home, 'Library', 'Application Support', 'hyperv-backup-console');
  return path.join(
    process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'),
    'hyperv-backup-console',
  );
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
  const estate = opts.estate ?? (await estateFromEnv());
  let provider: EstateProvider;
  if (estate.kind === 'offline') provider = await OfflineProvider.open(estate.file);
  else if (estate.kind === 'powershell')
    provider = await PowerShellProvider.create(
      estate.config,
      opts.secrets ? { secrets: opts.secrets } : {},
    );
  else {
    if (!(await labExists(labDir))) {
      const make = scenarios.default;
      if (!make) throw new Error('default scenario missing');
      await createLabFile(labDir, make());
    }
    provider = await LabProvider.open(labDir);
  }
  const tasks = new TaskManager();
  const repos = new RepoManager(
    dataDir,
    undefined,
    opts.workerStarter ? { workerStarter: opts.workerStarter } : {},
  );
  const history = new JobHistory(path.join(dataDir, 'jobs.jsonl'));
  const drills = new DrillStore(path.join(dataDir, 'drills', 'records.jsonl'));
  const policies = new PolicyStore(dataDir);
  type Listener = <E extends EventName>(event: E, payload: EventMap[E]) => void;
  const listeners = new Set<Listener>();
  const emit: Listener = (event, payload) => {
    for (const l of listeners) l(event, payload);
  };
  const offTasks = tasks.onUpdate((t) => emit('task.updated', t));
  const notifier = createNotifier((n) => emit('notification', n), opts.fetch);
  const makeSandbox = (folder: string, drillId: string): Sandbox => {
    if (provider.kind !== 'lab') {
      throw new HvbcError(
        'UNSUPPORTED',
        'Restore drills run in the lab sandbox in this build; on a real host the Import-VM sandbox on a private switch is not available yet.',
      );
    }
    return new LabSandbox(folder, drillId, (vmId) => labHeartbeatFails(labDir, vmId));
  };
  const offProvider = provider.subscribe((c) => {
    emit('estate.changed', { reason: c.reason });
    if (c.event) emit('estate.event', c.event);
  });
  // The scheduler's runs need the finished services; it only calls run() after createServices returns.
  const scheduler: Scheduler = new Scheduler({
    store: policies,
    now: opts.now ?? (() => new Date()),
    run: (p, slot, onStart) => runPolicy(services, p, slot, onStart),
    onMissed: async (p, run) => {
      await notifier.notify(
        {
          level: 'warning',
          title: `Backup policy "${p.name}" missed its run`,
          body: `${run.slot}: ${run.message}`,
          ref: { policyId: p.id },
        },
        p.webhook,
      );
    },
  });
  const services: Services = {
    provider,
    tasks,
    repos,
    history,
    drills,
    policies,
    notifier,
    makeSandbox,
    scheduler,
    dataDir,
    labDir,
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async close() {
      offTasks();
      offProvider();
      await services.scheduler.stop();
      await tasks.shutdown();
      await repos.close();
      await provider.close();
    },
  };
  if (opts.scheduler) scheduler.start();
  return services;
}

/** HVBC_INVENTORY=<file> opens an exported inventory read-only; HVBC_CLUSTER=<config.json> a real cluster. */
async function estateFromEnv(): Promise<EstateChoice> {
  if (process.env.HVBC_INVENTORY) return { kind: 'offline', file: process.env.HVBC_INVENTORY };
  if (process.env.HVBC_CLUSTER) {
    const file = path.resolve(process.env.HVBC_CLUSTER);
    try {
      return {
        kind: 'powershell',
        config: JSON.parse(await fs.readFile(file, 'utf8')) as PowerShellProviderInput,
      };
    } catch (e) {
      throw new HvbcError(
        'VALIDATION',
        `${file}: not a readable cluster configuration (${(e as Error).message}).`,
      );
    }
  }
  return { kind: 'lab' };
}

/** The lab's drill fault: a VM whose restored copy never reports a heartbeat. */
async function labHeartbeatFails(labDir: string, vmId: string): Promise<boolean> {
  const lab = await readLabFile(labDir);
  const i = lab.definition.vms.findIndex((_v, k) => vmIdOf(lab.definition, k) === vmId);
  return i >= 0 && effectiveFaults(lab.definition, lab.state, i).heartbeatFails === true;
}
