/** What a coder's iteration starts from besides the task: the task branch's own change, and the repository map. */
import { toErrorInfo } from '../../core/errors.ts';
import { branchFor, buildsOnBranch } from '../../core/record/record-ops.ts';
import type { ChangedFile, PullRequest } from '../../forge/types.ts';
import type { TaskContext } from '../run/task-context.ts';
import { repoMapText } from '../tools/repo-map.ts';
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

/**
 * The repository map of the coder's first prompt, ranked by the task's title, description, files
 * and scope, within `agent_loop.repo_map_tokens` (empty at 0), with the branch's change over the
 * checked-out commit. A map git cannot build is left out with a warning: it helps, it decides nothing.
 */
export async function taskRepoMap(ctx: TaskContext, branch: BranchFiles | undefined): Promise<string> {
  const { task, services } = ctx;
  const focus = {
    text: `${task.title ?? ''}\n${task.description}`,
    files: task.files,
    ...(task.scope ? { scope: task.scope } : {}),
  };
  try {
    return await repoMapText(services.root, focus, services.config.agent_loop.repo_map_tokens, branch);
  } catch (error) {
    services.progress.warn?.(
      `${task.task_id}: the repository map was left out of the prompt (${toErrorInfo(error).message})`,
    );
    return '';
  }
}
