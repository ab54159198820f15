// A second process for the lab durability tests (run with `node --import tsx`): holds the lock, or runs operations
// until the test kills it. Prints "READY", "LOCKED", "DONE" or the lab's "HVBC_LAB_PAUSED <point>" line on stdout.
import { acquireLock } from '../../../electron/services/providers/lab/lock';
import { LabProvider } from '../../../electron/services/providers/lab/provider';

const [cmd, dir = '', ...args] = process.argv.slice(2);

async function main(): Promise<void> {
  if (cmd === 'hold-lock') {
    const release = await acquireLock(dir, 'test: holding the lock', 5000);
    process.stdout.write('LOCKED\n');
    await new Promise((r) => setTimeout(r, Number(args[0] ?? 1000)));
    await release();
    process.stdout.write('DONE\n');
    return;
  }
  const p = await LabProvider.open(dir, { lockWaitMs: 10_000 });
  process.stdout.write('READY\n');
  if (cmd === 'checkpoint') {
    await p.createCheckpoint(args[0] ?? '', { type: 'recovery', consistency: 'application' });
  } else if (cmd === 'remove') {
    await p.removeCheckpoint(args[0] ?? '', args[1] ?? '');
  } else if (cmd === 'churn') {
    // Checkpoint work in a loop until killed: create, sometimes apply, remove oldest.
    for (let i = 0; ; i++) {
      const vm = ['APP', 'WEB', 'SQL'][i % 3] ?? 'APP';
      const r = await p.createCheckpoint(vm, {
        type: i % 2 ? 'standard' : 'recovery',
        consistency: 'crash',
      });
      if (i % 5 === 4 && r.checkpoint.type === 'standard')
        await p.applyCheckpoint(vm, r.checkpoint.id).then(() => p.powerOn(vm));
      const cps = (await p.inventory()).vms.find((v) => v.name === vm)?.checkpoints ?? [];
      if (cps.length > 2 && cps[0]) await p.removeCheckpoint(vm, cps[0].id);
    }
  }
  await p.close();
  process.stdout.write('DONE\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(3);
});
