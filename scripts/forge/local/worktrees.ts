// A checkout's git folders, and whether a branch is checked out in another worktree of the repository.
import { access, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { runGit } from './git.ts';

/**
 * Where a checkout's git files are: `gitDir` holds its own (HEAD, the index), `commonDir` those
 * every worktree of the repository shares (refs, objects). The same folder in a clone; in a linked
 * worktree, `gitDir` is `<commonDir>/worktrees/<name>`.
 */
export interface GitDirs {
  gitDir: string;
  commonDir: string;
}

/** Whether the HEAD in `gitDir` points at `ref`: read from the file, as `git symbolic-ref` does. */
export async function headPointsAt(gitDir: string, ref: string): Promise<boolean> {
  const head = await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => '');
  return head.trim() === `ref: ${ref}`;
}

/**
 * Where `branch` is checked out in a worktree of the repository other than the one at `dirs`, if
 * it is: the local forge moves the branch, and the files and index of that checkout would stay
 * behind, showing every merge as a change to undo. Read from git's own files, as
 * `git worktree list` reads them; a repository without linked worktrees (a clone) costs one
 * folder listing.
 */
export async function checkedOutElsewhere(
  root: string,
  dirs: GitDirs,
  branch: string,
): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  const linked = await readdir(join(dirs.commonDir, 'worktrees')).catch(() => [] as string[]);
  for (const name of linked) {
    const gitDir = join(dirs.commonDir, 'worktrees', name);
    if (resolve(gitDir) === resolve(dirs.gitDir)) continue;
    if (!(await headPointsAt(gitDir, ref))) continue;
    // `gitdir` names the checkout's `.git` file; a checkout deleted without `git worktree
    // remove` (prunable) holds nothing to leave behind.
    const checkout = dirname((await readFile(join(gitDir, 'gitdir'), 'utf8').catch(() => '')).trim());
    if (
      await access(checkout).then(
        () => true,
        () => false,
      )
    )
      return checkout;
  }
  // From a linked worktree, the main one: its HEAD is the common folder's, unless it is bare.
  if (resolve(dirs.gitDir) === resolve(dirs.commonDir)) return undefined;
  if (!(await headPointsAt(dirs.commonDir, ref))) return undefined;
  const bare = await runGit(root, [
    'config',
    '--file',
    join(dirs.commonDir, 'config'),
    '--bool',
    'core.bare',
  ]);
  if (bare.stdout.trim() === 'true') return undefined;
  return basename(dirs.commonDir) === '.git' ? dirname(dirs.commonDir) : dirs.commonDir;
}
