// A second process for the in-place restore durability tests (run with `node --import tsx`): opens the lab and puts
// staged files in place of a VM's disks. With HVBC_LAB_PAUSE=replace:after-quarantine it stops half way for a kill.
import { LabProvider } from '../../../electron/services/providers/lab/provider';
import type { ReplaceRequest } from '../../../electron/services/providers/lab/restore-in-place';

const [dir = '', vm = '', replacements = '[]'] = process.argv.slice(2);

async function main(): Promise<void> {
  const p = await LabProvider.open(dir, { lockWaitMs: 10_000 });
  process.stdout.write('READY\n');
  await p.replaceDisksInPlace(vm, JSON.parse(replacements) as ReplaceRequest[], {
    source: 'a test copy',
  });
  await p.close();
  process.stdout.write('DONE\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(3);
});
