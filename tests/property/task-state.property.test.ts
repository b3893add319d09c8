import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  FINAL_STATES,
  isFinal,
  nextState,
  TASK_STATES,
  type TaskEvent,
  type TaskState,
} from '../../scripts/core/task/task-state.ts';

const EVENTS: readonly TaskEvent[] = [
  'start',
  'propose',
  'review',
  'approve',
  'request_changes',
  'merge',
  'fail',
  'reject',
  'block',
  'hold',
  'retry',
];

/**
 * An independent model of the lifecycle in DESIGN.md: a task walks the happy path, may loop
 * through review, and ends merged, failed, rejected or blocked; only a retry reopens an end. An
 * approved change, or one under review that the forge cannot show whole or on which no check
 * came, may be held for a person, who merges it (merged) or closes it (failed). A person may also
 * merge a change by hand while it is under review or back with the coder.
 */
class LifecycleModel {
  state: TaskState = 'pending';
  iterations = 0;

  expected(event: TaskEvent): TaskState | undefined {
    const s = this.state;
    if (s === 'merged') return undefined;
    if (s === 'failed' || s === 'rejected' || s === 'blocked')
      return event === 'retry' ? 'pending' : undefined;
    if (event === 'fail') return 'failed';
    switch (event) {
      case 'start':
        return s === 'pending' || s === 'changes_requested' ? 'running' : undefined;
      case 'block':
        return s === 'pending' ? 'blocked' : undefined;
      case 'propose':
      case 'reject':
        if (s !== 'running') return undefined;
        return event === 'propose' ? 'proposed' : 'rejected';
      case 'review':
        return s === 'proposed' || s === 'approved' ? 'reviewing' : undefined;
      case 'approve':
        return s === 'reviewing' ? 'approved' : undefined;
      case 'request_changes':
        // From running: the answer was no proposal, or changed nothing.
        return s === 'reviewing' || s === 'approved' || s === 'running' ? 'changes_requested' : undefined;
      case 'merge':
        // The factory merges an approved change; a person may merge by hand any proposed one.
        return ['approved', 'needs_human', 'reviewing', 'changes_requested'].includes(s)
          ? 'merged'
          : undefined;
      case 'hold':
        // An approved change to the control plane; under review, a change too large to compare or a
        // head on which no check came in time.
        return s === 'approved' || s === 'reviewing' ? 'needs_human' : undefined;
      default:
        return undefined;
    }
  }
}

class EventCommand implements fc.Command<LifecycleModel, { state: TaskState }> {
  readonly event: TaskEvent;

  constructor(event: TaskEvent) {
    this.event = event;
  }
  check(): boolean {
    return true;
  }
  run(model: LifecycleModel, real: { state: TaskState }): void {
    const expected = model.expected(this.event);
    expect(canTransition(real.state, this.event)).toBe(expected !== undefined);
    const next = nextState(real.state, this.event);
    expect(next).toBe(expected);
    if (next !== undefined) {
      real.state = next;
      model.state = next;
      if (next === 'changes_requested') model.iterations += 1;
    }
    expect(isFinal(real.state)).toBe(FINAL_STATES.has(model.state));
  }
  toString(): string {
    return this.event;
  }
}

describe('task state machine', () => {
  it('agrees with the lifecycle model on every sequence of events', () => {
    const commands = fc.commands(
      EVENTS.map((event) => fc.constant(new EventCommand(event))),
      { size: '+1' },
    );
    fc.assert(
      fc.property(commands, (cmds) => {
        fc.modelRun(() => ({ model: new LifecycleModel(), real: { state: 'pending' as TaskState } }), cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('never leaves merged, and reaches merged only from approved or a change a person merged', () => {
    for (const event of EVENTS) expect(nextState('merged', event)).toBeUndefined();
    for (const state of TASK_STATES) {
      const reachesMerged = EVENTS.some((event) => nextState(state, event) === 'merged');
      const byPerson = state === 'needs_human' || state === 'reviewing' || state === 'changes_requested';
      expect(reachesMerged).toBe(state === 'approved' || byPerson);
    }
  });

  it('treats exactly merged, failed, rejected and blocked as final', () => {
    expect(TASK_STATES.filter(isFinal)).toEqual(['merged', 'failed', 'rejected', 'blocked']);
  });
});
