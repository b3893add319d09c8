/** The accepted change of a merged task, read from git: where it started, its head, its tests and its size. */

import { FactoryError } from '../../core/errors.ts';
import { looksBinary } from '../../core/protocol/protocol.ts';
import { isTestPath, numstatLines } from '../../core/record/eval-plan.ts';
import { git, runGit } from '../../forge/local/git.ts';
import type { FileChange } from '../../forge/types.ts';

/** A merged task's change as it was accepted, and what the replay needs of it. */
export interface AcceptedChange {
  /** Where the change started: the replay starts here too. */
  base: string;
  /** The change's last commit: its tests are read here. */
  head: string;
  /** The recorded merge commit. */
  merge: string;
  /** Test files the change added or modified, with their content at `head` (text files only). */
  hiddenTests: FileChange[];
  /** Lines added plus removed, from `base` to `head`. */
  diffLines: number;
}

const SHA = /^[0-9a-f]{40,64}$/;

/**
 * Reads the change merged as `mergeCommit` in the repository at `root`. A merge commit's change is
 * its second parent's branch from where it left the first parent's line (their merge base) to
 * that parent; a squashed or rebased merge (one parent) is the commit itself over its parent.
 * Nothing else is needed from the run record, so records written before eval existed replay too.
 * @throws FactoryError (`forge`) when the commit is not in this clone (fetch it, or deepen a
 *   shallow clone), or has no parent.
 */
export async function readAcceptedChange(root: string, mergeCommit: string): Promise<AcceptedChange> {
  const listed = await runGit(root, ['rev-list', '--parents', '-n', '1', `${mergeCommit}^{commit}`, '--']);
  const [merge, first, second] = listed.stdout.trim().split(' ');
  if (listed.code !== 0 || !merge || !SHA.test(merge)) {
    throw new FactoryError(
      'forge',
      `merge commit ${mergeCommit.slice(0, 12)} is not in this clone; fetch the default branch (a shallow clone needs \`git fetch --unshallow\`)`,
    );
  }
  if (!first) throw new FactoryError('forge', `commit ${merge.slice(0, 12)} has no parent to replay from`);
  const head = second ?? merge;
  const base = second ? await git(root, ['merge-base', first, second]) : first;
  const [names, diffLines] = await Promise.all([
    git(root, ['diff', '--name-status', '--no-renames', '-z', base, head]),
    diffLinesBetween(root, base, head),
  ]);
  const fields = names.split('\0').filter(Boolean);
  const hiddenTests: FileChange[] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const status = fields[index]!;
    const path = fields[index + 1]!;
    if ((status !== 'A' && status !== 'M') || !isTestPath(path)) continue;
    const blob = await runGit(root, ['cat-file', 'blob', `${head}:${path}`]);
    if (blob.code !== 0 || looksBinary(blob.stdout)) continue;
    hiddenTests.push({ path, content: blob.stdout });
  }
  return { base, head, merge, hiddenTests, diffLines };
}

/** Lines added plus removed between two commits of the repository at `root`. */
export async function diffLinesBetween(root: string, from: string, to: string): Promise<number> {
  return numstatLines(await git(root, ['diff', '--numstat', '--no-renames', from, to]));
}
