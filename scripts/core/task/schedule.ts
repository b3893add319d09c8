// The run plan: which tasks run now, wait, are blocked by a dependency or unblocked, in priority order. Pure.
import type { Task } from './task.ts';
import { isFinal, type TaskState } from './task-state.ts';

/** What the scheduler decides for one task in this run. */
export type Plan =
  | { task: Task; action: 'run' }
  | { task: Task; action: 'wait'; reason: string }
  | { task: Task; action: 'block'; reason: string }
  | { task: Task; action: 'unblock' }
  | { task: Task; action: 'done' };

const DEAD_ENDS: ReadonlySet<TaskState> = new Set(['failed', 'rejected', 'blocked']);

/**
 * Decides, from the tasks and the states recorded so far, which tasks can run now (their
 * dependencies merged), which wait, which are blocked by a dependency that ended without merging,
 * and which blocked ones can be reopened. Runnable tasks come first, by priority (higher first),
 * then by id, so the order is stable.
 */
export function planRun(tasks: readonly Task[], states: ReadonlyMap<string, TaskState>): Plan[] {
  const stateOf = (id: string): TaskState => states.get(id) ?? 'pending';
  const plans = tasks.map((task): Plan => {
    const state = stateOf(task.task_id);
    const deps = task.depends_on ?? [];
    const deadDep = deps.find((id) => DEAD_ENDS.has(stateOf(id)));
    if (state === 'blocked') return deadDep ? { task, action: 'done' } : { task, action: 'unblock' };
    if (isFinal(state)) return { task, action: 'done' };
    if (deadDep) {
      return { task, action: 'block', reason: `dependency "${deadDep}" ended ${stateOf(deadDep)}` };
    }
    const waitingOn = deps.filter((id) => stateOf(id) !== 'merged');
    if (waitingOn.length > 0) {
      return { task, action: 'wait', reason: `waiting for ${waitingOn.join(', ')} to merge` };
    }
    return { task, action: 'run' };
  });
  const rank = (plan: Plan): number => (plan.action === 'run' ? 0 : 1);
  return plans.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (b.task.priority ?? 0) - (a.task.priority ?? 0) ||
      // Task ids are unique (validate guarantees it), so two plans never compare equal here.
      (a.task.task_id < b.task.task_id ? -1 : 1),
  );
}
