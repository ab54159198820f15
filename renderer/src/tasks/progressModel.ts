// Pure: a task's per-item progress grouped per VM (items keyed "<vmId>/<diskId>"), with totals for each group.
import type { TaskProgress, TaskState } from '../../../shared/tasks';

export type ProgressItem = TaskProgress['items'][number];

export interface ItemGroup {
  key: string;
  label: string;
  items: ProgressItem[];
  bytesDone: number;
  bytesTotal: number;
  fraction: number | null;
  /** The phase of the group: the running item's phase, else "done", "failed" or "waiting". */
  phase: string;
  state: TaskState;
}

function groupState(items: ProgressItem[]): TaskState {
  const states = new Set(items.map((i) => i.state));
  if (states.has('failed')) return 'failed';
  if (states.has('canceling')) return 'canceling';
  if (states.has('running')) return 'running';
  if (states.has('canceled')) return 'canceled';
  if (items.length > 0 && items.every((i) => i.state === 'succeeded')) return 'succeeded';
  if (states.has('succeeded')) return 'running';
  return 'queued';
}

export function groupItems(items: readonly ProgressItem[]): ItemGroup[] {
  const groups = new Map<string, ItemGroup>();
  for (const it of items) {
    const slash = it.key.indexOf('/');
    const key = slash > 0 ? it.key.slice(0, slash) : it.key;
    const dot = it.label.indexOf(' · ');
    const label = slash > 0 && dot > 0 ? it.label.slice(0, dot) : it.label;
    const g = groups.get(key) ?? {
      key,
      label,
      items: [],
      bytesDone: 0,
      bytesTotal: 0,
      fraction: null,
      phase: '',
      state: 'queued' as TaskState,
    };
    g.items.push(it);
    g.bytesDone += it.bytesDone;
    g.bytesTotal += it.bytesTotal;
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    g.fraction =
      g.bytesTotal > 0
        ? Math.min(1, g.bytesDone / g.bytesTotal)
        : g.items.every((i) => i.fraction !== null)
          ? g.items.reduce((s, i) => s + (i.fraction ?? 0), 0) / g.items.length
          : null;
    g.state = groupState(g.items);
    const running = g.items.find((i) => i.state === 'running');
    g.phase =
      running?.phase ??
      (g.state === 'succeeded'
        ? 'done'
        : g.state === 'failed'
          ? 'failed'
          : g.state === 'canceled'
            ? 'canceled'
            : (g.items[0]?.phase ?? 'waiting'));
  }
  return [...groups.values()];
}

/** Part of an item's label after "VM · ", i.e. the disk file. */
export function itemSubLabel(it: ProgressItem): string {
  const dot = it.label.indexOf(' · ');
  return dot > 0 ? it.label.slice(dot + 3) : it.label;
}
