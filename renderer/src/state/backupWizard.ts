// UI state (zustand) of the backup wizard: the draft (VMs, options, overrides), the step, and the running task.
import { create } from 'zustand';
import type { Consistency } from '../../../shared/backup';

export type WizardStep = 'select' | 'options' | 'repository' | 'preflight' | 'run';
export const WIZARD_STEPS: Array<{ step: WizardStep; label: string }> = [
  { step: 'select', label: 'VMs' },
  { step: 'options', label: 'Consistency' },
  { step: 'repository', label: 'Repository' },
  { step: 'preflight', label: 'Pre-flight' },
  { step: 'run', label: 'Run' },
];

import type { Override } from '../../../shared/preflight-gate';
export type { Override };

interface WizardState {
  step: WizardStep;
  vmIds: string[];
  consistency: Consistency;
  requireConsistency: boolean;
  full: boolean;
  /** Keyed by pre-flight result id; only warnings can be overridden. */
  overrides: Record<string, Override>;
  /** Set when the admin chose to go on although pre-flight checks could not run. */
  preflightSkippedReason: string | null;
  taskId: string | null;
  setStep(s: WizardStep): void;
  setVmIds(ids: string[]): void;
  toggleVm(id: string): void;
  setOptions(p: Partial<Pick<WizardState, 'consistency' | 'requireConsistency' | 'full'>>): void;
  setOverride(resultId: string, o: Override | null): void;
  setPreflightSkipped(reason: string | null): void;
  started(taskId: string): void;
  /** Start over with these VMs (or none). */
  reset(vmIds?: string[]): void;
}

const fresh = (vmIds: string[] = []) => ({
  step: 'select' as WizardStep,
  vmIds,
  consistency: 'application' as Consistency,
  requireConsistency: false,
  full: false,
  overrides: {},
  preflightSkippedReason: null,
  taskId: null,
});

export const useWizard = create<WizardState>((set) => ({
  ...fresh(),
  setStep: (step) => set({ step }),
  setVmIds: (vmIds) => set({ vmIds, overrides: {} }),
  toggleVm: (id) =>
    set((s) => ({
      vmIds: s.vmIds.includes(id) ? s.vmIds.filter((x) => x !== id) : [...s.vmIds, id],
      overrides: {},
    })),
  setOptions: (p) => set(p),
  setOverride: (resultId, o) =>
    set((s) => {
      const overrides = { ...s.overrides };
      if (o) overrides[resultId] = o;
      else delete overrides[resultId];
      return { overrides };
    }),
  setPreflightSkipped: (preflightSkippedReason) => set({ preflightSkippedReason }),
  started: (taskId) => set({ taskId, step: 'run' }),
  reset: (vmIds) => set(fresh(vmIds)),
}));
