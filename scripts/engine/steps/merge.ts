// The merge step: an approved pull request merged, or held for a person, sent back to review or to the coder.
import { controlPlaneChanges } from '../../core/protocol/control-plane.ts';
import { branchFor, lastAttempt, transition } from '../../core/record/record-ops.ts';
import { singleLine } from '../../core/security/sanitize.ts';
import { HOLD_LABEL } from '../../forge/labels.ts';
import type { PullRequest } from '../../forge/types.ts';
import { listed } from '../../ui/words.ts';
import type { TaskContext } from '../run/task-context.ts';
import { personDecided, recordDecision } from './person.ts';

/**
 * Merges an approved pull request, if it may be: a change to the control plane waits for a person,
 * a head that moved since the approval goes back to review, a conflict goes back to the coder, and
 * a forge that is not ready yet (checks, mergeability, auto-merge) makes the task wait.
 */
export async function merge(ctx: TaskContext): Promise<boolean> {
  const { forge } = ctx.services;
  const record = ctx.record;
  const started = ctx.services.now();
  const pr = await forge.findPullRequest(branchFor(record.task_id));
  if (!pr) return pullRequestGone(ctx);
  // Merged by auto-merge since the last run, or by a person.
  if (pr.state === 'merged') return recordDecision(ctx, { kind: 'merged', head: pr.head }, 'merged');
  if (await personDecided(ctx, pr)) return true;
  if (await holdForPerson(ctx, pr)) return true;
  const approved = lastAttempt(record, 'review', record.iteration)?.commit ?? pr.head;
  const outcome = await forge.merge(pr, {
    message: `Merge task ${record.task_id}: ${singleLine(record.title ?? record.task_id)}`,
    head: approved,
  });
  const base = ctx.attempt('merge', started);
  switch (outcome.kind) {
    case 'merged': {
      const merged = ctx.withAttempt({ ...base, result: 'merged', commit: outcome.commit });
      ctx.say(`merged as ${outcome.commit.slice(0, 12)}`);
      const now = ctx.now();
      await ctx.save({
        ...transition(merged, 'merge', now),
        merged_at: now,
        merge_commit: outcome.commit,
        last_error: null,
      });
      return true;
    }
    case 'queued':
    case 'waiting':
      return ctx.pause({
        class: 'forge',
        message: `${outcome.kind === 'queued' ? 'auto-merge is armed' : 'not mergeable yet'}: ${outcome.reason}`,
      });
    case 'head_moved': {
      ctx.say(`the head moved to ${outcome.head.slice(0, 12)} after the approval; back to review`);
      const moved = ctx.withAttempt({ ...base, result: 'head_moved', commit: outcome.head });
      await ctx.save(transition(moved, 'review', ctx.now()));
      return true;
    }
    case 'conflict': {
      const paths = outcome.paths.join(', ') || 'some files';
      ctx.say(`conflicts with the default branch in ${paths}; back to the coder on a fresh branch`);
      const conflicted = ctx.withAttempt({
        ...base,
        result: 'conflict',
        commit: approved,
        output: `conflicts in ${paths}`,
      });
      await ctx.save(transition(conflicted, 'request_changes', ctx.now()));
      return true;
    }
    case 'closed':
      // A person closed it, or deleted its branch, since it was read above.
      return recordDecision(
        ctx,
        outcome.headGone ? { kind: 'branch_gone', number: pr.number } : { kind: 'closed', number: pr.number },
      );
  }
}

/** The task's pull request cannot be found at all: the task ends, rather than failing every run. */
export async function pullRequestGone(ctx: TaskContext): Promise<true> {
  await ctx.fail({
    class: 'forge',
    message: `the pull request for ${branchFor(ctx.record.task_id)} is gone`,
  });
  return true;
}

/**
 * Holds an approved pull request that touches the control plane for a person: the factory never
 * merges such a change, whatever the agent was granted and whatever the reviewer said. Judged on
 * the whole branch against the default branch, so no iteration can slip a path past it.
 */
async function holdForPerson(ctx: TaskContext, pr: PullRequest): Promise<boolean> {
  const { forge, config } = ctx.services;
  const changed = await forge.changedFiles(pr);
  const hits = controlPlaneChanges(
    changed.map((file) => file.path),
    { plugins: config.plugins, controlPlaneDirs: config.protocol.control_plane_dirs },
  );
  if (hits.length === 0) return false;
  await forge.labelPullRequest(pr, [HOLD_LABEL]);
  const paths = hits.map(({ path }) => path);
  const shown = listed(paths, 5);
  const reason = {
    class: 'control_plane' as const,
    message: `touches the control plane (${shown}: ${hits[0]!.hit.reason}); the factory never merges such a change: a person reviews and merges pull request #${pr.number}`,
  };
  ctx.say(`waiting for a person: ${reason.message}`);
  await ctx.save({ ...transition(ctx.record, 'hold', ctx.now()), last_error: reason });
  return true;
}

/** A held pull request: merged or closed by a person, or still waiting for one. */
export async function awaitPerson(ctx: TaskContext): Promise<boolean> {
  const pr = await ctx.services.forge.findPullRequest(branchFor(ctx.record.task_id));
  if (pr?.state === 'merged') return recordDecision(ctx, { kind: 'merged', head: pr.head });
  if (!pr || pr.state === 'closed') {
    await ctx.fail({
      // The class of the hold: a change to the control plane, or a head without checks.
      class: ctx.record.last_error?.class ?? 'control_plane',
      message: `pull request ${pr ? `#${pr.number} ` : ''}was closed by a person without merging`,
    });
    return true;
  }
  return false;
}
