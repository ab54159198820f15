// Every shipped .ps1 parses with the tree-sitter PowerShell grammar (WASM), with no syntax error anywhere.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Language, Parser, type Node } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
const scriptsDir = path.resolve(
  __dirname,
  '../../../electron/services/providers/powershell/scripts',
);
const scripts = readdirSync(scriptsDir).filter((f) => f.endsWith('.ps1'));

function errors(n: Node, out: string[] = []): string[] {
  if (n.type === 'ERROR' || n.isMissing)
    out.push(
      `${n.isMissing ? 'missing ' : ''}${n.type} at line ${n.startPosition.row + 1}: ${n.text.slice(0, 60)}`,
    );
  for (const c of n.children) if (c) errors(c, out);
  return out;
}

describe('PowerShell scripts parse with the tree-sitter grammar', () => {
  let parser: Parser;
  beforeAll(async () => {
    await Parser.init();
    parser = new Parser();
    parser.setLanguage(
      await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm')),
    );
  });

  it('ships scripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(10);
  });

  it('detects a syntax error (the check can fail)', () => {
    const tree = parser.parse('function Broken { if ($x -eq 1 { "unbalanced" }');
    expect(tree?.rootNode.hasError).toBe(true);
  });

  it.each(scripts)('%s', (file) => {
    const tree = parser.parse(readFileSync(path.join(scriptsDir, file), 'utf8'));
    expect(tree).not.toBeNull();
    expect(errors(tree?.rootNode as Node)).toEqual([]);
  });
});
