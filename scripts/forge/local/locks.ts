// Git's locks in the local forge: stale locks of a killed run cleared, refs moved in `update-ref` transactions.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { FactoryError } from '../../core/errors.ts';
import { isAlive, Mutex } from '../../io/process.ts';
import { GitPipe, type GitResult, runGit } from './git.ts';
import { type GitDirs, headPointsAt } from './worktrees.ts';

/**
 * Runs a git command that takes the index lock (`read-tree -u`). While it runs, a note in
 * `<common-dir>/aifactory/held/` names this process and the lock. When git finds a lock taken and
 * a note says its holder is dead (a killed run), the stale locks are removed and the command tried
 * once more; a lock held by a live process is left alone. Refs move through `RefUpdates`.
 */
export function lockedGit(root: string, dirs: GitDirs, args: string[]): Promise<GitResult> {
  return holding(dirs, [join(dirs.gitDir, 'index.lock')], () => runGit(root, args));
}

/**
 * The lock files git takes to move `ref` (a branch, shared by every worktree): the ref's own and,
 * when this checkout's HEAD points at the ref, HEAD's, since git writes the move to HEAD's reflog
 * as well. A run killed between git taking them and committing leaves both behind.
 */
async function refLocks(dirs: GitDirs, ref: string): Promise<string[]> {
  const own = join(dirs.commonDir, `${ref}.lock`);
  return (await headPointsAt(dirs.gitDir, ref)) ? [own, join(dirs.gitDir, 'HEAD.lock')] : [own];
}

/**
 * Runs `work` (a git command taking `locks`) with a note naming this process as their holder;
 * when git finds a lock taken by a process that is dead, its locks are cleared and `work` runs
 * again.
 */
async function holding(dirs: GitDirs, locks: string[], work: () => Promise<GitResult>): Promise<GitResult> {
  // Shared by the worktrees, so a run in one clears what a killed run in another left.
  const heldDir = join(dirs.commonDir, 'aifactory', 'held');
  const note = join(heldDir, `${process.pid}-${randomUUID()}.json`);
  await mkdir(heldDir, { recursive: true });
  await writeFile(note, JSON.stringify({ pid: process.pid, locks }));
  try {
    let result = await work();
    if (
      result.code !== 0 &&
      /\.lock'?: File exists/.test(result.stderr) &&
      (await clearStaleLocks(dirs.commonDir, heldDir))
    ) {
      result = await work();
    }
    return result;
  } finally {
    await rm(note, { force: true });
  }
}

/**
 * Ref updates through one long-lived `git update-ref --stdin -z`: each move is a transaction
 * (start, compare-and-swap update, prepare, commit) that locks and logs as `git update-ref` does,
 * for a pipe write instead of a process start. One transaction at a time: when one fails, git
 * ends, and the next move starts it again. Stale locks are cleared as `lockedGit` clears them.
 */
export class RefUpdates {
  readonly #dirs: GitDirs;
  readonly #pipe: GitPipe<true>;
  readonly #turn = new Mutex();

  constructor(root: string, dirs: GitDirs) {
    this.#dirs = dirs;
    this.#pipe = new GitPipe<true>(root, ['update-ref', '--stdin', '-z'], (buffer) => {
      const done = buffer.indexOf('commit: ok\n');
      return done === -1 ? undefined : { value: true, used: done + 'commit: ok\n'.length };
    });
  }

  /**
   * Moves `ref` to `to` if it is at `from` (all zeros: if it does not exist); throws otherwise.
   * The note names the ref's lock, and HEAD's when HEAD points at the ref (see `refLocks`).
   */
  async move(ref: string, to: string, from: string): Promise<void> {
    if (/[\0\n]/.test(`${ref}${to}${from}`)) throw new FactoryError('forge', `"${ref}" cannot be a ref`);
    const request = `start\0update ${ref}\0${to}\0${from}\0prepare\0commit\0`;
    const result = await this.#turn.run(async () =>
      holding(this.#dirs, await refLocks(this.#dirs, ref), () =>
        this.#pipe.request(request).then(
          (): GitResult => ({ code: 0, stdout: '', stderr: '' }),
          (error: Error): GitResult => ({ code: 1, stdout: '', stderr: error.message }),
        ),
      ),
    );
    if (result.code !== 0) throw new FactoryError('forge', `git update-ref failed: ${result.stderr}`);
  }

  close(): void {
    this.#pipe.close();
  }
}

/** What a holder note says: who holds which lock files (`lock`: one, in notes of older versions). */
const HeldNote = z.object({
  pid: z.number().int(),
  locks: z.array(z.string()).optional(),
  lock: z.string().optional(),
});

/**
 * Removes the locks of notes whose holder is dead; true when one was removed. Only lock files
 * inside `commonDir` (which holds every worktree's own git folder too) are ever removed.
 */
async function clearStaleLocks(commonDir: string, heldDir: string): Promise<boolean> {
  let cleared = false;
  for (const name of await readdir(heldDir).catch(() => [] as string[])) {
    const text = await readFile(join(heldDir, name), 'utf8').catch(() => '');
    let held: z.infer<typeof HeldNote> | undefined;
    try {
      held = HeldNote.parse(JSON.parse(text));
    } catch {
      // Half written by a run killed before its git started: it holds no lock.
      held = undefined;
    }
    if (held && isAlive(held.pid)) continue;
    // Only git's own lock files are ever removed, whatever a note names.
    const locks = (
      held ? [...(held.locks ?? []), ...(held.lock === undefined ? [] : [held.lock])] : []
    ).filter(
      (lock) => isAbsolute(lock) && lock.endsWith('.lock') && !relative(commonDir, lock).startsWith('..'),
    );
    await Promise.all(locks.map((lock) => rm(lock, { force: true })));
    await rm(join(heldDir, name), { force: true });
    cleared = cleared || locks.length > 0;
  }
  return cleared;
}
