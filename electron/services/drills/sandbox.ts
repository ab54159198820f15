// The isolated sandbox a drill restores into: its own folder and network, new VM ids, never the production VM.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HvbcError } from '../../../shared/errors';
import { openVhdx } from '../vhdx';

export interface SandboxVm {
  vmId: string;
  configPath: string;
}

export interface Sandbox {
  readonly folder: string;
  readonly network: string;
  /** Import a restored configuration as a sandbox VM on the sandbox network. */
  importVm(
    configPath: string,
    productionVmId: string,
  ): Promise<{ vm: SandboxVm; evidence: Record<string, unknown> }>;
  /** Start it and wait for a heartbeat. */
  boot(
    vm: SandboxVm,
    productionVmId: string,
  ): Promise<{ heartbeat: boolean; detail: string; evidence: Record<string, unknown> }>;
  teardown(): Promise<void>;
}

/**
 * The lab's sandbox: VMs are configurations in a sandbox folder attached to a private network that has no
 * uplink; "boot" checks that every disk opens and that the lab does not inject a heartbeat failure.
 */
export class LabSandbox implements Sandbox {
  readonly network: string;
  private vms: SandboxVm[] = [];

  constructor(
    readonly folder: string,
    drillId: string,
    private readonly heartbeatFails: (productionVmId: string) => Promise<boolean>,
  ) {
    this.network = `hvbc-sandbox-${drillId.slice(0, 8)} (private, no uplink)`;
  }

  async importVm(configPath: string, productionVmId: string) {
    const config = JSON.parse(await fs.readFile(configPath, 'utf8')) as {
      id?: string;
      disks?: Array<{ path: string }>;
    };
    if (!config.id || config.id === productionVmId) {
      throw new HvbcError(
        'DRILL_FAILED',
        'The restored configuration reuses the production VM id; a drill must never import it as the same VM.',
      );
    }
    const disks = config.disks ?? [];
    if (disks.length === 0)
      throw new HvbcError('DRILL_FAILED', 'The restored configuration lists no disks.');
    const root = path.resolve(this.folder) + path.sep;
    for (const d of disks) {
      if (!path.resolve(d.path).startsWith(root)) {
        throw new HvbcError(
          'DRILL_FAILED',
          `The restored configuration points at ${d.path}, outside the sandbox folder; refusing to attach it.`,
        );
      }
    }
    const sandboxed = { ...config, network: this.network, sandbox: true };
    await fs.writeFile(configPath, JSON.stringify(sandboxed, null, 2));
    const vm = { vmId: config.id, configPath };
    this.vms.push(vm);
    return {
      vm,
      evidence: {
        sandboxVmId: config.id,
        productionVmId,
        network: this.network,
        disks: disks.map((d) => path.relative(this.folder, d.path)),
      },
    };
  }

  async boot(vm: SandboxVm, productionVmId: string) {
    const config = JSON.parse(await fs.readFile(vm.configPath, 'utf8')) as {
      disks?: Array<{ path: string }>;
    };
    const opened: string[] = [];
    for (const d of config.disks ?? []) {
      const f = await openVhdx(d.path);
      opened.push(`${path.basename(d.path)} (${f.info.virtualSize} bytes)`);
      await f.close();
    }
    if (await this.heartbeatFails(productionVmId)) {
      return {
        heartbeat: false,
        detail:
          'The VM started but reported no heartbeat within the timeout (lab fault "heartbeatFails").',
        evidence: { disksOpened: opened, heartbeat: 'none' },
      };
    }
    return {
      heartbeat: true,
      detail: 'The VM started and reported a heartbeat.',
      evidence: { disksOpened: opened, heartbeat: 'OK', network: this.network },
    };
  }

  async teardown() {
    this.vms = [];
    await fs.rm(this.folder, { recursive: true, force: true });
  }
}
