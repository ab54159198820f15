import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../shared/tasks';
import { createHandlers, dispatch, type Handlers } from '../../../electron/services/handlers';
import type { LabProvider } from '../../../electron/services/providers/lab/provider';
import { createServices, type Services } from '../../../electron/services/services';
import { tempDir } from '../../helpers/tmp';

describe('backup.start applies the pre-flight gate for every client', () => {
  const tmp = tempDir();
  let s: Services;
  let h: Handlers;
  const id = async (n: string) =>
    (await s.provider.inventory()).vms.find((v) => v.name === n)?.id ?? n;

  beforeAll(async () => {
    s = await createServices({ dataDir: tmp.dir });
    h = createHandlers(s);
    await (s.provider as LabProvider).setFault(await id('APP01'), 'integration-services-off', true);
  });
  afterAll(async () => {
    await s.close();
    tmp.cleanup();
  });

  it('refuses a VM with a pre-flight error, naming it', async () => {
    const r = await dispatch(h, 'backup.start', { vmIds: [await id('APP01')] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('PREFLIGHT_BLOCKED');
      expect(r.error.message).toMatch(/APP01/);
      expect(r.error.message).toMatch(/integration-services/);
    }
  });

  it('refuses a failing warning without an override, and runs once it has a reason that is recorded', async () => {
    const legacy = await id('LEGACY01');
    const blocked = await dispatch(h, 'backup.start', { vmIds: [legacy] });
    expect(blocked.ok || blocked.error.code).toBe('PREFLIGHT_BLOCKED');
    if (!blocked.ok) expect(blocked.error.message).toMatch(/needs an override/);
    const overrides = [
      {
        ruleId: 'change-tracking-supported',
        vmId: legacy,
        reason: 'legacy VM, full backups accepted',
      },
    ];
    const started = await dispatch(h, 'backup.start', { vmIds: [legacy], overrides });
    expect(started.ok).toBe(true);
    const t = await s.tasks.wait((started as { result: TaskRecord }).result.id);
    expect(t.state).toBe('succeeded');
    const repo = await s.repos.get();
    const point = await repo.getPoint((await repo.listPoints({ vmId: legacy }))[0]?.id ?? '');
    expect(point.meta.overrides).toEqual(overrides);
  });
});
