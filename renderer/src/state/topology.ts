// UI state (zustand) of the topology: selection, filters, grouping and which panel section is open.
import { create } from 'zustand';
import { NO_FILTER, type TopologyFilter } from '../topology/graph/filter';
import type { GroupMode } from '../topology/graph/group';
import type { Selection } from '../topology/graph/highlight';

export type DetailsSection = 'facts' | 'findings';

interface TopologyUi {
  selection: Selection;
  section: DetailsSection;
  filter: TopologyFilter;
  group: GroupMode;
  select(s: Selection, section?: DetailsSection): void;
  setFilter(patch: Partial<TopologyFilter>): void;
  clearFilter(): void;
  setGroup(g: GroupMode): void;
}

export const useTopologyUi = create<TopologyUi>((set) => ({
  selection: null,
  section: 'facts',
  filter: NO_FILTER,
  group: 'node',
  select: (selection, section = 'facts') => set({ selection, section }),
  setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),
  clearFilter: () => set({ filter: NO_FILTER }),
  setGroup: (group) => set({ group }),
}));
