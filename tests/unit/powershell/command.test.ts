// Security rule: the command text never contains user text outside one base64 literal, and has a fixed shape.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HvbcError } from '../../../shared/errors';
import {
  assertSafeCommand,
  BOOTSTRAP_SHAPE,
  buildBootstrapCommand,
  buildInvocationCommand,
  decodeRequest,
  INVOCATION_SHAPE,
  newNonce,
} from '../../../electron/services/providers/powershell/command';
import {
  SCRIPT_NAMES,
  type ScriptName,
} from '../../../electron/services/providers/powershell/registry';

const STRICT = /^& \$HvbcInvoke '[A-Z][A-Za-z]+-Hvbc[A-Za-z]+' '[A-Za-z0-9+/]*={0,2}'$/;

const HOSTILE = [
  'SQL01$(Remove-Item C:\\ -Recurse -Force)',
  "O'Brien's VM",
  'say "hi"',
  'both \' and " quotes',
  'back`tick`$env:USERNAME',
  'semi; Stop-Computer -Force',
  'new\nline\r\nInvoke-Expression bad',
  'pipe | Out-File x',
  '@{a=1}; $x=[scriptblock]::Create("evil")',
  'unicode ünïcødé 日本語 🙂 \u2028\u0000',
  "'; & calc.exe; '",
  "'' + (Get-Process) + ''",
  'C:\\ClusterStorage\\Volume1\\a,b:c\\x.vhdx',
  '#comment <# block #>',
];

describe('buildInvocationCommand', () => {
  it.each(HOSTILE)('keeps %j out of the command text', (text) => {
    const nonce = newNonce();
    const params = { vmName: text, path: text, nested: { list: [text, text] } };
    const cmd = buildInvocationCommand('Get-HvbcInventory', params, nonce);
    expect(cmd).toMatch(STRICT);
    expect(cmd).toMatch(INVOCATION_SHAPE);
    expect(cmd.includes(text)).toBe(false);
    for (const piece of ['$(', '"', '`', ';', '\n', '\r', '|', '#', '@{'] as const)
      if (text.includes(piece)) expect(cmd.includes(piece)).toBe(false);
    // Exactly two single-quoted literals: the allow-listed name and the base64 payload.
    expect(cmd.split("'").length).toBe(5);
    expect(decodeRequest(cmd.split("'")[3] as string)).toEqual({ nonce, params });
  });

  it('property: any string parameter round-trips and never appears in the text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 3 }),
        fc.constantFrom(...SCRIPT_NAMES),
        (s, name) => {
          const nonce = newNonce();
          const cmd = buildInvocationCommand(name, { s }, nonce);
          expect(cmd).toMatch(STRICT);
          expect(decodeRequest(cmd.split("'")[3] as string).params).toEqual({ s });
          if (!/^[A-Za-z0-9+/=]+$/.test(s) && s !== name) expect(cmd.includes(s)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses script names off the allow-list', () => {
    expect(() => buildInvocationCommand('Invoke-Expression' as ScriptName, {}, newNonce())).toThrow(
      HvbcError,
    );
    expect(() =>
      buildInvocationCommand("Get-HvbcInventory' ; evil '" as ScriptName, {}, newNonce()),
    ).toThrow(HvbcError);
  });

  it('refuses non-JSON parameters and bad nonces', () => {
    expect(() => buildInvocationCommand('Get-HvbcEvents', { n: Number.NaN }, newNonce())).toThrow(
      /plain JSON/,
    );
    expect(() => buildInvocationCommand('Get-HvbcEvents', { n: 1n }, newNonce())).toThrow(
      /plain JSON/,
    );
    expect(() => buildInvocationCommand('Get-HvbcEvents', {}, "abc'; evil")).toThrow(HvbcError);
  });

  it('nonces are 32 random alphanumerics', () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(newNonce()).not.toBe(a);
  });
});

describe('assertSafeCommand', () => {
  it.each([
    "& $HvbcInvoke 'Get-HvbcInventory' 'abc$(x)'",
    "& $HvbcInvoke 'Get-HvbcInventory' 'YWJj'; Remove-Item x",
    "& $HvbcInvoke 'Get-HvbcInventory' 'YWJj'\n& evil",
    "& $HvbcInvoke 'Invoke-Expression' 'YWJj'",
    'Get-VM -Name "x"',
  ])('rejects %j', (cmd) => {
    expect(() => assertSafeCommand(cmd)).toThrow(HvbcError);
  });
});

describe('buildBootstrapCommand', () => {
  it('carries only base64 of our own script texts and a nonce', () => {
    const cmd = buildBootstrapCommand(
      "param($a)\nWrite-Host 'x'",
      { 'Get-HvbcInventory': "param($InputB64)\n'quoted'" },
      newNonce(),
    );
    expect(cmd).toMatch(BOOTSTRAP_SHAPE);
    expect(cmd).not.toContain('\n');
    expect(() => buildBootstrapCommand('x', { 'Evil-Script': 'x' }, newNonce())).toThrow(HvbcError);
  });
});
