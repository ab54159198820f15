// PowerShellProvider: the EstateProvider for real Hyper-V hosts and failover clusters, through long-lived
// PowerShell processes (one per host and lane), allow-listed scripts and validated JSON envelopes.
import { HvbcError, isHvbcError } from '../../../../shared/errors';
import type { HyperVEvent, Inventory, VssWriter } from '../../../../shared/model';
import type {
  ChangedRanges,
  CheckpointResult,
  CreateCheckpointOptions,
  EstateProvider,
  EventFilter,
  FrozenDisk,
  ReferencePoint,
} from '../types';
import {
  parseConfig,
  resolveExecutable,
  type PowerShellProviderConfig,
  type PowerShellProviderInput,
} from './config';
import type { ProgressLine } from './framing';
import { parseOrThrow } from './normalize';
import { mergeNodeInventories, parseInventory, type ParsedInventory } from './parsers/inventory';
import {
  eventKey,
  mapEvents,
  parseChangedRanges,
  parseConvertedReferencePoint,
  parseEvents,
  parseFrozenDisks,
  parseGuestVssWriters,
  parseNewCheckpoint,
  parseReferencePoints,
  RawExport,
  RawImport,
  RawMoveCsv,
  RawRemoved,
  type ExportResult,
  type ImportResult,
} from './parsers/operations';
import { SessionPool } from './pool';
import { scriptSpec, type ScriptName } from './registry';
import { loadScriptLibrary } from './script-library';
import type { SecretStore } from './secrets';
import type { ConnectSpec, SessionLogEntry } from './session';

export interface ProgressEvent {
  taskId?: string;
  script: ScriptName;
  vmId?: string;
  progress: ProgressLine;
}

