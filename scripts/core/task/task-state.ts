// The task state machine: the states, the events that move a task, and the one table of transitions. Pure.
/**
 * The task state machine of DESIGN.md. Pure: the engine asks `nextState` and records the answer.
 *
 *   pending → running → proposed → reviewing → approved → merged
 *               ▲   │                  │  │        │
 *               │   ▼                  │  └────────┴→ needs_human → merged (by a person)
 *               └─ changes_requested ◄─┘
 * running → changes_requested: the answer was no proposal, or it changed nothing.
 * Ends: merged, failed (retries exhausted), rejected (protocol violation), blocked (a dependency failed).
 * `needs_human` is a wait, not an end: an approved change to the control plane, or a head on which
 * no check came (no checks, no automatic merge), which the factory never merges; it becomes merged
 * when a person merges it, or failed when a person closes it.
 * A person may merge the pull request by hand at any point after it is proposed: `merge` is
 * allowed from reviewing and changes_requested too.
 */
export const TASK_STATES = [
  'pending',
  'running',
  'proposed',
  'reviewing',
  'changes_requested',
  'approved',
  'needs_human',
  'merged',
  'failed',
  'rejected',
  'blocked',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

/** The states a run leaves a task in for good. */
export const FINAL_STATES: ReadonlySet<TaskState> = new Set(['merged', 'failed', 'rejected', 'blocked']);

/** The events that move a task. */
export type TaskEvent =
  | 'start'
  | 'propose'
  | 'review'
  | 'approve'
  | 'request_changes'
  | 'merge'
  | 'fail'
  | 'reject'
  | 'block'
  | 'hold'
  | 'retry';

const TRANSITIONS: Readonly<Record<TaskState, Partial<Record<TaskEvent, TaskState>>>> = {
  pending: { start: 'running', block: 'blocked', fail: 'failed' },
  // `request_changes` when the answer is no proposal, or changes nothing: the coder tries again.
  running: { propose: 'proposed', reject: 'rejected', request_changes: 'changes_requested', fail: 'failed' },
  proposed: { review: 'reviewing', fail: 'failed' },
  // `hold` from review too: a change the forge cannot show whole, or a head on which no check came
  // (no checks, no automatic merge), is for a person to judge.
  reviewing: {
    approve: 'approved',
    request_changes: 'changes_requested',
    hold: 'needs_human',
    merge: 'merged',
    fail: 'failed',
  },
  changes_requested: { start: 'running', merge: 'merged', fail: 'failed' },
  // `review` again when the head moved after the approval; `request_changes` on a merge conflict.
  approved: {
    merge: 'merged',
    review: 'reviewing',
    request_changes: 'changes_requested',
    hold: 'needs_human',
    fail: 'failed',
  },
  needs_human: { merge: 'merged', fail: 'failed' },
  merged: {},
  failed: { retry: 'pending' },
  rejected: { retry: 'pending' },
  blocked: { retry: 'pending' },
};

/** The state after `event`, or undefined when the event is not allowed in `state`. */
export function nextState(state: TaskState, event: TaskEvent): TaskState | undefined {
  return TRANSITIONS[state][event];
}

/** True when `event` may happen in `state`. */
export function canTransition(state: TaskState, event: TaskEvent): boolean {
  return nextState(state, event) !== undefined;
}

export function isFinal(state: TaskState): boolean {
  return FINAL_STATES.has(state);
}
