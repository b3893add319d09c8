import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FactoryError } from '../core/errors.ts';
import { isAlive } from '../io/process.ts';
import { type GitResult, runGit } from './git.ts';

/**
 * Runs a git command that takes a lock (`update-ref` locks the ref, `read-tree -u` the index).
 * While it runs, a note in `<git-dir>/aifactory/held/` names this process and the lock file.
 * When git finds the lock taken and the note says its holder is dead (a killed run), the stale
 * lock is removed and the command tried once more; a lock held by a live process is left alone.
 */
export async function lockedGit(
  root: string,
  gitDir: string,
  args: string[],
  throwOnError = false,
): Promise<GitResult> {
  const lock = args[0] === 'update-ref' ? join(gitDir, `${args[1]}.lock`) : join(gitDir, 'index.lock');
  const heldDir = join(gitDir, 'aifactory', 'held');
  const note = join(heldDir, `${process.pid}-${randomUUID()}.json`);
  await mkdir(heldDir, { recursive: true });
  await writeFile(note, JSON.stringify({ pid: process.pid, lock }));
  try {
    let result = await runGit(root, args);
    if (
      result.code !== 0 &&
      /\.lock'?: File exists/.test(result.stderr) &&
      (await clearStaleLocks(heldDir))
    ) {
      result = await runGit(root, args);
    }
    if (result.code !== 0 && throwOnError) {
      throw new FactoryError(
        'forge',
        `git ${args[0]} failed: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`,
      );
    }
    return result;
  } finally {
    await rm(note, { force: true });
  }
}

/** Removes locks whose holder note names a dead process; true when one was removed. */
async function clearStaleLocks(heldDir: string): Promise<boolean> {
  let cleared = false;
  for (const name of await readdir(heldDir).catch(() => [] as string[])) {
    const text = await readFile(join(heldDir, name), 'utf8').catch(() => '');
    let held: { pid: number; lock: string } | undefined;
    try {
      held = JSON.parse(text) as { pid: number; lock: string };
    } catch {
      held = undefined;
    }
    if (held && isAlive(held.pid)) continue;
    if (held) await rm(held.lock, { force: true });
    await rm(join(heldDir, name), { force: true });
    cleared = cleared || held !== undefined;
  }
  return cleared;
}
