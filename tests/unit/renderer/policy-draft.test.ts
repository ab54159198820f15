// The policy editor's draft: round trip with a policy, validation through the shared schema.
import { describe, expect, it } from 'vitest';
import {
  draftOf,
  EMPTY_DRAFT,
  policyOf,
  slug,
} from '../../../renderer/src/pages/Settings/policyDraft';

describe('policyOf', () => {
  it('builds a valid policy from a filled draft, with an id from the name', () => {
    const r = policyOf({
      ...EMPTY_DRAFT,
      name: 'Nightly SQL',
      tags: ['sql'],
      weekly: '4',
      webhook: 'https://hooks.example/x',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.id).toBe('nightly-sql');
    expect(r.policy.retention).toEqual({ keepLast: 14, weekly: 4 });
    expect(r.policy.schedule).toEqual({ cron: '0 22 * * 1-5', windowMinutes: 240 });
    expect(draftOf(r.policy)).toMatchObject({
      name: 'Nightly SQL',
      tags: ['sql'],
      weekly: '4',
      webhook: 'https://hooks.example/x',
    });
  });
  it('reports an empty selection, a bad cron and a bad webhook', () => {
    const r = policyOf({ ...EMPTY_DRAFT, name: 'x', cron: '0 22 *', webhook: 'not a url' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['select', 'schedule.cron', 'webhook']));
  });
  it('slugs names to the allowed id alphabet', () => {
    expect(slug('  Prod / SQL (nightly) ')).toBe('prod-sql-nightly');
  });
});

describe('matchingVms', () => {
  it('selects any VM matching any name, tag, CSV or node (like the scheduler)', async () => {
    const { matchingVms } = await import('../../../renderer/src/pages/Settings/policyDraft');
    const { smallInventory } = await import('./fixtures');
    const inv = smallInventory();
    expect(matchingVms(inv, { names: ['dc01'], tags: [], csvIds: [], nodes: [] })).toEqual([
      'DC01',
    ]);
    expect(matchingVms(inv, { names: [], tags: ['web'], csvIds: ['csv3'], nodes: [] })).toEqual([
      'WEB01',
      'WEB02',
      'APP01',
    ]);
    expect(matchingVms(inv, { names: [], tags: [], csvIds: [], nodes: ['HV-B'] })).toEqual([
      'WEB01',
      'LOCAL01',
    ]);
  });
});
