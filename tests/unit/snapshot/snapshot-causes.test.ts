import { describe, expect, it } from 'vitest';
import { buildSnapshots } from '../../../scripts/core/status/snapshot.ts';
import { TaskDetailSchema, TasksSchema } from '../../../scripts/core/status/snapshot-schema.ts';
import { record } from '../../fixtures/run-records.ts';
import { sampleData } from '../../fixtures/sample-data.ts';

const snapshotOf = (input: ReturnType<typeof sampleData>) =>
  buildSnapshots({ ...input, ci: [], commitsPerDay: {}, scheduleIntervalSeconds: null });

describe('cause classes in the snapshot', () => {
  it('gives every failed, rejected or blocked task of the sample data a class, and no other task one', () => {
    const files = snapshotOf(sampleData(150));
    const { tasks } = TasksSchema.parse(files.get('tasks.json'));
    const ended = tasks.filter((row) => ['failed', 'rejected', 'blocked'].includes(row.state));
    expect(ended.length).toBeGreaterThan(10);
    expect(ended.every((row) => row.cause !== undefined)).toBe(true);
    expect(tasks.filter((row) => row.cause !== undefined)).toHaveLength(ended.length);
    expect(new Set(ended.map((row) => row.cause))).toEqual(new Set(['protocol', 'dependency', 'review']));
  });

  it('names the cause on the detail page', () => {
    const rejected = record('r', {
      state: 'rejected',
      rejection: { rule: 'outside_files', path: 'src/b.ts', message: 'not in the task files' },
    });
    const files = snapshotOf({ tasks: [], records: [rejected] });
    const detail = TaskDetailSchema.parse(files.get('tasks/r.json'));
    expect(detail.task).toMatchObject({
      cause: 'protocol',
      cause_detail: 'outside_files (src/b.ts): not in the task files',
    });
  });

  it('still reads a snapshot written before causes were recorded', () => {
    const files = snapshotOf({ tasks: [], records: [record('p')] });
    const { tasks } = TasksSchema.parse(files.get('tasks.json'));
    expect(tasks[0]).not.toHaveProperty('cause');
    expect(TaskDetailSchema.parse(files.get('tasks/p.json')).task).not.toHaveProperty('cause_detail');
  });

  it('refuses a cause that is not a class', () => {
    const files = snapshotOf({ tasks: [], records: [record('p')] });
    const tasks = files.get('tasks.json') as { tasks: object[] };
    const forged = { ...tasks, tasks: [{ ...tasks.tasks[0], cause: '<script>' }] };
    expect(TasksSchema.safeParse(forged).success).toBe(false);
  });
});
