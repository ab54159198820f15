// UI state (zustand): current page, theme, and hand-offs between pages (e.g. "back up this VM").
import { create } from 'zustand';

export type Page =
  'topology' | 'checkpoints' | 'backup' | 'restore' | 'jobs' | 'repository' | 'settings';
export type Theme = 'dark' | 'light';

export interface UiState {
  page: Page;
  theme: Theme;
  /** VM the Checkpoints page shows. */
  checkpointsVmId: string | null;
  /** Task the Jobs page has open. */
  jobsTaskId: string | null;
  setPage(p: Page): void;
  toggleTheme(): void;
  openCheckpoints(vmId: string): void;
  openTask(taskId: string): void;
  setCheckpointsVm(vmId: string | null): void;
  setJobsTask(taskId: string | null): void;
}

const THEME_KEY = 'hvbc.theme';

function initialTheme(): Theme {
  try {
    const saved = window.localStorage.getItem(THEME_KEY);
    if (saved === 'dark' || saved === 'light') return saved;
    return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

/** Applied at once (not in an effect), so components that read the theme's CSS variables while rendering see the new ones. */
function applyTheme(theme: Theme): Theme {
  if (typeof document !== 'undefined') document.documentElement.dataset.theme = theme;
  return theme;
}

export const useUi = create<UiState>((set) => ({
  page: 'topology',
  theme: applyTheme(initialTheme()),
  checkpointsVmId: null,
  jobsTaskId: null,
  setPage: (page) => set({ page }),
  toggleTheme: () =>
    set((s) => {
      const theme = applyTheme(s.theme === 'dark' ? 'light' : 'dark');
      try {
        window.localStorage.setItem(THEME_KEY, theme);
      } catch {
        /* private mode: the choice lasts this session */
      }
      return { theme };
    }),
  openCheckpoints: (vmId) => set({ page: 'checkpoints', checkpointsVmId: vmId }),
  openTask: (taskId) => set({ page: 'jobs', jobsTaskId: taskId }),
  setCheckpointsVm: (checkpointsVmId) => set({ checkpointsVmId }),
  setJobsTask: (jobsTaskId) => set({ jobsTaskId }),
}));
