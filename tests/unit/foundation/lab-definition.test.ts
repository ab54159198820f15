import { describe, expect, it } from 'vitest';
import {
  parseLabDefinition,
  parseLabDefinitionText,
} from '../../../electron/services/providers/lab/definition';
import { scenarios } from '../../../electron/services/providers/lab/scenarios';
import { HvbcError } from '../../../shared/errors';

function errorOf(fn: () => unknown): HvbcError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HvbcError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('lab definition', () => {
  it('accepts every built-in scenario', () => {
    for (const [name, make] of Object.entries(scenarios)) {
      expect(() => parseLabDefinition(make(), name)).not.toThrow();
    }
  });

  it('names the file, the field and what was expected for a bad host', () => {
    const def = scenarios.default?.() as { vms: Array<{ host: string }> };
    (def.vms[1] as { host: string }).host = 'HV-Z';
    const e = errorOf(() => parseLabDefinition(def, 'my-lab.json'));
    expect(e.code).toBe('LAB_INVALID');
    expect(e.message).toContain('my-lab.json');
    expect(e.message).toContain('vms[1].host');
    expect(e.message).toContain('HV-A, HV-B, HV-C');
  });

  it('reports schema errors with their path', () => {
    const def = scenarios.default?.() as unknown as { csvs: Array<{ size: unknown }> };
    (def.csvs[0] as { size: unknown }).size = 'big';
    const e = errorOf(() => parseLabDefinition(def, 'x.json'));
    expect(e.message).toMatch(/csvs\[0\]\.size/);
  });

  it('reports JSON syntax errors and unknown fields', () => {
    expect(
      errorOf(() => parseLabDefinitionText('{ "schema": 1,', 'broken.json')).message,
    ).toContain('broken.json: not valid JSON');
    const def = { ...(scenarios.default?.() ?? {}), surprise: true };
    expect(errorOf(() => parseLabDefinition(def, 'y.json')).message).toMatch(
      /surprise|Unrecognized/i,
    );
  });
});
