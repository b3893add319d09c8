import { describe, expect, it } from 'vitest';
import {
  appendAttempt,
  branchFor,
  newRunRecord,
  syncWithTask,
  totals,
  transition,
} from '../../../../scripts/core/record/record-ops.ts';
import type { Attempt } from '../../../../scripts/core/record/run-record.ts';
import { RunRecordSchema } from '../../../../scripts/core/record/run-record.ts';
import type { Task } from '../../../../scripts/core/task/task.ts';

const T0 = '2026-11-25T10:00:00.000Z';
const T1 = '2026-11-25T10:05:00.000Z';

function task(id: string, extra: Partial<Task> = {}): Task {
  return { task_id: id, description: `do ${id}`, assignee: 'gpt', files: [], ...extra };
}

describe('run record operations', () => {
  const attempt = (extra: Partial<Attempt> = {}): Omit<Attempt, 'n'> => ({
    iteration: 1,
    kind: 'code',
    agent: 'gpt',
    provider: 'openai',
    model: 'gpt-5-mini',
    started_at: T0,
    finished_at: T1,
    tokens: { input: 100, output: 50 },
    cost_usd: 0.25,
    result: 'proposed',
    ...extra,
  });

  it('creates a valid pending record that mirrors the task file', () => {
    const record = newRunRecord(
      task('a', { title: 'A', labels: ['z', 'b'], priority: 3, max_iterations: 5 }),
      'gemini-pro',
      T0,
    );
    expect(RunRecordSchema.parse(record)).toMatchObject({
      state: 'pending',
      title: 'A',
      labels: ['b', 'z'],
      priority: 3,
      max_iterations: 5,
      reviewer: 'gemini-pro',
    });
  });

  it('follows edits to the task file without losing history', () => {
    const record = appendAttempt(newRunRecord(task('a'), 'gemini-pro', T0), attempt());
    const synced = syncWithTask(record, task('a', { assignee: 'grok-fast', depends_on: ['b'] }), 'gpt');
    expect(synced).toMatchObject({ assignee: 'grok-fast', reviewer: 'gpt', depends_on: ['b'], title: null });
    expect(synced.attempts).toHaveLength(1);
  });

  it('numbers attempts, keeps updated_at monotonic and sums tokens and cost', () => {
    let record = newRunRecord(task('a'), 'gemini-pro', T1);
    record = appendAttempt(record, attempt({ finished_at: T0 }));
    record = appendAttempt(record, attempt({ kind: 'review', result: 'approved' }));
    expect(record.attempts.map((a) => a.n)).toEqual([1, 2]);
    expect(record.updated_at).toBe(T1);
    expect(totals(record)).toEqual({ input: 200, output: 100, cost_usd: 0.5 });
  });

  it('moves by the state machine and refuses a transition it does not allow', () => {
    const record = newRunRecord(task('a'), 'gemini-pro', T0);
    expect(transition(record, 'start', T1)).toMatchObject({ state: 'running', updated_at: T1 });
    expect(() => transition(record, 'merge', T1)).toThrow('"merge" is not allowed in state pending');
  });

  it('names the branch after the task', () => {
    expect(branchFor('task_1005')).toBe('aifactory/task_1005');
  });
});

describe('reopen', () => {
  it('puts a failed task back to pending with its history and a fresh iteration budget', async () => {
    const { newRunRecord, reopen, iterationsUsed, RETRYABLE_STATES } = await import(
      '../../../../scripts/core/record/record-ops.ts'
    );
    const task = { task_id: 'a', description: 'd', assignee: 'gpt', files: [] };
    const failed = {
      ...newRunRecord(task, 'gemini-pro', '2026-11-25T10:00:00.000Z'),
      state: 'failed' as const,
      iteration: 3,
      last_error: { class: 'checks' as const, message: 'no luck' },
    };
    expect(iterationsUsed(failed)).toBe(3);
    const reopened = reopen(failed, '2026-11-25T11:00:00.000Z');
    expect(reopened).toMatchObject({ state: 'pending', retry_base: 3, last_error: null, iteration: 3 });
    expect(iterationsUsed({ ...reopened, iteration: 4 })).toBe(1);
    expect([...RETRYABLE_STATES].sort()).toEqual(['blocked', 'failed', 'rejected']);
  });
});

