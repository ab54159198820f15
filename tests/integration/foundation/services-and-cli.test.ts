import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main';
import { createServices } from '../../../electron/services/services';
import { TaskManager } from '../../../electron/services/tasks/task-manager';
import { capture } from '../../helpers/cli';
import { tempDir } from '../../helpers/tmp';

describe('services', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('creates the default lab on first start in the data folder, and reopens it', async () => {
    const s = await createServices({ dataDir: tmp.dir });
    expect(s.labDir).toBe(path.join(tmp.dir, 'lab'));
    expect(existsSync(path.join(tmp.dir, 'lab', 'lab.json'))).toBe(true);
    const inv = await s.provider.inventory();
    expect(inv.source).toMatchObject({ kind: 'lab', name: 'default' });
    await s.close();
    const again = await createServices({ dataDir: tmp.dir });
    expect((await again.provider.inventory()).vms.length).toBe(inv.vms.length);
    await again.close();
  });

  it('refuses a malformed lab, naming the file and field, and starts nothing', async () => {
    const bad = path.join(tmp.dir, 'bad-lab');
    mkdirSync(bad);
    writeFileSync(
      path.join(bad, 'lab.json'),
      JSON.stringify({
        definition: {
          schema: 1,
          name: 'x',
          cluster: { name: 'c', osVersion: '2099' },
          nodes: [],
          vms: [],
        },
      }),
    );
    await expect(createServices({ dataDir: tmp.dir, labDir: bad })).rejects.toMatchObject({
      code: 'LAB_INVALID',
      message: expect.stringContaining('cluster.osVersion'),
    });
  });
});

describe('task manager', () => {
  it('runs a task through running to succeeded, coalescing progress', async () => {
    const tm = new TaskManager({ intervalMs: 50 });
    const seen: string[] = [];
    tm.onUpdate((t) => seen.push(t.state));
    const rec = tm.start('demo', 'Demo', async (ctx) => {
      for (let i = 0; i < 100; i++) ctx.progress({ fraction: i / 100, phase: 'work' });
      return 42;
    });
    const done = await tm.wait(rec.id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe(42);
    expect(seen[0]).toBe('running');
    expect(seen.at(-1)).toBe('succeeded');
    expect(seen.length).toBeLessThan(20);
  });

  it('cancels through canceling to canceled, and reports failures with codes', async () => {
    const tm = new TaskManager();
    const rec = tm.start('slow', 'Slow', async (ctx) => {
      while (!ctx.signal.aborted) await new Promise((r) => setTimeout(r, 5));
      ctx.throwIfCanceled();
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(tm.cancel(rec.id).state).toBe('canceling');
    expect((await tm.wait(rec.id)).state).toBe('canceled');
    const failing = tm.start('bad', 'Bad', async () => {
      throw Object.assign(new Error('disk gone'), {});
    });
    const f = await tm.wait(failing.id);
    expect(f.state).toBe('failed');
    expect(f.error).toMatchObject({ code: 'INTERNAL', message: 'disk gone' });
    expect(() => tm.get('missing')).toThrow(/No task/);
  });
});

describe('hvbc CLI', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('prints help and rejects unknown commands', async () => {
    const a = capture();
    expect(await runCli(['--help'], a.io)).toBe(0);
    expect(a.out.join('\n')).toContain('inventory');
    const b = capture();
    expect(await runCli(['frobnicate'], b.io)).toBe(2);
    expect(b.err.join('\n')).toContain('unknown command');
  });

  it('prints the inventory as JSON and as a table with flags', async () => {
    const lab = path.join(tmp.dir, 'lab');
    const a = capture();
    expect(await runCli(['inventory', '--lab', lab, '--json'], a.io)).toBe(0);
    const inv = JSON.parse(a.out.join('\n'));
    expect(inv.vms.length).toBeGreaterThanOrEqual(12);
    const b = capture();
    expect(await runCli(['inventory', '--lab', lab], b.io)).toBe(0);
    expect(b.out.join('\n')).toMatch(/SQL01 .*\[spans-csvs\]/);
  });
});
