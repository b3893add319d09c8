// `aifactory plan-shards` and `merge-shards`: the factory workflow's matrix of workers, and folding their work.
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { planRun } from '../core/task/schedule.ts';
import { shardCount, shardMatrix } from '../core/task/shard.ts';
import type { TaskState } from '../core/task/task-state.ts';
import { describePublish } from '../engine/report/state-publisher.ts';
import { describeSnapshots, finishRun, githubForgeFor } from '../engine/run/after-run.ts';
import { RunStore } from '../engine/store/run-store.ts';
import { foldShards, shardFolders } from '../engine/store/shard-merge.ts';
import { loadRunnableTasks } from '../engine/store/task-files.ts';
import { FORGE_KINDS } from '../forge/index.ts';
import { plural } from '../ui/words.ts';

/** `aifactory plan-shards`: the matrix of the factory workflow's workers, as one line of JSON. */
export function registerPlanShards(program: Command): void {
  program
    .command('plan-shards')
    .description(
      'Print the matrix for the factory workflow: one shard while the pending tasks are within shards.threshold, else one per threshold (at most shards.max).',
    )
    .option('--single', 'always one shard (a dispatch with chosen task ids, or a dry run)')
    .addHelpText(
      'after',
      `
Prints one line of JSON on stdout, e.g. {"count":2,"shard":["1/2","2/2"],"pending":57}.
"pending" counts the tasks that are not merged, failed, rejected or blocked for good. Each
worker then runs \`aifactory run --once --forge github --shard <i/n>\`, and \`aifactory
merge-shards\` folds their records and commits once. Invalid task files are named on stderr.

Example (a step of the workflow's plan job):
  echo "matrix=$(npm run --silent aifactory -- plan-shards)" >> "$GITHUB_OUTPUT"`,
    )
    .action(async (flags: { single?: boolean }) => {
      const root = process.cwd();
      const { config, tasks, invalid } = await loadRunnableTasks(root);
      for (const line of invalid) console.error(`skipped (invalid task file): ${line}`);
      const { records } = await new RunStore(root).readAll();
      const states = new Map<string, TaskState>([...records].map(([id, record]) => [id, record.state]));
      const pending = planRun(tasks, states).filter((plan) => plan.action !== 'done').length;
      const count = flags.single ? 1 : shardCount(pending, config.shards);
      console.log(JSON.stringify({ ...shardMatrix(count), pending }));
    });
}

/** `aifactory merge-shards <dir>`: the merge job of the matrix. */
export function registerMergeShards(program: Command): void {
  program
    .command('merge-shards')
    .description(
      "Fold the workers' run records and spend into shared/, write the snapshots, and (with --forge github) commit them once.",
    )
    .argument(
      '<dir>',
      'folder holding one sub-folder per shard, each with runs/ and budget/ (the downloaded artifacts)',
    )
    .addOption(
      new Option(
        '--forge <forge>',
        'where the state is committed: github (one commit to the default branch) or local (left in the working tree)',
      )
        .choices([...FORGE_KINDS])
        .default('local'),
    )
    .option('--no-snapshot', 'do not write shared/status/')
    .addHelpText(
      'after',
      `
Run it from a checkout of the commit the shards started from. Each shard's records replace
the ones it changed; each day's spend becomes what it was plus what every shard added. Files
that fail validation are skipped with a warning naming them. Exit 0 when the merge finished
(a refused commit is a warning, as for run); 2 when it could not start.

Example (the workflow's merge job, after actions/download-artifact into shard-results/):
  npm run aifactory -- merge-shards --forge github shard-results`,
    )
    .action(async (dir: string, flags: { forge: string; snapshot: boolean }) => {
      const root = process.cwd();
      const shards = await shardFolders(resolve(root, dir));
      const fold = await foldShards(root, shards);
      for (const warning of fold.warnings) console.error(`warning: ${warning}`);
      console.log(
        `Merged ${plural(shards.length, 'shard')}: ${plural(fold.records.length, 'record')} changed${fold.records.length > 0 ? ` (${fold.records.join(', ')})` : ''}, spend of ${plural(fold.days.length, 'day')} folded.`,
      );
      // On GitHub, the snapshots also show the latest workflow runs and GitHub's commit counts, and
      // the state is committed once; the local forge leaves it in the working tree.
      const github = flags.forge === 'github' ? await githubForgeFor(root) : undefined;
      const after = await finishRun(root, github, {
        touched: fold.records.length,
        snapshot: flags.snapshot,
        warn: (message) => console.error(`warning: ${message}`),
      }).finally(() => github?.close());
      if (after.snapshots) console.log(describeSnapshots(after.snapshots));
      const published = describePublish(after.published);
      if (published) console.log(published);
    });
}
