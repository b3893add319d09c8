// Operations on a run record: task branches, transitions, attempts, reopening, a person's decision. Pure.
import { FactoryError } from '../errors.ts';
import { DEFAULT_MAX_ITERATIONS, DEFAULT_PRIORITY, type Task } from '../task/task.ts';
import { nextState, type TaskEvent } from '../task/task-state.ts';
import type { Attempt, RunRecord } from './run-record.ts';

/** The branch the factory uses for a task, on every forge. */
export function branchFor(taskId: string): string {
  return `aifactory/${taskId}`;
}

/** The task a factory branch belongs to (the inverse of `branchFor`); any other branch is its own name. */
export function taskOfBranch(branch: string): string {
  return branch.startsWith('aifactory/') ? branch.slice('aifactory/'.length) : branch;
}

/** A record for a task the factory has not touched yet. */
export function newRunRecord(task: Task, reviewer: string, now: string): RunRecord {
  return syncWithTask(
    {
      version: 1,
      task_id: task.task_id,
      title: null,
      state: 'pending',
      assignee: task.assignee,
      reviewer,
      labels: [],
      priority: DEFAULT_PRIORITY,
      depends_on: [],
      iteration: 0,
      max_iterations: DEFAULT_MAX_ITERATIONS,
      branch: null,
      pull_request: null,
      created_at: now,
      updated_at: now,
      merged_at: null,
      merge_commit: null,
      last_error: null,
      rejection: null,
      attempts: [],
    },
    task,
    reviewer,
  );
}

/** Copies what people may edit in the task file onto the record (the record keeps the history). */
export function syncWithTask(record: RunRecord, task: Task, reviewer: string): RunRecord {
  return {
    ...record,
    title: task.title ?? null,
    assignee: task.assignee,
    reviewer,
    labels: [...(task.labels ?? [])].sort(),
    priority: task.priority ?? DEFAULT_PRIORITY,
    depends_on: [...(task.depends_on ?? [])],
    max_iterations: task.max_iterations ?? DEFAULT_MAX_ITERATIONS,
  };
}

/** Moves the record by `event`; an event the state machine does not allow is a bug, not an outcome. */
export function transition(record: RunRecord, event: TaskEvent, now: string): RunRecord {
  const state = nextState(record.state, event);
  if (state === undefined) {
    throw new FactoryError(
      'internal',
      `task ${record.task_id}: "${event}" is not allowed in state ${record.state}`,
    );
  }
  return { ...record, state, updated_at: now };
}

/** Appends an attempt, numbering it. */
export function appendAttempt(record: RunRecord, attempt: Omit<Attempt, 'n'>): RunRecord {
  return {
    ...record,
    attempts: [...record.attempts, { ...attempt, n: record.attempts.length + 1 }],
    // ISO times compare as strings; Math.max would need numbers.
    // biome-ignore lint/complexity/useMathMinMax: these are strings
    updated_at: attempt.finished_at > record.updated_at ? attempt.finished_at : record.updated_at,
  };
}

/** Total tokens and cost over every attempt. */
export function totals(record: RunRecord): { input: number; output: number; cost_usd: number } {
  return record.attempts.reduce(
    (sum, attempt) => ({
      input: sum.input + attempt.tokens.input,
      output: sum.output + attempt.tokens.output,
      cost_usd: sum.cost_usd + attempt.cost_usd,
    }),
    { input: 0, output: 0, cost_usd: 0 },
  );
}

/** The agent and model (`provider:model`) a task counts under on the Models page and in its causes. */
export interface CodedBy {
  agent: string;
  model: string;
}

/**
 * Who a task counts under: the agent and model of its last proposal that a model answered (the
 * change that merged, or the last one tried). Undefined when no model ever answered for it.
 */
export function codedBy(record: RunRecord): CodedBy | undefined {
  const code = record.attempts.findLast(
    (attempt) => attempt.kind === 'code' && attempt.agent !== null && attempt.model !== null,
  );
  if (!code) return undefined;
  return { agent: code.agent!, model: `${code.provider ?? 'unknown'}:${code.model}` };
}

/** What a step knows of an attempt before the record numbers and times it. */
export type AttemptInput = Omit<Attempt, 'n' | 'iteration' | 'started_at' | 'finished_at'> & {
  started_at: string;
};

/** Who made an attempt, and what its answer cost, when a model answered. */
export interface AttemptSource {
  /** A tool agent has no provider or model: its attempt names them only from its answer. */
  agent?: { name: string; provider?: string; model?: string };
  answer?: {
    provider: string;
    model: string;
    usage: { inputTokens: number; outputTokens: number };
    costUsd: number;
  };
}

/** The fields every attempt of `kind` starts from; the result says "skipped" until a step sets it. */
export function attemptBase(kind: Attempt['kind'], source: AttemptSource, startedAt: string): AttemptInput {
  const { agent, answer } = source;
  return {
    kind,
    agent: agent?.name ?? null,
    provider: answer?.provider ?? agent?.provider ?? null,
    model: answer?.model ?? agent?.model ?? null,
    tokens: { input: answer?.usage.inputTokens ?? 0, output: answer?.usage.outputTokens ?? 0 },
    cost_usd: answer?.costUsd ?? 0,
    started_at: startedAt,
    result: 'skipped',
  };
}

/** `record` with the attempt appended in the record's current iteration, finished at `now`. */
export function withAttempt(record: RunRecord, input: AttemptInput, now: string): RunRecord {
  return appendAttempt(record, { ...input, iteration: Math.max(1, record.iteration), finished_at: now });
}