export interface PowerShellProviderDeps {
  secrets?: SecretStore;
  /** Session diagnostics (never contains parameters, command text or secrets). */
  log?: (e: SessionLogEntry) => void;
  /** Environment of the PowerShell processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

interface RunOptions {
  host: string;
  signal?: AbortSignal;
  taskId?: string;
  vmId?: string;
  onProgress?: (p: ProgressLine) => void;
}

const LOCAL = 'localhost';
const MAX_EVENTS = 10_000;

export class PowerShellProvider implements EstateProvider {
  readonly kind = 'powershell' as const;
  readonly readOnly = false;
  private readonly pool: SessionPool;
  private readonly listeners = new Set<(c: { reason: string; event?: HyperVEvent }) => void>();
  private readonly progressListeners = new Set<(e: ProgressEvent) => void>();
  private last: ParsedInventory | null = null;
  private readonly seqByKey = new Map<string, number>();
  private events_: HyperVEvent[] = [];
  private eventsFetchedUntil: number | null = null;

  private constructor(
    readonly config: PowerShellProviderConfig,
    private readonly deps: PowerShellProviderDeps,
    pool: (p: PowerShellProvider) => SessionPool,
  ) {
    this.pool = pool(this);
  }

  static async create(
    input: PowerShellProviderInput,
    deps: PowerShellProviderDeps = {},
  ): Promise<PowerShellProvider> {
    const config = parseConfig(input);
    const library = await loadScriptLibrary(config.scriptsDir);
    const { executable, args } = resolveExecutable(config);
    const t = config.timeouts;
    return new PowerShellProvider(
      config,
      deps,
      (self) =>
        new SessionPool({
          executable,
          args,
          library,
          startTimeoutMs: t.startMs,
          timeouts: {
            connect: t.connectMs,
            inventory: t.inventoryMs,
            command: t.commandMs,
            data: t.dataMs,
          },
          ...(deps.log ? { log: deps.log } : {}),
          ...(deps.env ? { env: deps.env } : {}),
          connectFor: (host) => self.connectFor(host),
        }),
    );
  }

  /** Progress lines of running scripts (Msvm_ConcreteJob percent, phases), for the task runner. */
  onProgress(listener: (e: ProgressEvent) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  subscribe(listener: (c: { reason: string; event?: HyperVEvent }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- routing -----------------------------------------------------------------------------------------

  private entryHosts(): string[] {
    if (this.config.transport === 'local') return [LOCAL];
    return [
      ...new Set([...(this.config.cluster ? [this.config.cluster] : []), ...this.config.hosts]),
    ];
  }

  /** How a session reaches `host`: in-process for this machine, WinRM otherwise. */
  private connectFor(host: string): ConnectSpec | undefined {
    if (host === LOCAL) return undefined;
    const spec: ConnectSpec = {
      computerName: host,
      authentication: this.config.authentication,
      useSsl: this.config.useSsl,
    };
    if (this.config.port !== undefined) spec.port = this.config.port;
    const ref = this.config.credentialRef;
    if (ref) {
      spec.credential = async () => {
        const c = await this.deps.secrets?.get(ref);
        if (!c)
          throw new HvbcError(
            'UNAUTHORIZED',
            `No credential is stored under "${ref}"; store it again or remove the reference to use Kerberos.`,
          );
        return c;
      };
    }
    return spec;
  }

  /** The node that owns the VM (Hyper-V WMI and cmdlets act on the owner, hyperv-api.md §1.2). */
  private async hostOfVm(vmId: string): Promise<string> {
    const inv = this.last ?? (await this.refresh());
    let vm = inv.inventory.vms.find((v) => v.id === vmId.toLowerCase());
    if (!vm) vm = (await this.refresh()).inventory.vms.find((v) => v.id === vmId.toLowerCase());
    if (!vm) throw new HvbcError('NOT_FOUND', `No VM with id ${vmId} in the estate.`);
    return this.sessionHost(vm.hostNode);
  }

  private sessionHost(node: string): string {
    if (
      this.config.transport === 'local' &&
      this.last &&
      node.toLowerCase() === this.last.collectedOn.toLowerCase()
    )
      return LOCAL;
    return node;
  }

  private async run(script: ScriptName, params: unknown, o: RunOptions): Promise<unknown> {
    const spec = scriptSpec(script);
    const session = this.pool.get(o.host, spec.lane);
    let jobId: string | null = null;
    const onProgress = (p: ProgressLine): void => {
      if (p.jobId) jobId = p.jobId;
      o.onProgress?.(p);
      for (const l of this.progressListeners)
        l({
          script,
          progress: p,
          ...(o.taskId ? { taskId: o.taskId } : {}),
          ...(o.vmId ? { vmId: o.vmId } : {}),
        });
    };
    try {
      return await session.invoke(script, params, {
        onProgress,
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (e) {
      // A canceled or timed-out wait does not stop a WMI job on the host: ask Hyper-V to terminate it.
      if (isHvbcError(e) && (e.code === 'CANCELED' || e.code === 'TIMEOUT') && jobId) {
        await this.pool
          .get(o.host, 'inventory')
          .invoke('Stop-HvbcJob', { jobId })
          .catch(() => undefined);
      }
      throw e;
    }
  }

  private notify(reason: string): void {
    for (const l of this.listeners) l({ reason });
  }

  // ---- inventory and events ----------------------------------------------------------------------------

  private async refresh(): Promise<ParsedInventory> {
    let lastErr: unknown;
    for (const host of this.entryHosts()) {
      try {
        const data = await this.collect(host);
        const parsed = parseInventory(data, {
          kind: 'powershell',
          readOnly: false,
          location: host === LOCAL ? 'local' : `winrm://${host}`,
          ...(this.config.name ? { name: this.config.name } : {}),
        });
        this.last = parsed;
        return parsed;
      } catch (e) {
        lastErr = e;
        if (!(isHvbcError(e) && e.code === 'HOST_UNREACHABLE')) throw e;
      }
    }
    throw lastErr;
  }

  /**
   * Transport local: one script queries every node (a first hop from this node). Transport winrm: the entry node
   * reports the cluster and its own VMs, then each other node reports its VMs through its own session, so no
   * WinRM session ever makes a Kerberos second hop (which is not delegated by default).
   */
  private async collect(host: string): Promise<unknown> {
    const base = { includeReferencePoints: this.config.includeReferencePoints };
    if (host === LOCAL)
      return this.run('Get-HvbcInventory', { ...base, vmScope: 'all-nodes' }, { host });
    const entry = await this.run('Get-HvbcInventory', { ...base, vmScope: 'this-node' }, { host });
    const e = (entry ?? {}) as { collectedOn?: unknown; nodes?: unknown };
    const nodes = (Array.isArray(e.nodes) ? e.nodes : e.nodes ? [e.nodes] : []) as {
      name?: unknown;
      state?: unknown;
    }[];
    const others = nodes
      .filter((n) => typeof n.name === 'string' && (n.state === 'Up' || n.state === 'Paused'))
      .map((n) => n.name as string)
      .filter((n) => n.toLowerCase() !== String(e.collectedOn ?? '').toLowerCase());
    const perNode = await Promise.all(
      others.map((node) =>
        this.run(
          'Get-HvbcInventory',
          { ...base, vmScope: 'this-node', skipCluster: true },
          { host: node },
        ).catch((err: unknown) => {
          const msg = err instanceof Error ? err.message : String(err);
          throw new HvbcError(
            isHvbcError(err) ? err.code : 'POWERSHELL_FAILED',
            `Inventory of node ${node} failed, so its VMs would be missing: ${msg}`,
            { node },
          );
        }),
      ),
    );
    return mergeNodeInventories(entry, perNode);
  }

  async inventory(): Promise<Inventory> {
    return (await this.refresh()).inventory;
  }

  /** Warnings of the last inventory (what could not be collected), for the doctor. */
  get inventoryWarnings(): readonly string[] {
    return this.last?.warnings ?? [];
  }

  async events(filter: EventFilter = {}): Promise<HyperVEvent[]> {
    const inv = this.last ?? (await this.refresh());
    const since = this.eventsFetchedUntil ?? Date.now() - this.config.eventWindowHours * 3600_000;
    const startedAt = Date.now();
    const computerNames = inv.inventory.cluster.nodes
      .filter((n) => n.state !== 'Down')
      .map((n) => n.name);
    // Local: one query reaches every node (first hop). WinRM: each node reads its own logs (no second hop).
    const batches =
      this.config.transport === 'local'
        ? [
            await this.run(
              'Get-HvbcEvents',
              { sinceMs: since, computerNames, maxPerLog: 1000 },
              { host: LOCAL },
            ),
          ]
        : await Promise.all(
            computerNames.map((node) =>
              this.run(
                'Get-HvbcEvents',
                { sinceMs: since, computerNames: [node], maxPerLog: 1000 },
                { host: node },
              ),
            ),
          );
    const events = batches.flatMap((b) => parseEvents(b).events);
    const unique = [...new Map(events.map((e) => [eventKey(e), e])).values()];
    const fresh = unique.filter((e) => !this.seqByKey.has(eventKey(e)));
    const mapped = mapEvents(fresh, (key) => {
      const s = this.seqByKey.get(key) ?? this.seqByKey.size + 1;
      this.seqByKey.set(key, s);
      return s;
    });
    this.events_.push(...mapped);
    if (this.events_.length > MAX_EVENTS) this.events_.splice(0, this.events_.length - MAX_EVENTS);
    this.eventsFetchedUntil = startedAt - 60_000; // overlap a minute; duplicates are dropped by key
    for (const ev of mapped) for (const l of this.listeners) l({ reason: 'event', event: ev });
    let out = this.events_;
    if (filter.vmId) out = out.filter((e) => e.vmId === filter.vmId?.toLowerCase());
    if (filter.sinceSeq !== undefined) out = out.filter((e) => e.seq > (filter.sinceSeq as number));
    if (filter.taskId) out = out.filter((e) => e.taskId === filter.taskId);
    if (filter.limit !== undefined) out = out.slice(-filter.limit);
    return out;
  }

  // ---- checkpoints -------------------------------------------------------------------------------------

  async createCheckpoint(vmId: string, opts: CreateCheckpointOptions): Promise<CheckpointResult> {
    const host = await this.hostOfVm(vmId);
    const consistency = opts.consistency === 'crash' ? 'crash' : 'application';
    const data = await this.run(
      'New-HvbcCheckpoint',
      {
        vmId,
        type: opts.type,
        consistency,
        requireConsistency: opts.requireConsistency ?? false,
        name: opts.name ?? null,
      },
      {
        host,
        vmId,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.taskId ? { taskId: opts.taskId } : {}),
      },
    );
    const r = parseNewCheckpoint(data, opts.type, opts.createdBy);
    // Linux guests reach file-system consistency where Windows guests reach application consistency (level 1).
    if (opts.consistency === 'file-system' && r.consistencyReached === 'application')
      r.consistencyReached = 'file-system';
    if (
      opts.requireConsistency &&
      r.consistencyReached !== opts.consistency &&
      !(opts.consistency === 'file-system' && r.consistencyReached === 'file-system')
    ) {
      throw new HvbcError(
        'CHECKPOINT_FAILED',
        `Asked for a ${opts.consistency}-consistent checkpoint but Hyper-V reached ${r.consistencyReached}.`,
      );
    }
    this.notify('checkpoint-created');
    return r;
  }

  async removeCheckpoint(
    vmId: string,
    checkpointId: string,
    opts: { taskId?: string } = {},
  ): Promise<void> {
    const host = await this.hostOfVm(vmId);
    const data = await this.run(
      'Remove-HvbcCheckpoint',
      { vmId, checkpointId },
      { host, vmId, ...(opts.taskId ? { taskId: opts.taskId } : {}) },
    );
    parseOrThrow(RawRemoved, data, 'Remove-HvbcCheckpoint');
    this.notify('checkpoint-removed');
  }

  async frozenDisks(vmId: string, checkpointId: string): Promise<FrozenDisk[]> {
    const host = await this.hostOfVm(vmId);
    return parseFrozenDisks(
      await this.run('Get-HvbcFrozenDisks', { vmId, checkpointId }, { host, vmId }),
    );
  }

  // ---- reference points and RCT ------------------------------------------------------------------------

  async convertToReferencePoint(vmId: string, checkpointId: string): Promise<ReferencePoint> {
    const host = await this.hostOfVm(vmId);
    const rp = parseConvertedReferencePoint(
      await this.run('ConvertTo-HvbcReferencePoint', { vmId, checkpointId }, { host, vmId }),
      vmId.toLowerCase(),
    );
    this.notify('reference-point-created');
    return rp;
  }

  async listReferencePoints(vmId: string): Promise<ReferencePoint[]> {
    const host = await this.hostOfVm(vmId);
    return parseReferencePoints(
      await this.run('Get-HvbcReferencePoints', { vmId }, { host, vmId }),
      vmId.toLowerCase(),
    );
  }

  async removeReferencePoint(vmId: string, referencePointId: string): Promise<void> {
    const host = await this.hostOfVm(vmId);
    parseOrThrow(
      RawRemoved,
      await this.run('Remove-HvbcReferencePoint', { vmId, referencePointId }, { host, vmId }),
      'Remove-HvbcReferencePoint',
    );
    this.notify('reference-point-removed');
  }

  async changedRanges(
    vmId: string,
    diskId: string,
    referencePointId: string,
  ): Promise<ChangedRanges> {
    const rp = (await this.listReferencePoints(vmId)).find((r) => r.id === referencePointId);
    if (!rp)
      return {
        kind: 'full-required',
        reason: `Reference point ${referencePointId} no longer exists on the host.`,
      };
    const rctId = rp.rctIds[diskId];
    if (!rctId)
      return {
        kind: 'full-required',
        reason: `Disk ${diskId} is not part of reference point ${referencePointId} (the VM's disk set changed).`,
      };
    const vm = this.last?.inventory.vms.find((v) => v.id === vmId.toLowerCase());
    const disk = vm?.disks.find((d) => d.id === diskId);
    if (!disk) throw new HvbcError('NOT_FOUND', `VM ${vmId} has no disk ${diskId}.`);
    const slot = {
      controllerType: disk.controller.type,
      controllerNumber: disk.controller.number,
      controllerLocation: disk.controller.location,
    };
    const host = await this.hostOfVm(vmId);
    return parseChangedRanges(
      await this.run(
        'Get-HvbcChangedRanges',
        { vmId, slot, rctId, referencePointId },
        { host, vmId },
      ),
    );
  }

  // ---- cluster, guest ----------------------------------------------------------------------------------

  async moveCsv(csvId: string, node: string): Promise<void> {
    const inv = this.last ?? (await this.refresh());
    const csv = inv.inventory.cluster.csvs.find((c) => c.id === csvId);
    if (!csv) throw new HvbcError('NOT_FOUND', `No CSV ${csvId} in the estate.`);
    if (!inv.inventory.cluster.nodes.some((n) => n.name.toLowerCase() === node.toLowerCase()))
      throw new HvbcError('NOT_FOUND', `No cluster node named ${node}.`);
    const data = await this.run(
      'Move-HvbcCsv',
      { csvId: csvId.replace(/#\d+$/, ''), node },
      { host: this.entryHosts()[0] as string },
    );
    const r = parseOrThrow(RawMoveCsv, data, 'Move-HvbcCsv');
    if (r.ownerNode.toLowerCase() !== node.toLowerCase())
      throw new HvbcError(
        'CSV_BUSY',
        `${r.name} is still owned by ${r.ownerNode} after the move to ${node}.`,
      );
    this.notify('csv-moved');
  }

  async guestVssWriters(vmId: string): Promise<VssWriter[]> {
    const ref =
      this.config.guestCredentialRefs[vmId.toLowerCase()] ??
      this.config.guestCredentialRefs[vmId] ??
      this.config.guestCredentialRef;
    if (!ref)
      throw new HvbcError(
        'UNAUTHORIZED',
        'No guest credential is configured for this VM; PowerShell Direct needs one to read its VSS writers.',
      );
    const cred = await this.deps.secrets?.get(ref);
    if (!cred) throw new HvbcError('UNAUTHORIZED', `No guest credential is stored under "${ref}".`);
    const host = await this.hostOfVm(vmId);
    const data = await this.run(
      'Get-HvbcGuestVssWriters',
      { vmId, credential: { username: cred.username, password: cred.password.reveal() } },
      { host, vmId },
    );
    return parseGuestVssWriters(data);
  }

  // ---- export / import (beyond EstateProvider) ---------------------------------------------------------

  /** Backup export of a checkpoint (CopySnapshotConfiguration 3), optionally differential from a reference point. */
  async exportVm(
    vmId: string,
    opts: {
      destination: string;
      checkpointId?: string;
      differentialBase?: string;
      backupIntent?: 'preserve-chain' | 'merge';
      signal?: AbortSignal;
      taskId?: string;
      onProgress?: (p: ProgressLine) => void;
    },
  ): Promise<ExportResult> {
    const host = await this.hostOfVm(vmId);
    const data = await this.run(
      'Export-HvbcVm',
      {
        vmId,
        destination: opts.destination,
        checkpointId: opts.checkpointId ?? null,
        differentialBase: opts.differentialBase ?? null,
        backupIntent: opts.backupIntent ?? 'preserve-chain',
      },
      {
        host,
        vmId,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.taskId ? { taskId: opts.taskId } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      },
    );
    return parseOrThrow(RawExport, data, 'Export-HvbcVm');
  }

  /** Import a copy with a new id; returns the Compare-VM issues instead of importing when there are any. */
  async importVm(opts: {
    node: string;
    path: string;
    vhdDestinationPath?: string;
    virtualMachinePath?: string;
    snapshotFilePath?: string;
    smartPagingFilePath?: string;
    newName?: string;
    signal?: AbortSignal;
    taskId?: string;
  }): Promise<ImportResult> {
    const { node, signal, taskId, ...params } = opts;
    const data = await this.run('Import-HvbcVm', params, {
      host: this.sessionHost(node),
      ...(signal ? { signal } : {}),
      ...(taskId ? { taskId } : {}),
    });
    const r = parseOrThrow(RawImport, data, 'Import-HvbcVm');
    if (r.imported) this.notify('vm-imported');
    return r;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.progressListeners.clear();
    await this.pool.close();
  }
}
