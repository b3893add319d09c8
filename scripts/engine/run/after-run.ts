// The step after every run: snapshots with the forge's CI state and commit counts, then the state commit.

import { createForge } from '../../forge/index.ts';
import type { Forge } from '../../forge/types.ts';
import { loadConfig } from '../../io/config-loader.ts';
import { SecretGuard } from '../guard/secret-guard.ts';
import { forgeSnapshotInputs, writeSnapshots } from '../report/snapshot-writer.ts';
import { commitState, type PublishOutcome } from '../report/state-publisher.ts';

/** What the after-run step needs besides the repository and the forge. */
export interface AfterRunInput {
  /** How many tasks the run touched (named in the state commit's subject). */
  touched: number;
  /** false with `--no-snapshot`: shared/status/ is left as it is, and the forge is not asked for its CI state. */
  snapshot: boolean;
  /** Where a problem that does not stop the step goes (GitHub withheld its workflow runs, say). */
  warn: (message: string) => void;
  /** The run's environment: its secrets are redacted from the snapshots and the warnings. */
  env?: NodeJS.ProcessEnv;
  /** The time the commit counts are read up to (default: now). */
  now?: Date;
}

/** What the after-run step did, for the command to print. */
export interface AfterRun {
  /** The snapshot writer's report; absent when no snapshot was asked for. */
  snapshots?: Awaited<ReturnType<typeof writeSnapshots>>;
  published: PublishOutcome;
}

/**
 * The one after-run step of `run`, `watch` and `merge-shards`. Writes `shared/status/` with what
 * the forge knows beyond the records (GitHub's CI state and commit counts; the local forge adds
 * nothing), then, on GitHub, commits the run's state to the default branch through the same
 * forge. `forge` is the run's own, still open; its owner closes it after this. Undefined means
 * the state stays in the working tree (`merge-shards` without `--forge github`).
 *
 * A refused state commit is an outcome, not an error: the run itself succeeded.
 */
export async function finishRun(
  root: string,
  forge: Forge | undefined,
  input: AfterRunInput,
): Promise<AfterRun> {
  // A warning can quote GitHub's answer, which can quote anything; it is shown and logged.
  const secrets = SecretGuard.fromEnv(input.env ?? process.env);
  const warn = (message: string) => input.warn(secrets.redact(message));
  let snapshots: AfterRun['snapshots'];
  if (input.snapshot) {
    const inputs = forge ? await forgeSnapshotInputs(root, forge, input.now ?? new Date(), warn) : {};
    snapshots = await writeSnapshots(root, { ...inputs, secrets });
  }
  // A github run's clone is not where anyone looks; a local run's files are already in place.
  const published: PublishOutcome =
    forge?.id === 'github'
      ? await commitState(root, forge, { touched: input.touched })
      : { status: 'skipped', reason: 'the local forge leaves state in the working tree' };
  return { ...(snapshots ? { snapshots } : {}), published };
}

/** The line `run` and `merge-shards` print for the snapshots written. */
export function describeSnapshots(result: NonNullable<AfterRun['snapshots']>): string {
  return `Snapshots: ${result.written.length} written, ${result.unchanged.length} unchanged in shared/status/.`;
}

/**
 * The github forge of the repository at `root`, as its config and `env` describe it: the forge
 * of `merge-shards --forge github`, which folds the shards' runs without running one itself.
 * @throws FactoryError (`config`) when the environment lacks the repository or a token, naming it.
 */
export async function githubForgeFor(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Forge> {
  const config = await loadConfig(root);
  return createForge('github', {
    root,
    env,
    defaultBranch: config.default_branch,
    signedCommits: config.github.signed_commits,
  });
}