/** The last attempt of `kind` in `iteration`, if any. */
export function lastAttempt(
  record: RunRecord,
  kind: Attempt['kind'],
  iteration: number,
): Attempt | undefined {
  return record.attempts.findLast((attempt) => attempt.kind === kind && attempt.iteration === iteration);
}

/** The states a person may reopen with `aifactory retry`. */
export const RETRYABLE_STATES: ReadonlySet<RunRecord['state']> = new Set(['failed', 'rejected', 'blocked']);

/**
 * A failed, rejected or blocked task put back to pending by a person: its history stays, and its
 * iteration budget starts again from the iteration it had reached. Its branch starts over from the
 * default branch in the next iteration, unless `keepBranch` (see `restartsBranch`).
 */
export function reopen(record: RunRecord, now: string, options: { keepBranch?: boolean } = {}): RunRecord {
  const { retry_keeps_branch: _, ...rest } = transition(record, 'retry', now);
  return {
    ...rest,
    retry_base: record.iteration,
    ...(options.keepBranch ? { retry_keeps_branch: true as const } : {}),
    last_error: null,
    rejection: null,
    checks_pending_since: null,
  };
}

/** Iterations used since the task was last reopened (or ever). */
export function iterationsUsed(record: RunRecord): number {
  return record.iteration - (record.retry_base ?? 0);
}

/** Whether a proposal was committed to the task's branch in an attempt after `n` (0: ever). */
function pushedAfter(record: RunRecord, n: number): boolean {
  return record.attempts.some(
    (attempt) => attempt.n > n && attempt.kind === 'code' && attempt.result === 'proposed',
  );
}

/**
 * Whether the current iteration starts the task's branch over from the default branch, until a
 * proposal is committed there: after a person's `retry` (the default branch may hold their fix,
 * and the old head its old check results), unless they kept the branch; and after a merge
 * conflict.
 */
export function restartsBranch(record: RunRecord): boolean {
  const conflict = record.attempts.findLast(
    (attempt) => attempt.kind === 'merge' && attempt.result === 'conflict',
  );
  if (conflict && !pushedAfter(record, conflict.n)) return true;
  if (record.retry_base === undefined || record.retry_keeps_branch) return false;
  const retriedAt = record.attempts.findLast((attempt) => attempt.iteration <= record.retry_base!)?.n ?? 0;
  return !pushedAfter(record, retriedAt);
}

/** Whether the current iteration goes on from the task's branch: one was committed and is not started over. */
export function buildsOnBranch(record: RunRecord): boolean {
  return pushedAfter(record, 0) && !restartsBranch(record);
}

/**
 * A person's decision on a pull request that waits for them (needs_human), taken with `aifactory
 * approve` or `close`: merged as `commit`, or closed without merging. Recorded as theirs: the
 * attempt names them, and no agent.
 * @throws FactoryError (`internal`) when the task is not waiting for a person.
 */
export function decidedByPerson(
  record: RunRecord,
  decision: { merged: true; commit: string } | { merged: false },
  by: string,
  now: string,
): RunRecord {
  if (record.state !== 'needs_human') {
    throw new FactoryError('internal', `task ${record.task_id} is ${record.state}, not waiting for a person`);
  }
  const pr = record.pull_request ? `pull request #${record.pull_request.number}` : 'the pull request';
  const base = attemptBase('merge', {}, now);
  if (decision.merged) {
    const attempt = {
      ...base,
      result: 'merged' as const,
      commit: decision.commit,
      summary: `merged by ${by}`,
    };
    return {
      ...transition(withAttempt(record, attempt, now), 'merge', now),
      merged_at: now,
      merge_commit: decision.commit,
      last_error: null,
    };
  }
  const error = { class: 'control_plane' as const, message: `${pr} was closed by ${by} without merging` };
  return {
    ...transition(
      withAttempt(record, { ...base, result: 'skipped', summary: error.message }, now),
      'fail',
      now,
    ),
    // Closed by the person already: the factory has nothing to say on it.
    pull_request: record.pull_request ? { ...record.pull_request, closed: true } : null,
    last_error: error,
  };
}

/** What the factory says on the pull request of a task that ended without merging, once. */
export interface EndNotice {
  /** Keys the comment, so a rerun never posts it twice: one per ending (a retried task may end again). */
  key: string;
  body: string;
}

/**
 * The comment for the pull request of a failed or rejected task that has one and has not been
 * told yet; undefined otherwise. The reason is quoted in a code block, so text from a model or a
 * check cannot mention people, link or format anything.
 */
export function endNotice(record: RunRecord): EndNotice | undefined {
  if (record.state !== 'failed' && record.state !== 'rejected') return undefined;
  if (!record.pull_request || record.pull_request.closed) return undefined;
  const reason = record.rejection
    ? `${record.rejection.rule}${record.rejection.path ? ` (${record.rejection.path})` : ''}: ${record.rejection.message}`
    : record.last_error
      ? `${record.last_error.class}: ${record.last_error.message}`
      : 'no reason was recorded';
  // A fence longer than any run of backticks in the text, so the text cannot close it (CommonMark).
  const longest = Math.max(0, ...(reason.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return {
    key: `${record.state}-${record.iteration}`,
    body: [
      `The factory stopped working on task \`${record.task_id}\` in iteration ${record.iteration}: it is **${record.state}**.`,
      '',
      `${fence}text`,
      reason,
      fence,
      '',
      `This pull request is closed. \`npm run aifactory -- retry ${record.task_id}\` puts the task back to pending, and the next run reopens it.`,
    ].join('\n'),
  };
}
