// Estate queries: the inventory snapshot and Hyper-V events (per VM or per task run).
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';

export interface EventFilter {
  vmId?: string;
  taskId?: string;
  limit?: number;
}

export const estateKeys = {
  all: ['estate'] as const,
  inventory: () => [...estateKeys.all, 'inventory'] as const,
  events: (f: EventFilter) => [...estateKeys.all, 'events', f] as const,
};

export const inventoryQuery = () =>
  queryOptions({
    queryKey: estateKeys.inventory(),
    queryFn: () => api().call('estate.inventory', {}),
  });

export const eventsQuery = (f: EventFilter) =>
  queryOptions({
    queryKey: estateKeys.events(f),
    queryFn: () => api().call('estate.events', { limit: 500, ...f }),
  });

export function useInventory() {
  return useQuery(inventoryQuery());
}

export function useEstateEvents(f: EventFilter, enabled = true) {
  return useQuery({ ...eventsQuery(f), enabled });
}
