// `aifactory run`: one pass over the pending tasks, or a dry run, and the flags it shares with `watch`.
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { capsLine } from '../core/money.ts';
import { forecastLines } from '../core/record/cost-forecast.ts';
import { planRun } from '../core/task/schedule.ts';
import { parseShard, type Shard, tasksInShard } from '../core/task/shard.ts';
import type { TaskState } from '../core/task/task-state.ts';
import { createProgress } from '../engine/report/progress.ts';
import { describePublish } from '../engine/report/state-publisher.ts';
import { describeSnapshots, finishRun } from '../engine/run/after-run.ts';
import { type FactoryRun, type RunOptions, runFactory, selectedIds } from '../engine/run/factory.ts';
import { runForecast } from '../engine/run/run-forecast.ts';
import { RunStore } from '../engine/store/run-store.ts';
import { loadRunnableTasks } from '../engine/store/task-files.ts';
import { FORGE_KINDS } from '../forge/index.ts';
import { loadConfig } from '../io/config-loader.ts';
import { stopOnSignals } from '../io/stop-signal.ts';
import { plural } from '../ui/words.ts';
import { positiveInt } from './shared/int-argument.ts';
import { githubWritesStopped, stoppedEarly, writeJobSummary } from './shared/job-summary.ts';
import { nextStepsLine } from './shared/next-steps.ts';

/** The recorded answers the embedded demo replays. */
export const DEFAULT_REPLAY_DIR = 'examples/replay';

/** `--shard i/n`, read by commander. */
export function shardArgument(value: string): Shard {
  const parsed = parseShard(value);
  if ('problem' in parsed) throw new InvalidArgumentError(parsed.problem);
  return parsed.shard;
}

interface RunFlags {
  once?: boolean;
  shard?: Shard;
  agent?: string;
  maxTasks?: number;
  forge: string;
  concurrency?: number;
  only?: string[];
  dryRun?: boolean;
  replay?: string | boolean;
  snapshot: boolean;
}

/** Turns the flags shared by `run` and `watch` into engine options. */
export function runOptionsFrom(flags: RunFlags, root: string, signal?: AbortSignal): RunOptions {
  const replayDir =
    flags.replay === undefined || flags.replay === false
      ? undefined
      : flags.replay === true
        ? DEFAULT_REPLAY_DIR
        : flags.replay;
  return {
    forge: flags.forge === 'github' ? 'github' : 'local',
    ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
    ...(flags.only ? { only: flags.only } : {}),
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.maxTasks ? { maxTasks: flags.maxTasks } : {}),
    ...(replayDir ? { replayDir: resolve(root, replayDir) } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** The flags `run` and `watch` share. */
export function addRunFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--forge <forge>',
        'where pull requests live: local (real git in this repository) or github (the REST API; needs GITHUB_REPOSITORY and AIFACTORY_GITHUB_TOKEN or GITHUB_TOKEN)',
      )
        .choices([...FORGE_KINDS])
        .default('local'),
    )
    .option(
      '--concurrency <n>',
      'agent calls made at once; up to twice as many tasks are open (default: config, else 4)',
      positiveInt,
    )
    .option('--only <ids...>', 'run only these task ids')
    .option(
      '--replay [dir]',
      `answer every model call from recorded cassettes (default dir: ${DEFAULT_REPLAY_DIR})`,
    )
    .option('--no-snapshot', 'do not write shared/status/ after the run');
}

async function dryRun(root: string, flags: RunFlags): Promise<void> {
  const { registry, tasks, invalid } = await loadRunnableTasks(root);
  selectedIds(tasks, flags.only);
  const { records, damaged } = await new RunStore(root).readAll();
  const states = new Map<string, TaskState>([...records].map(([id, record]) => [id, record.state]));
  for (const line of invalid) console.log(`skipped (invalid): ${line}`);
  for (const problem of damaged.values()) console.log(`skipped (damaged record): ${problem}`);
  const shard = flags.shard ? tasksInShard(tasks, flags.shard) : undefined;
  for (const plan of planRun(tasks, states)) {
    if (flags.only && !flags.only.includes(plan.task.task_id)) continue;
    if (shard && !shard.has(plan.task.task_id)) continue;
    const state = states.get(plan.task.task_id) ?? 'pending';
    const who = `${plan.task.assignee} → review by ${registry.reviewerFor(plan.task).name}`;
    const what =
      plan.action === 'wait' || plan.action === 'block' ? `${plan.action}: ${plan.reason}` : plan.action;
    console.log(`${plan.task.task_id.padEnd(28)} ${state.padEnd(17)} ${what.padEnd(40)} ${who}`);
  }
  console.log(`\n${forecastLines(await runForecast(root, flags)).join('\n')}`);
  console.log(capsLine((await loadConfig(root)).caps));
  console.log('\nDry run: nothing was called, written or committed.');
}

const RUN_HELP = `
Exit codes: 0 the run finished (failed tasks are recorded in shared/runs/, not thrown);
2 it could not run at all (bad config, an unreadable repository, GitHub out of reach: a
transient outage whose tasks wait for the next run). A missing key is named before tasks
start; that agent's tasks wait for it.

Examples:
  npm run aifactory -- run --once --replay          the demo: recorded answers, no keys, no network
  npm run aifactory -- run --once --only task_1005  one task with the configured providers
  GITHUB_REPOSITORY=owner/name GITHUB_TOKEN=… npm run aifactory -- run --once --forge github
                                                    pull requests, reviews and merges on GitHub

With --forge github, the run's changed files under shared/runs/ and shared/status/ (and
shared/budget/) are then committed to the default branch as one commit by the factory; a run
that changed nothing commits nothing. With the local forge they stay in the working tree.`;

