// Doctor repair: always a dry run first (the plan and its log), then the real run after confirmation.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { estateKeys } from '../estate/queries';
import { plannerKeys } from './queries';

export function useDoctorRepair() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: { findingIds: string[]; dryRun: boolean }) => api().call('doctor.repair', p),
    onSuccess: (_r, p) => {
      if (!p.dryRun) {
        void qc.invalidateQueries({ queryKey: plannerKeys.all });
        void qc.invalidateQueries({ queryKey: estateKeys.all });
      }
    },
  });
}
