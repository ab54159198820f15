// Drill mutations: start a drill (a task) and fetch its report as a file to download.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { seedTask } from '../../api/live';
import { api } from '../../api/client';
import type { ParamsFor } from '../../api/methods';
import { notifyError } from '../../state/notices';
import { downloadText } from '../../components/download';

export function useStartDrill() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: ParamsFor<'drills.start'>) => api().call('drills.start', p),
    onSuccess: (t) => seedTask(qc, t),
  });
}

export function useDownloadDrillReport() {
  return useMutation({
    mutationFn: (drillId: string) => api().call('drills.report', { drillId }),
    onSuccess: (r) => downloadText(r.fileName, r.html, 'text/html'),
    onError: (e) => notifyError('Could not build the drill report', e),
  });
}
