import { describe, expect, it } from 'vitest';
import { planRun } from '../../../../scripts/core/task/schedule.ts';
import type { Task } from '../../../../scripts/core/task/task.ts';
import type { TaskState } from '../../../../scripts/core/task/task-state.ts';

function task(id: string, extra: Partial<Task> = {}): Task {
  return { task_id: id, description: `do ${id}`, assignee: 'gpt', files: [], ...extra };
}

describe('planRun', () => {
  const plan = (tasks: Task[], states: Record<string, TaskState> = {}) =>
    planRun(tasks, new Map(Object.entries(states))).map((p) => [p.task.task_id, p.action]);

  it('runs tasks without dependencies first, higher priority first, then by id', () => {
    const tasks = [task('b'), task('a'), task('c', { priority: 5 }), task('d', { depends_on: ['a'] })];
    expect(plan(tasks)).toEqual([
      ['c', 'run'],
      ['a', 'run'],
      ['b', 'run'],
      ['d', 'wait'],
    ]);
  });

  it('starts a task once every dependency merged, and says what it waits for otherwise', () => {
    const tasks = [task('a'), task('b'), task('c', { depends_on: ['a', 'b'] })];
    expect(plan(tasks, { a: 'merged', b: 'merged' })).toContainEqual(['c', 'run']);
    const waiting = planRun(tasks, new Map([['a', 'merged' as TaskState]])).find(
      (p) => p.task.task_id === 'c',
    );
    expect(waiting).toMatchObject({ action: 'wait', reason: 'waiting for b to merge' });
  });

  it('blocks a pending task whose dependency failed, was rejected or is blocked, naming it', () => {
    for (const dead of ['failed', 'rejected', 'blocked'] as const) {
      const plans = planRun([task('a'), task('b', { depends_on: ['a'] })], new Map([['a', dead]]));
      expect(plans.find((p) => p.task.task_id === 'b')).toMatchObject({
        action: 'block',
        reason: `dependency "a" ended ${dead}`,
      });
    }
  });

  it('reopens a blocked task once its dependency is no longer a dead end, and leaves final tasks alone', () => {
    const tasks = [task('a'), task('b', { depends_on: ['a'] })];
    expect(plan(tasks, { a: 'pending', b: 'blocked' })).toContainEqual(['b', 'unblock']);
    expect(plan(tasks, { a: 'failed', b: 'blocked' })).toContainEqual(['b', 'done']);
    expect(plan(tasks, { a: 'merged', b: 'merged' })).toEqual([
      ['a', 'done'],
      ['b', 'done'],
    ]);
  });

  it('keeps running tasks that are mid-loop', () => {
    expect(plan([task('a')], { a: 'changes_requested' })).toEqual([['a', 'run']]);
  });
});
