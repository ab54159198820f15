// The state of a task as a coloured pill (running, canceling, succeeded, failed…).
import type { TaskState } from '../../../shared/tasks';

export function TaskStateBadge({ state }: { state: TaskState }) {
  return <span className={`state ${state}`}>{state}</span>;
}
