// The fixed allow-list of PowerShell scripts the provider may run, with each one's lane, timeout class and retry rule.

/** Lanes: each host gets one long-lived PowerShell process per lane, so a long export never blocks inventory. */
export type Lane = 'inventory' | 'data';
export type TimeoutClass = 'connect' | 'inventory' | 'command' | 'data';

export interface ScriptSpec {
  /** File name (without .ps1) in ./scripts/. */
  readonly name: ScriptName;
  readonly lane: Lane;
  readonly timeout: TimeoutClass;
  /** Read-only: safe to run again once after the process crashed mid-command. */
  readonly idempotent: boolean;
  /** Run in the local process even when the session is remote (only the session setup). */
  readonly localOnly?: boolean;
  /** Its parameters carry a secret: never log, never retry. */
  readonly sensitive?: boolean;
}

export const SCRIPT_NAMES = [
  'Connect-HvbcSession',
  'Get-HvbcInventory',
  'Get-HvbcEvents',
  'New-HvbcCheckpoint',
  'Remove-HvbcCheckpoint',
  'Get-HvbcFrozenDisks',
  'ConvertTo-HvbcReferencePoint',
  'Get-HvbcReferencePoints',
  'Remove-HvbcReferencePoint',
  'Get-HvbcChangedRanges',
  'Export-HvbcVm',
  'Import-HvbcVm',
  'Stop-HvbcJob',
  'Get-HvbcGuestVssWriters',
  'Move-HvbcCsv',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const specs: Record<ScriptName, Omit<ScriptSpec, 'name'>> = {
  'Connect-HvbcSession': {
    lane: 'inventory',
    timeout: 'connect',
    idempotent: false,
    localOnly: true,
    sensitive: true,
  },
  'Get-HvbcInventory': { lane: 'inventory', timeout: 'inventory', idempotent: true },
  'Get-HvbcEvents': { lane: 'inventory', timeout: 'inventory', idempotent: true },
  'New-HvbcCheckpoint': { lane: 'data', timeout: 'data', idempotent: false },
  'Remove-HvbcCheckpoint': { lane: 'data', timeout: 'data', idempotent: false },
  'Get-HvbcFrozenDisks': { lane: 'inventory', timeout: 'command', idempotent: true },
  'ConvertTo-HvbcReferencePoint': { lane: 'data', timeout: 'data', idempotent: false },
  'Get-HvbcReferencePoints': { lane: 'inventory', timeout: 'command', idempotent: true },
  'Remove-HvbcReferencePoint': { lane: 'data', timeout: 'data', idempotent: false },
  'Get-HvbcChangedRanges': { lane: 'data', timeout: 'data', idempotent: true },
  'Export-HvbcVm': { lane: 'data', timeout: 'data', idempotent: false },
  'Import-HvbcVm': { lane: 'data', timeout: 'data', idempotent: false },
  'Stop-HvbcJob': { lane: 'inventory', timeout: 'command', idempotent: false },
  'Get-HvbcGuestVssWriters': {
    lane: 'inventory',
    timeout: 'command',
    idempotent: true,
    sensitive: true,
  },
  'Move-HvbcCsv': { lane: 'data', timeout: 'command', idempotent: false },
};

export function isScriptName(x: unknown): x is ScriptName {
  return typeof x === 'string' && (SCRIPT_NAMES as readonly string[]).includes(x);
}

export function scriptSpec(name: ScriptName): ScriptSpec {
  return { name, ...specs[name] };
}
