// Static checks of the shipped .ps1 files (as the console loads them, with _Common.ps1 spliced in): the shared
// regions, forbidden constructs, and unbalanced brackets. Their syntax is checked by grammar.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCRIPT_NAMES } from '../../../electron/services/providers/powershell/registry';
import { spliceCommon } from '../../../electron/services/providers/powershell/script-library';

const DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../electron/services/providers/powershell/scripts',
);
const read = (f: string): string => readFileSync(path.join(DIR, f), 'utf8').replace(/\r\n/g, '\n');
/** An allow-listed script as the console sends it: its include line replaced by _Common.ps1. */
const loaded = (name: string): string =>
  spliceCommon(name, read(`${name}.ps1`), read('_Common.ps1'));
const region = (text: string, name: string): string => {
  const m = new RegExp(`#region ${name}[^\\n]*\\n([\\s\\S]*?)#endregion ${name}`).exec(text);
  if (!m) throw new Error(`region ${name} missing`);
  return m[1] as string;
};

/** Strip comments and string contents (single, double, here-strings) so brackets can be counted. */
function code(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const two = text.slice(i, i + 2);
    if (two === '<#') {
      const j = text.indexOf('#>', i + 2);
      i = j < 0 ? text.length : j + 2;
    } else if (c === '#') {
      const j = text.indexOf('\n', i);
      i = j < 0 ? text.length : j;
    } else if (two === "@'" || two === '@"') {
      const end = `\n${two[1]}@`;
      const j = text.indexOf(end, i + 2);
      if (j < 0) throw new Error('unterminated here-string');
      out += '""';
      i = j + end.length;
    } else if (c === "'") {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new Error(`unterminated '…' string at ${i}`);
        if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      out += "''";
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      let depth = 0;
      for (;;) {
        if (j >= text.length) throw new Error(`unterminated "…" string at ${i}`);
        const d = text[j];
        if (d === '`') j += 2;
        else if (d === '$' && text[j + 1] === '(') {
          depth++;
          j += 2;
        } else if (d === ')' && depth > 0) {
          depth--;
          j++;
        } else if (d === '"' && depth === 0) break;
        else j++;
      }
      out += '""';
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function balanced(src: string): string | null {
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  const stack: string[] = [];
  for (const ch of src) {
    if ('({['.includes(ch)) stack.push(ch);
    else if (ch in pairs) if (stack.pop() !== pairs[ch]) return `unexpected ${ch}`;
  }
  return stack.length === 0 ? null : `unclosed ${stack.join('')}`;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.ps1'));

describe('shipped scripts', () => {
  it('are exactly the allow-list plus the bootstrap, the shared helpers and the offline export', () => {
    expect(files.sort()).toEqual(
      [
        ...SCRIPT_NAMES.map((n) => `${n}.ps1`),
        '_Bootstrap.ps1',
        '_Common.ps1',
        'Export-HvbcInventory.ps1',
      ].sort(),
    );
  });

  it.each(files)('%s: balanced brackets and strings, no Invoke-Expression/Add-Type', (f) => {
    const c = code(read(f));
    expect(balanced(c)).toBeNull();
    expect(c).not.toMatch(/Invoke-Expression|\biex\b|Add-Type|-EncodedCommand/i);
    if (f !== '_Bootstrap.ps1') expect(c).not.toMatch(/\[ScriptBlock\]::Create/i);
  });

  const common = region(read('_Common.ps1'), 'hvbc-common');
  it.each(SCRIPT_NAMES)(
    '%s: base64 JSON parameter only, shared common region, one envelope in try/catch',
    (name) => {
      expect(read(`${name}.ps1`)).toMatch(/^#hvbc-include _Common\.ps1/m);
      const text = loaded(name);
      const firstStatement = code(text)
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l !== '');
      expect(firstStatement).toBe('param([Parameter(Mandatory = $true)][string]$InputB64)');
      expect(region(text, 'hvbc-common')).toBe(common);
      expect(text).toContain(
        '[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($InputB64)) | ConvertFrom-Json',
      );
      const body = text.slice(text.indexOf('#endregion hvbc-common'));
      expect(body).toMatch(
        /try \{[\s\S]*Write-HvbcEnvelope[\s\S]*\} catch \{[\s\S]*Write-HvbcEnvelope/,
      );
      // WQL filters only ever see a parsed GUID (never $P.*).
      for (const m of text.matchAll(/-Filter\s+([^\n]+)/g)) expect(m[1]).not.toMatch(/\$P\b|\$P\./);
    },
  );

  it('the common region sets the preferences, depth and markers the session relies on', () => {
    for (const s of [
      "$ErrorActionPreference = 'Stop'",
      "$ProgressPreference = 'SilentlyContinue'",
      '-Depth 32 -Compress',
      "'@@HVBC-BEGIN:' + $HvbcNonce",
      "'@@HVBC-END:' + $HvbcNonce",
      "'@@HVBC-PROGRESS:' + $HvbcNonce",
    ])
      expect(common).toContain(s);
  });

  it('Export-HvbcInventory.ps1 shares the inventory and events collection with the live scripts', () => {
    const exp = read('Export-HvbcInventory.ps1');
    expect(region(exp, 'hvbc-inventory-collect')).toBe(
      region(loaded('Get-HvbcInventory'), 'hvbc-inventory-collect'),
    );
    expect(region(exp, 'hvbc-events-collect')).toBe(
      region(loaded('Get-HvbcEvents'), 'hvbc-events-collect'),
    );
    expect(exp).toContain("format = 'hvbc-inventory'; formatVersion = 1");
    expect(exp).toContain('UTF8Encoding $false');
  });

  it('the bootstrap always ends a command with DONE and forwards only tagged progress', () => {
    const b = read('_Bootstrap.ps1');
    expect(b).toMatch(
      /finally \{\s*if \(\$nonce -ne ''\) \{ Write-HvbcLine \('@@HVBC-DONE:' \+ \$nonce\) \}/,
    );
    expect(b).toContain('6>&1');
    expect(b).toContain("'@@HVBC-READY:' + $HvbcBootNonce");
  });
});
