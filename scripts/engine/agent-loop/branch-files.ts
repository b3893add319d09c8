/** The task branch's own change, read through the forge: what an agent's working copy goes on from after the first iteration. */
import { branchFor, buildsOnBranch } from '../../core/record-ops.ts';
import type { ChangedFile, PullRequest } from '../../forge/types.ts';
import type { TaskContext } from '../task-context.ts';
import type { BranchFiles } from '../tools/working-copy.ts';

/**
 * The branch files of a pull request, from what the forge says it changes and the contents at its
 * head (`written`, as read by the caller): a file the forge lists but cannot read at the head is
 * left to the disk, as the default branch holds it.
 */
export function branchFilesOf(
  changed: readonly ChangedFile[],
  written: ReadonlyMap<string, string | undefined>,
): BranchFiles {
  const contents = new Map<string, string>();
  for (const [path, content] of written) if (content !== undefined) contents.set(path, content);
  return {
    written: contents,
    deleted: changed.filter((file) => file.status === 'deleted').map((file) => file.path),
  };
}

/**
 * What the coder's working copy goes on from: nothing in the first iteration or on a branch that
 * starts over (the disk's default branch is the base then), else the whole change of the task's
 * pull request at its head, over every earlier iteration.
 * @throws FactoryError from the forge, as any read of the branch does.
 */
export async function coderBranchFiles(ctx: TaskContext): Promise<BranchFiles | undefined> {
  if (!buildsOnBranch(ctx.record)) return undefined;
  const { forge } = ctx.services;
  const pr = await forge.findPullRequest(branchFor(ctx.record.task_id));
  // A proposal is recorded only once its pull request is open, so one is there to read; a
  // forge that lists none has nothing newer than the default branch to show.
  if (!pr) return undefined;
  return pullRequestFiles(ctx, pr);
}

/** The whole change of `pr` at its head, as branch files. */
export async function pullRequestFiles(ctx: TaskContext, pr: PullRequest): Promise<BranchFiles> {
  const changed = await ctx.services.forge.changedFiles(pr);
  const present = changed.filter((file) => file.status !== 'deleted').map((file) => file.path);
  return branchFilesOf(changed, await ctx.readFiles(present, pr.head));
}
