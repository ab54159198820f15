// What a page shows while the inventory loads or when it cannot be read (with a retry).
import type { ReactElement } from 'react';
import type { useInventory } from '../features/estate/queries';
import { ErrorNote } from './ErrorNote';

/** An element to show instead of the page, or null once the inventory is there. */
export function inventoryFallback(inv: ReturnType<typeof useInventory>): ReactElement | null {
  if (inv.isError) {
    return (
      <ErrorNote
        title="Could not read the estate"
        error={inv.error}
        onRetry={() => void inv.refetch()}
      />
    );
  }
  if (!inv.data) return <div className="loading">Reading the estate…</div>;
  return null;
}
