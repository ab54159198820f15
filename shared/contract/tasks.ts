// Contract methods for task records: list, get (resync after reload) and cancel.
import { z } from 'zod';
import type { TaskRecord } from '../tasks';
import { method, NoParams } from './define';

const TaskId = z.object({ id: z.string().min(1) });

export const taskMethods = {
  'tasks.list': method<TaskRecord[]>()(NoParams, 'Every task of this service host, newest first.'),
  'tasks.get': method<TaskRecord>()(TaskId, 'One task record by id (resync after a reload).'),
  'tasks.cancel': method<TaskRecord>()(
    TaskId,
    'Ask a running task to stop; it moves to canceling, then canceled.',
  ),
};
