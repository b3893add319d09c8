// `aifactory watch`: the zero-touch loop, a run on an interval until SIGINT or SIGTERM stops it between steps.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { createProgress } from '../engine/report/progress.ts';
import { describePublish } from '../engine/report/state-publisher.ts';
import { finishRun } from '../engine/run/after-run.ts';
import { runFactory } from '../engine/run/factory.ts';
import { loadConfig } from '../io/config-loader.ts';
import { stopOnSignals } from '../io/stop-signal.ts';
import { plural } from '../ui/words.ts';
import { addRunFlags, runOptionsFrom } from './run.ts';
import { positiveInt } from './shared/int-argument.ts';

/**
 * `aifactory watch`: the zero-touch loop. Runs, sleeps, runs again. SIGINT or SIGTERM stops it
 * cleanly: running tasks finish their current step (every write is atomic) and it exits 0.
 */
export function registerWatch(program: Command): void {
  const command = program
    .command('watch')
    .description(
      'Run the factory on an interval until SIGINT/SIGTERM; stops at a step boundary, never mid-write.',
    )
    .option(
      '--interval <seconds>',
      'seconds between runs (default: config watch_interval_seconds, else 60)',
      positiveInt,
    )
    .option('--max-runs <n>', 'stop after this many runs', positiveInt);
  addRunFlags(command).action(
    async (flags: Parameters<typeof runOptionsFrom>[0] & { interval?: number; maxRuns?: number }) => {
      const root = process.cwd();
      const config = await loadConfig(root);
      const interval = flags.interval ?? config.watch_interval_seconds;
      const { signal, dispose } = stopOnSignals();
      try {
        for (let run = 1; !signal.aborted; run += 1) {
          console.log(`— run ${run} at ${new Date().toISOString()}`);
          const progress = createProgress({
            ci: process.env.CI === 'true',
            githubActions: process.env.GITHUB_ACTIONS === 'true',
          });
          const options = { ...runOptionsFrom(flags, root, signal), loop: true };
          const summary = await runFactory(root, options, progress).finally(() => progress.finish());
          console.log(
            `  ${plural(summary.records.size, 'task')} touched; open: ${summary.waiting.join(', ') || 'none'}`,
          );
          // As `run` does: GitHub's CI state and commit counts reach the snapshots, through this pass's forge.
          const after = await finishRun(root, summary.forge, {
            touched: summary.records.size,
            snapshot: flags.snapshot,
            warn: (message) => progress.warn(message),
          }).finally(() => summary.forge.close());
          const published = describePublish(after.published);
          if (published) console.log(`  ${published}`);
          if (flags.maxRuns !== undefined && run >= flags.maxRuns) break;
          await sleep(interval * 1000, undefined, { signal }).catch(() => undefined);
        }
      } finally {
        dispose();
      }
      console.log('watch stopped.');
    },
  );
}
