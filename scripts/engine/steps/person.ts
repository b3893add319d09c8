// What a person did to a task's pull request while the factory worked on it: merged, closed, branch deleted.
import { transition } from '../../core/record/record-ops.ts';
import type { PullRequest } from '../../forge/types.ts';
import type { TaskContext } from '../run/task-context.ts';

/** A person's decision on a task's pull request, as data (STYLE.md 1b). */
export type PersonDecision =
  | { kind: 'merged'; head: string }
  | { kind: 'closed'; number: number }
  | { kind: 'branch_gone'; number: number };

/** The decision a pull request shows, or undefined while it is open. */
export function decisionOn(pr: PullRequest): PersonDecision | undefined {
  if (pr.state === 'open') return undefined;
  if (pr.state === 'merged') return { kind: 'merged', head: pr.head };
  return pr.headGone ? { kind: 'branch_gone', number: pr.number } : { kind: 'closed', number: pr.number };
}

/**
 * Records a person's decision and ends the task with it: merged by a person is merged; closed, or
 * its branch deleted, fails the task with that reason (a person's `retry` starts it again), so no
 * later run reviews, waits for checks or merges a pull request that is no longer there to act on.
 */
export async function recordDecision(
  ctx: TaskContext,
  decision: PersonDecision,
  note?: string,
): Promise<true> {
  const base = ctx.attempt('merge', ctx.services.now());
  switch (decision.kind) {
    case 'merged': {
      const now = ctx.now();
      const merged = ctx.withAttempt({ ...base, result: 'merged', commit: decision.head });
      ctx.say(note ?? 'merged by a person');
      await ctx.save({ ...transition(merged, 'merge', now), merged_at: now, last_error: null });
      return true;
    }
    case 'closed': {
      const message = `pull request #${decision.number} was closed by a person without merging; \`retry\` the task to work on it again`;
      ctx.say(message);
      await ctx.fail(
        { class: 'forge', message },
        ctx.withAttempt({ ...base, result: 'closed', output: message }),
      );
      return true;
    }
    case 'branch_gone': {
      const message = `the branch of pull request #${decision.number} was deleted by a person, which closed it; \`retry\` the task to start again from the default branch`;
      ctx.say(message);
      await ctx.fail(
        { class: 'forge', message },
        ctx.withAttempt({ ...base, result: 'branch_gone', output: message }),
      );
      return true;
    }
  }
}

/** Records what a person did to `pr`, if it is no longer open; true when the task ended there. */
export async function personDecided(ctx: TaskContext, pr: PullRequest): Promise<boolean> {
  const decision = decisionOn(pr);
  return decision ? recordDecision(ctx, decision) : false;
}
