import { describe, expect, it } from 'vitest';
import { methods, isMethodName } from '../../../shared/contract';
import { dispatch, type Handlers } from '../../../electron/services/handlers';
import { HvbcError } from '../../../shared/errors';

const handlers = {
  'tasks.get': async (p: { id: string }) => {
    if (p.id === 'boom') throw new HvbcError('NOT_FOUND', 'No task with id boom.');
    if (p.id === 'crash') throw new Error('unexpected');
    return { id: p.id };
  },
} as unknown as Handlers;

describe('contract and dispatch', () => {
  it('declares every method with a params schema and a summary', () => {
    for (const [name, def] of Object.entries(methods)) {
      expect(isMethodName(name)).toBe(true);
      expect(def.summary.length).toBeGreaterThan(10);
      expect(typeof def.params.safeParse).toBe('function');
    }
    expect(isMethodName('nope')).toBe(false);
  });

  it('rejects invalid arguments with VALIDATION, naming the field', async () => {
    const r = await dispatch(handlers, 'tasks.get', { id: 42 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('VALIDATION');
      expect(r.error.message).toContain('id');
    }
  });

  it('rejects unknown methods and extra params on strict schemas', async () => {
    const a = await dispatch(handlers, 'tasks.nope', {});
    expect(a.ok || a.error.code).toBe('NOT_FOUND');
    const b = await dispatch(handlers, 'tasks.list', { extra: 1 });
    expect(b.ok || b.error.code).toBe('VALIDATION');
  });

  it('returns coded errors as data and unknown errors as INTERNAL, never throwing', async () => {
    const a = await dispatch(handlers, 'tasks.get', { id: 'boom' });
    expect(a).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'No task with id boom.' },
    });
    const b = await dispatch(handlers, 'tasks.get', { id: 'crash' });
    expect(b.ok || b.error.code).toBe('INTERNAL');
    const c = await dispatch(handlers, 'tasks.get', { id: 'x' });
    expect(c).toEqual({ ok: true, result: { id: 'x' } });
  });
});
