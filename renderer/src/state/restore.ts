// UI state (zustand) of Restore & drills: chosen VM and point, and the restore and drill tasks started from here.
import { create } from 'zustand';

interface RestoreUi {
  vmId: string | null;
  pointId: string | null;
  restoreTaskId: string | null;
  drillTaskId: string | null;
  pickVm(id: string | null): void;
  pickPoint(id: string | null): void;
  restoreStarted(taskId: string | null): void;
  drillStarted(taskId: string | null): void;
}

export const useRestoreUi = create<RestoreUi>((set) => ({
  vmId: null,
  pointId: null,
  restoreTaskId: null,
  drillTaskId: null,
  pickVm: (vmId) =>
    set((s) =>
      s.vmId === vmId ? s : { vmId, pointId: null, restoreTaskId: null, drillTaskId: null },
    ),
  pickPoint: (pointId) => set({ pointId }),
  restoreStarted: (restoreTaskId) => set({ restoreTaskId }),
  drillStarted: (drillTaskId) => set({ drillTaskId }),
}));
