// React context the topology's node components read: highlight, findings, density and the select action.
import { createContext, useContext } from 'react';
import type { DetailsSection } from '../state/topology';
import type { FindingIndex } from './graph/findings';
import { NO_HIGHLIGHT, type Highlight, type Selection } from './graph/highlight';
import type { Density } from './graph/layout';
import type { TopologyModel } from './graph/model';

export interface TopologyContextValue {
  model: TopologyModel | null;
  hl: Highlight;
  selection: Selection;
  findings: FindingIndex | null;
  density: Density;
  select(s: Selection, section?: DetailsSection): void;
}

export const TopologyContext = createContext<TopologyContextValue>({
  model: null,
  hl: NO_HIGHLIGHT,
  selection: null,
  findings: null,
  density: 'detailed',
  select: () => undefined,
});

export const useTopology = () => useContext(TopologyContext);
