// Configuration of the PowerShell provider (validated), and how it turns into an executable + arguments.
import path from 'node:path';
import { z } from 'zod';
import { HvbcError } from '../../../../shared/errors';
import { parseOrThrow } from './normalize';

const HostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/, 'a DNS or NetBIOS host name');

export const PowerShellProviderConfig = z.object({
  /** Shown as the estate name until the first inventory names the cluster. */
  name: z.string().optional(),
  /** Cluster name (client access point) to connect to; the entry point for inventory and cluster operations. */
  cluster: HostName.optional(),
  /** Hosts to try, in order, when there is no cluster name (or it is unreachable). */
  hosts: z.array(HostName).default([]),
  /** local: the console runs on a Hyper-V host/cluster node; winrm: PowerShell remoting to the hosts. */
  transport: z.enum(['local', 'winrm']).default('local'),
  /** WinRM authentication; Kerberos (the signed-in user's ticket) unless a credential is configured. */
  authentication: z.enum(['Kerberos', 'Negotiate', 'Default']).default('Kerberos'),
  useSsl: z.boolean().default(false),
  port: z.number().int().positive().max(65535).optional(),
  /** Reference of a host credential in the secret store (never the credential itself). */
  credentialRef: z.string().min(1).optional(),
  /** Reference of the guest credential for PowerShell Direct, and per-VM overrides (VM id → reference). */
  guestCredentialRef: z.string().min(1).optional(),
  guestCredentialRefs: z.record(z.string(), z.string().min(1)).default({}),
  /** Windows PowerShell 5.1 (powershell.exe) by default; '7' runs pwsh. */
  edition: z.enum(['5.1', '7']).default('5.1'),
  /** Path of the PowerShell executable (tests inject a fake here). */
  executable: z.string().min(1).optional(),
  /** Arguments placed before PowerShell's own (e.g. the script of a fake executable run by node). */
  executableArgs: z.array(z.string()).default([]),
  /** Folder of the .ps1 files (a packaged app passes its resources folder). */
  scriptsDir: z.string().optional(),
  includeReferencePoints: z.boolean().default(true),
  /** How far back the first event query looks. */
  eventWindowHours: z.number().positive().default(72),
  timeouts: z
    .object({
      startMs: z.number().int().positive().default(30_000),
      connectMs: z.number().int().positive().default(60_000),
      inventoryMs: z.number().int().positive().default(300_000),
      commandMs: z.number().int().positive().default(120_000),
      /** Checkpoints, merges, exports, change queries. */
      dataMs: z
        .number()
        .int()
        .positive()
        .default(6 * 3600_000),
    })
    .default({
      startMs: 30_000,
      connectMs: 60_000,
      inventoryMs: 300_000,
      commandMs: 120_000,
      dataMs: 6 * 3600_000,
    }),
});
export type PowerShellProviderConfig = z.infer<typeof PowerShellProviderConfig>;
export type PowerShellProviderInput = z.input<typeof PowerShellProviderConfig>;

export function parseConfig(input: unknown): PowerShellProviderConfig {
  const c = parseOrThrow(PowerShellProviderConfig, input, 'PowerShell provider configuration');
  if (c.transport === 'winrm' && !c.cluster && c.hosts.length === 0) {
    throw new HvbcError(
      'VALIDATION',
      'PowerShell provider: transport "winrm" needs a cluster name or at least one host.',
    );
  }
  return c;
}

/** Executable and arguments: powershell.exe from System32 by default (not whatever PATH finds first). */
export function resolveExecutable(
  c: PowerShellProviderConfig,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): { executable: string; args: string[] } {
  let executable = c.executable;
  if (!executable) {
    if (c.edition === '7') executable = platform === 'win32' ? 'pwsh.exe' : 'pwsh';
    else if (platform === 'win32')
      executable = path.win32.join(
        env.SystemRoot ?? 'C:\\Windows',
        'System32',
        'WindowsPowerShell',
        'v1.0',
        'powershell.exe',
      );
    else executable = 'powershell';
  }
  return {
    executable,
    args: [
      ...c.executableArgs,
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
      '-',
    ],
  };
}