/** `aifactory run --once`: every pending task until each is in a stable state. */
export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('Process pending tasks until each is merged, failed, rejected, blocked or waiting.')
    .option('--once', 'one pass, then exit (the default; `watch` repeats)')
    .option('--dry-run', 'show what would run, with agents and reviewers; change nothing')
    .option(
      '--shard <i/n>',
      "work only on shard i of n (whole dependency chains, split by a stable hash) with 1/n of the day's remaining budget; commits nothing and writes no snapshot: `merge-shards` folds the shards",
      shardArgument,
    )
    .option('--agent <name>', 'the agent that works on the chosen tasks instead of their assignee')
    .option('--max-tasks <n>', 'start at most n tasks in this run; the rest wait for the next', positiveInt);
  addRunFlags(command)
    .addHelpText('after', RUN_HELP)
    .action(async (flags: RunFlags) => {
      const root = process.cwd();
      if (flags.dryRun) return dryRun(root, flags);
      await runCommand(root, flags);
    });
}

/** One run: the forecast, the run, what it did, the job summary, then the after-run step. */
async function runCommand(root: string, flags: RunFlags): Promise<void> {
  const progress = createProgress({
    ci: process.env.CI === 'true',
    githubActions: process.env.GITHUB_ACTIONS === 'true',
  });
  const stopping = stopOnSignals();
  // A forecast that cannot be made (a bad config) is left to the run to report. One that can is
  // handed to the run, which defers by it rather than making it again.
  const made = await runForecast(root, flags).catch(() => undefined);
  const options = { ...runOptionsFrom(flags, root, stopping.signal), ...(made ? { forecast: made } : {}) };
  const forecast = made ? forecastLines(made) : undefined;
  if (forecast) console.log(`${forecast.join('\n')}\n`);
  const startedAt = new Date();
  const summary = await runFactory(root, options, progress).finally(() => progress.finish());
  printRunSummary(summary, flags, options.forge);
  const title = `aifactory run${flags.shard ? ` --shard ${flags.shard.index}/${flags.shard.count}` : ''}`;
  // The summary is a report: failing to write it does not undo the run.
  await writeJobSummary(root, { title, summary, startedAt, forge: options.forge, forecast }).catch(
    (error: unknown) =>
      console.error(
        `warning: the job summary was not written: ${error instanceof Error ? error.message : error}`,
      ),
  );
  // The forge was out of reach: the run could not run, and whoever scheduled it must see that.
  if (summary.unreachable !== undefined) process.exitCode = 2;
  if (flags.shard) {
    summary.forge.close();
    stopping.dispose();
    // A worker of the matrix: the merge job folds every shard's records, snapshots and commits once.
    console.log(
      `Shard ${flags.shard.index}/${flags.shard.count}: records and spend left in shared/runs/ and shared/budget/ for \`merge-shards\`; nothing committed.`,
    );
    return;
  }
  // The snapshots, with GitHub's CI state and commit counts on --forge github, then (there) the
  // run's records and snapshots reach the default branch as one commit, through the run's forge.
  const after = await finishRun(root, summary.forge, {
    touched: summary.records.size,
    snapshot: flags.snapshot,
    warn: (message) => progress.warn(message),
  }).finally(() => summary.forge.close());
  if (after.snapshots) console.log(describeSnapshots(after.snapshots));
  const published = describePublish(after.published);
  if (published) console.log(published);
  stopping.dispose();
  if (summary.unreachable !== undefined) return;
  console.log(await nextStepsLine(root));
}

/** What the run did, said on the terminal: counts by state, then each task that needs a word. */
function printRunSummary(summary: FactoryRun, flags: RunFlags, forge: RunOptions['forge']): void {
  for (const line of summary.invalid) console.log(`skipped (invalid task file): ${line}`);
  for (const id of summary.skipped) console.log(`${id}: skipped, another run holds its lease`);
  const counts = new Map<string, number>();
  for (const record of summary.records.values())
    counts.set(record.state, (counts.get(record.state) ?? 0) + 1);
  const parts = [...counts].sort().map(([state, count]) => `${count} ${state}`);
  console.log(
    `\nRun finished: ${plural(summary.records.size, 'task')} touched${parts.length > 0 ? ` (${parts.join(', ')})` : ''}.`,
  );
  if (summary.deferred.length > 0) {
    console.log(
      `Left for tomorrow, as the forecast said (their median cost would pass today's cap): ${summary.deferred.join(', ')}.`,
    );
  }
  for (const id of flags.only ?? []) {
    const record = summary.finished.get(id);
    if (record) {
      console.log(
        `${id}: nothing to do, it is ${record}${record === 'merged' ? '' : ` (\`npm run aifactory -- retry ${id}\` puts it back to pending)`}.`,
      );
    }
  }
  const forPerson = [...summary.records.values()].filter((record) => record.state === 'needs_human');
  for (const record of forPerson) {
    console.log(
      `${record.task_id}: waits for a person to merge pull request #${record.pull_request?.number ?? '?'} (it touches the control plane).`,
    );
  }
  const stopped = stoppedEarly(summary);
  if (stopped) console.log(`\n${stopped}`);
  const stoppedUntil = forge === 'github' ? githubWritesStopped(process.env) : undefined;
  if (stoppedUntil) {
    console.log(
      `\nGitHub's rate limit stopped the factory's writes until ${stoppedUntil.toISOString()}; the waiting tasks go on in the next run after that.`,
    );
  }
  const open = summary.waiting.filter((id) => !forPerson.some((record) => record.task_id === id));
  if (open.length > 0) console.log(`Still open: ${open.join(', ')}.`);
}
