import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUDGET_DIR } from '../agents/budget.ts';
import { loadConfig } from '../agents/config-loader.ts';
import { createForge } from '../forge/index.ts';
import { FACTORY_COMMITTER } from '../forge/local.ts';
import type { FileChange, Forge } from '../forge/types.ts';
import { plural } from '../ui/words.ts';
import type { RunOptions } from './factory.ts';
import { RUNS_DIR } from './run-store.ts';
import { STATE_COMMIT_SUBJECT, STATUS_DIR } from './snapshot-writer.ts';

/** The folders of machine state a github run publishes to the default branch. */
export const STATE_DIRS: readonly string[] = [RUNS_DIR, STATUS_DIR, BUDGET_DIR];

/**
 * Snapshot files about the run itself rather than the tasks (when it ran, its calls, the latest
 * workflow runs, the factory's own among them): they differ after every run, so on their own
 * they are not committed; they go along with the next commit that changes a task's state.
 */
export const OBSERVATION_FILES: ReadonlySet<string> = new Set(
  ['run.json', 'agent-status.json', 'ci.json'].map((name) => `${STATUS_DIR}/${name}`),
);

/** Temporary files of an atomic write (`.<file>.<pid>.<n>.tmp`) are never published. */
const TEMP = /^\..+\.\d+\.\d+\.tmp$/;

/** How many files are compared with the default branch at once. */
const READ_CONCURRENCY = 8;

export type PublishOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'unchanged' }
  | { status: 'committed'; commit: string; paths: string[] }
  | { status: 'refused'; message: string };

/** Every file under the state folders of `root`, as repository paths with `/` separators, sorted. */
async function stateFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !TEMP.test(entry.name)) found.push(path);
    }
  };
  for (const dir of STATE_DIRS) await walk(dir);
  return found.sort();
}

/**
 * The state files whose content differs from the default branch's (or that it lacks). Reads
 * only: one `readFile` per file, a few at a time.
 */
export async function changedStateFiles(root: string, forge: Forge): Promise<FileChange[]> {
  const paths = await stateFiles(root);
  const changes: (FileChange | undefined)[] = new Array(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const index = next++;
      const path = paths[index]!;
      const content = await readFile(join(root, path), 'utf8');
      if ((await forge.readFile(path)) !== content) changes[index] = { path, content };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
  return changes.filter((change): change is FileChange => change !== undefined);
}

/**
 * Commits the run's machine state (shared/runs/, shared/status/, shared/budget/) to the default
 * branch of `forge` as one commit authored by the factory. Sends only files that differ from the
 * default branch; sends nothing, and commits nothing, when none do. A refusal (a protected
 * branch, a branch that keeps moving) is returned, not thrown: the run itself succeeded.
 */
export async function commitState(
  root: string,
  forge: Forge,
  input: { touched: number },
): Promise<PublishOutcome> {
  try {
    const changes = await changedStateFiles(root, forge);
    // A run that changed only its own observations did nothing visible: no commit, so no deploy.
    if (changes.every((change) => OBSERVATION_FILES.has(change.path))) return { status: 'unchanged' };
    const commit = await forge.commitToDefaultBranch({
      changes,
      message: `${STATE_COMMIT_SUBJECT} (${plural(input.touched, 'task')} touched)`,
      author: FACTORY_COMMITTER,
    });
    return commit === undefined
      ? { status: 'unchanged' }
      : { status: 'committed', commit, paths: changes.map((change) => change.path) };
  } catch (error) {
    return { status: 'refused', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * After a run with `--forge github` (and after its snapshots are written): publishes the run's
 * state to the default branch, since a github run's clone is not where anyone looks. With the
 * local forge the files are already in the working tree, for the person to commit; nothing is
 * done.
 */
export async function publishState(
  root: string,
  options: Pick<RunOptions, 'forge' | 'env' | 'github'>,
  input: { touched: number },
): Promise<PublishOutcome> {
  if (options.forge !== 'github')
    return { status: 'skipped', reason: 'the local forge leaves state in the working tree' };
  const config = await loadConfig(root);
  const forge = await createForge('github', {
    root,
    env: options.env ?? process.env,
    ...(options.github ? { github: options.github } : {}),
    defaultBranch: config.default_branch,
    signedCommits: config.github.signed_commits,
  });
  return commitState(root, forge, input);
}

/** The line `run` and `watch` print for an outcome, or undefined when there is nothing to say. */
export function describePublish(outcome: PublishOutcome): string | undefined {
  switch (outcome.status) {
    case 'skipped':
      return undefined;
    case 'unchanged':
      return 'State: the default branch already holds shared/runs/ and shared/status/; no commit.';
    case 'committed':
      return `State: ${plural(outcome.paths.length, 'file')} committed to the default branch (${outcome.commit.slice(0, 7)}).`;
    case 'refused':
      return `Warning: the run's state (shared/runs/, shared/status/) was not committed to the default branch: ${outcome.message}. The run itself finished; allow the factory's token to push to the default branch (or exempt it from branch protection), or commit those folders yourself. The next run tries again.`;
  }
}
