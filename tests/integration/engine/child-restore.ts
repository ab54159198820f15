// Child process for restore-cleanup.test.ts: restores a point and kills itself (SIGKILL) at its first progress
// report of the write phase, as a crash or a killed process would, leaving the folder as it was at that moment.
import { RestoreRequest } from '../../../shared/backup';
import { restorePoint } from '../../../electron/services/engine/restore';
import { createServices } from '../../../electron/services/services';

const { dataDir, pointId, targetDir } = JSON.parse(process.argv[2] ?? '{}') as Record<
  string,
  string
>;
const s = await createServices({ dataDir: dataDir ?? '' });
await restorePoint(await s.repos.get(), RestoreRequest.parse({ pointId, targetDir }), {
  dataDir: dataDir ?? '',
  ctx: {
    id: 'child-restore',
    signal: new AbortController().signal,
    warn: () => undefined,
    throwIfCanceled: () => undefined,
    pointOfNoReturn: () => undefined,
    progress: (u) => {
      if (u.phase === 'restore') process.kill(process.pid, 'SIGKILL');
    },
  },
});
process.stdout.write('FINISHED\n'); // never reached: the restore writes (and reports) at least one batch