describe('restartsBranch', () => {
  const step = (iteration: number, kind: Attempt['kind'], result: Attempt['result']): Omit<Attempt, 'n'> => ({
    iteration,
    kind,
    agent: null,
    provider: null,
    model: null,
    started_at: T0,
    finished_at: T1,
    tokens: { input: 0, output: 0 },
    cost_usd: 0,
    result,
  });
  const withSteps = (iteration: number, ...steps: Omit<Attempt, 'n'>[]) =>
    steps.reduce(appendAttempt, { ...newRunRecord(task('a'), 'gemini-pro', T0), iteration });

  it('starts the branch over after a retry until a proposal is committed, unless the person kept it', async () => {
    const { reopen, restartsBranch, buildsOnBranch } = await import(
      '../../../../scripts/core/record/record-ops.ts'
    );
    const failed = {
      ...withSteps(1, step(1, 'code', 'proposed'), step(1, 'checks', 'failed')),
      state: 'failed' as const,
    };
    expect(buildsOnBranch({ ...failed, iteration: 2 })).toBe(true);
    const fresh = reopen(failed, T1);
    expect(fresh.retry_keeps_branch).toBeUndefined();
    expect(restartsBranch({ ...fresh, iteration: 2 })).toBe(true);
    expect(buildsOnBranch({ ...fresh, iteration: 2 })).toBe(false);
    // An answer that was no proposal commits nothing: the next iteration still starts over.
    const sentBack = appendAttempt({ ...fresh, iteration: 2 }, step(2, 'code', 'error'));
    expect(restartsBranch({ ...sentBack, iteration: 3 })).toBe(true);
    const pushed = appendAttempt({ ...sentBack, iteration: 3 }, step(3, 'code', 'proposed'));
    expect(restartsBranch({ ...pushed, iteration: 4 })).toBe(false);
    expect(buildsOnBranch({ ...pushed, iteration: 4 })).toBe(true);
    const kept = reopen(failed, T1, { keepBranch: true });
    expect(kept.retry_keeps_branch).toBe(true);
    expect(restartsBranch({ ...kept, iteration: 2 })).toBe(false);
    // A later retry without the flag forgets it.
    expect(reopen({ ...kept, state: 'failed' }, T1).retry_keeps_branch).toBeUndefined();
    // A task retried before any attempt (blocked) has nothing to keep.
    const blocked = reopen({ ...withSteps(0), state: 'blocked' }, T1);
    expect(restartsBranch({ ...blocked, iteration: 1 })).toBe(true);
  });

  it('starts the branch over after a merge conflict, until a proposal is committed', async () => {
    const { restartsBranch } = await import('../../../../scripts/core/record/record-ops.ts');
    const conflict = withSteps(2, step(1, 'code', 'proposed'), step(1, 'merge', 'conflict'));
    expect(restartsBranch(conflict)).toBe(true);
    expect(restartsBranch(appendAttempt(conflict, step(2, 'code', 'proposed')))).toBe(false);
    expect(restartsBranch(withSteps(1))).toBe(false);
  });
});

describe('decidedByPerson', () => {
  const waiting = {
    ...newRunRecord(task('a'), 'gemini-pro', T0),
    state: 'needs_human' as const,
    iteration: 1,
    pull_request: { number: 7, url: null },
    last_error: { class: 'control_plane' as const, message: 'touches the control plane' },
  };

  it('records a merge by a person as theirs: no agent, their name, the merge commit', async () => {
    const { decidedByPerson } = await import('../../../../scripts/core/record/record-ops.ts');
    const merged = decidedByPerson(waiting, { merged: true, commit: 'abc' }, 'Ada <ada@example.org>', T1);
    expect(RunRecordSchema.parse(merged)).toMatchObject({
      state: 'merged',
      merged_at: T1,
      merge_commit: 'abc',
      last_error: null,
    });
    expect(merged.attempts.at(-1)).toMatchObject({
      kind: 'merge',
      result: 'merged',
      agent: null,
      commit: 'abc',
      summary: 'merged by Ada <ada@example.org>',
    });
  });

  it('records a close by a person as a failure, with the pull request marked closed', async () => {
    const { decidedByPerson, endNotice } = await import('../../../../scripts/core/record/record-ops.ts');
    const closed = decidedByPerson(waiting, { merged: false }, 'Ada', T1);
    expect(closed).toMatchObject({ state: 'failed', pull_request: { number: 7, closed: true } });
    expect(closed.last_error?.message).toBe('pull request #7 was closed by Ada without merging');
    // Closed by the person: the factory posts no notice of its own.
    expect(endNotice(closed)).toBeUndefined();
    const without = decidedByPerson({ ...waiting, pull_request: null }, { merged: false }, 'Ada', T1);
    expect(without.last_error?.message).toBe('the pull request was closed by Ada without merging');
    expect(without.pull_request).toBeNull();
  });

  it('refuses a task that is not waiting for a person', async () => {
    const { decidedByPerson } = await import('../../../../scripts/core/record/record-ops.ts');
    expect(() => decidedByPerson({ ...waiting, state: 'pending' }, { merged: false }, 'Ada', T1)).toThrow(
      'task a is pending, not waiting for a person',
    );
  });
});
