// UI state (zustand): current page, selection, topology filters, theme.
import { create } from 'zustand';

export type Page = 'topology' | 'checkpoints' | 'backup' | 'restore' | 'jobs' | 'repository' | 'settings';
export type Selection = { kind: 'vm' | 'csv' | 'node'; id: string } | null;

export interface UiState {
  page: Page;
  selection: Selection;
  search: string;
  theme: 'dark' | 'light';
  setPage(p: Page): void;
  select(s: Selection): void;
  setSearch(q: string): void;
  toggleTheme(): void;
}

export const useUi = create<UiState>((set) => ({
  page: 'topology',
  selection: null,
  search: '',
  theme: 'dark',
  setPage: (page) => set({ page }),
  select: (selection) => set({ selection }),
  setSearch: (search) => set({ search }),
  toggleTheme: () => set((s) => ({ theme: s.theme === 'dark' ? 'light' : 'dark' })),
}));
