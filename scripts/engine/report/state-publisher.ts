// Publishes a github run's state: changed files under shared/ as one commit to the default branch.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUDGET_DIR } from '../../agents/budget/ledger.ts';
import { FactoryError } from '../../core/errors.ts';
import { FACTORY_COMMITTER } from '../../forge/commit-message.ts';
import type { FileChange, Forge } from '../../forge/types.ts';
import { plural } from '../../ui/words.ts';
import { RUNS_DIR } from '../store/run-store.ts';
import { STATE_COMMIT_SUBJECT, STATUS_DIR } from './snapshot-writer.ts';

/** The folders of machine state a github run publishes to the default branch. */
export const STATE_DIRS: readonly string[] = [RUNS_DIR, STATUS_DIR, BUDGET_DIR];

/**
 * Files that change with every run whether or not anything happened: when the last run started
 * and what it saw of the agents (`run.json`, `agent-status.json`, the summary's `last_run`), and
 * the latest workflow runs (each scheduled run is one, and a state commit starts CI). They ride
 * along with a commit but never make one: a run with nothing to do commits nothing, and a change
 * to the tasks always shows in the records, `tasks.json` or the budget as well.
 */
export const RIDE_ALONG: ReadonlySet<string> = new Set(
  ['ci.json', 'run.json', 'agent-status.json', 'summary.json'].map((name) => `${STATUS_DIR}/${name}`),
);

/** Temporary files of an atomic write (`.<file>.<pid>.<n>.tmp`) are never published. */
const TEMP = /^\..+\.\d+\.\d+\.tmp$/;

/** How many files are compared with the default branch at once. */
const READ_CONCURRENCY = 8;

export type PublishOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'unchanged' }
  | { status: 'committed'; commit: string; paths: string[] }
  | { status: 'refused'; message: string }
  /** GitHub was out of reach or failing (a network error, a 5xx, a timeout): nothing to fix but time. */
  | { status: 'outage'; message: string };

/** GitHub out of reach or failing: a network error, a 5xx, a timeout (a rate limit is GitHub's answer). */
function isOutage(error: unknown): boolean {
  return error instanceof FactoryError && ['network', 'server', 'timeout'].includes(error.errorClass);
}

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
 * default branch; sends nothing, and commits nothing, when none do (or only RIDE_ALONG ones do). A refusal (a protected
 * branch, a branch that keeps moving) is returned, not thrown: the run itself succeeded.
 */
export async function commitState(
  root: string,
  forge: Forge,
  input: { touched: number },
): Promise<PublishOutcome> {
  try {
    const changes = await changedStateFiles(root, forge);
    if (changes.every((change) => RIDE_ALONG.has(change.path))) return { status: 'unchanged' };
    const outcome = await forge.commitToDefaultBranch({
      changes,
      message: `${STATE_COMMIT_SUBJECT} (${plural(input.touched, 'task')} touched)`,
      author: FACTORY_COMMITTER,
    });
    return outcome.kind === 'unchanged'
      ? { status: 'unchanged' }
      : { status: 'committed', commit: outcome.commit, paths: changes.map((change) => change.path) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return isOutage(error) ? { status: 'outage', message } : { status: 'refused', message };
  }
}

/** The line `run`, `watch` and `merge-shards` print for an outcome, or undefined when there is nothing to say. */
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
    case 'outage':
      return `Warning: the run's state (shared/runs/, shared/status/) was not committed to the default branch: ${outcome.message}. A transient outage: the next run commits it.`;
  }
}
