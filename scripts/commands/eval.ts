// `aifactory eval`: replays the repository's merged tasks against an agent or a model, and judges each answer.
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { ModelRef } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { forecastLines } from '../core/record/cost-forecast.ts';
import { evalTotals, parseModelRef, parseSpan } from '../core/record/eval-plan.ts';
import type { EvalRun } from '../core/record/eval-record.ts';
import {
  type EvalOptions,
  type EvalResult,
  evalForecast,
  planEval,
  runEval,
} from '../engine/eval/eval-run.ts';
import { EVALS_DIR } from '../engine/eval/eval-store.ts';
import { createProgress } from '../engine/report/progress.ts';
import { stopOnSignals } from '../io/stop-signal.ts';
import { plural } from '../ui/words.ts';
import { DEFAULT_REPLAY_DIR } from './run.ts';
import { positiveInt } from './shared/int-argument.ts';

interface EvalFlags {
  agent?: string;
  model?: ModelRef;
  tasks?: string[];
  since?: number;
  limit?: number;
  concurrency?: number;
  dryRun?: boolean;
  resume?: string;
  replay?: string | boolean;
}

function modelArgument(value: string): ModelRef {
  const parsed = parseModelRef(value);
  if ('problem' in parsed) throw new InvalidArgumentError(parsed.problem);
  return parsed.ref;
}

function spanArgument(value: string): number {
  const parsed = parseSpan(value);
  if ('problem' in parsed) throw new InvalidArgumentError(parsed.problem);
  return parsed.ms;
}

function optionsFrom(flags: EvalFlags, root: string, signal?: AbortSignal): EvalOptions {
  const ids = (flags.tasks ?? []).filter((id) => id !== 'merged');
  const replayDir =
    flags.replay === undefined || flags.replay === false
      ? undefined
      : resolve(root, flags.replay === true ? DEFAULT_REPLAY_DIR : flags.replay);
  return {
    ...(flags.agent ? { agent: flags.agent } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(ids.length > 0 ? { tasks: ids } : {}),
    ...(flags.since !== undefined ? { sinceMs: flags.since } : {}),
    ...(flags.limit ? { limit: flags.limit } : {}),
    ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
    ...(flags.resume ? { resume: flags.resume } : {}),
    ...(replayDir ? { replayDir } : {}),
    ...(signal ? { signal } : {}),
  };
}

const percent = (part: number, whole: number): string =>
  whole === 0 ? 'n/a' : `${Math.round((100 * part) / whole)} %`;

/** The last lines of a run: what it replayed, how the candidates did, and where the record is. */
function resultLines(run: EvalRun, result: EvalResult, capUsd: number): string[] {
  const totals = evalTotals(run);
  const lines = [
    `Eval run ${run.run_id}: ${run.agent} (${run.model}), ${totals.cases} of ${plural(run.task_ids.length, 'task')} replayed.`,
    `  own checks passed: ${totals.ownChecksPassed} of ${totals.cases} (${percent(totals.ownChecksPassed, totals.cases)})`,
    `  hidden tests passed: ${totals.hiddenTestsPassed} of ${totals.hiddenTestsRun} run (${percent(totals.hiddenTestsPassed, totals.hiddenTestsRun)})`,
    `  answered: ${totals.done} of ${totals.cases}; cost $${totals.costUsd.toFixed(4)}`,
    `Record: ${EVALS_DIR}/${run.run_id}.json`,
  ];
  const resume = `\`npm run aifactory -- eval --resume ${run.run_id}\``;
  if (result.stop?.kind === 'cap') {
    lines.push(
      `Stopped at the eval cap (caps.eval_daily_usd, $${capUsd} a day): ${result.stop.error.message}. ${resume} goes on tomorrow, or after raising the cap.`,
    );
  } else if (result.stop?.kind === 'setup') {
    lines.push(`Stopped: ${result.stop.error.message}. Fix that, then ${resume} goes on.`);
  } else if (result.stop?.kind === 'interrupted') {
    lines.push(`Interrupted; ${resume} goes on where it stopped.`);
  }
  return lines;
}

/** `aifactory eval`: the repository's own benchmark. */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      "Replay merged tasks against an agent or model in scratch clones, judged by the checks and the accepted change's tests.",
    )
    .option('--agent <name>', 'the agent to evaluate (required unless --resume)')
    .option(
      '--model <provider:model>',
      'the model the agent calls instead of its own, e.g. openai:gpt-5',
      modelArgument,
    )
    .option('--tasks <ids...>', 'the tasks to replay: merged (every merged task, the default) or task ids')
    .option('--since <span>', 'only tasks merged within this span, e.g. 30d, 12h, 2w', spanArgument)
    .option('--limit <n>', 'only the n most recently merged tasks', positiveInt)
    .option('--concurrency <n>', 'tasks replayed at once (default 1)', positiveInt)
    .option('--dry-run', 'print the tasks it would replay and the forecast cost; call nothing')
    .option('--resume <run-id>', 'go on with a stopped eval run, without repeating a finished task')
    .option(
      '--replay [dir]',
      `answer every model call from recorded cassettes (default dir: ${DEFAULT_REPLAY_DIR})`,
    )
    .addHelpText(
      'after',
      `
Each task starts from its accepted change's base in a scratch clone (no branch, pull request or
push reaches the repository), goes through the run's own code step (prompts, tools, protocol,
budget), and is judged: its own checks (checks.command, in the checks sandbox), the accepted
change's added or modified tests over it (the hidden tests), its diff size, tokens, cost and time.
Results: ${EVALS_DIR}/<run-id>.json, written after every task. Spend counts toward
caps.eval_daily_usd alone (shared/budget/eval/); the run stops there, and --resume goes on.

Exit codes: 0 the run finished, or stopped at the eval cap or on a signal (resumable);
2 it could not run (bad flags or config, nothing to replay, a missing key).

Examples:
  npm run aifactory -- eval --agent gpt --dry-run
  npm run aifactory -- eval --agent gpt --model openai:gpt-5-mini --since 30d --limit 20
  npm run aifactory -- eval --resume 20261207T101500Z-a1b2`,
    )
    .action(async (flags: EvalFlags) => {
      const root = process.cwd();
      try {
        const stopping = flags.dryRun ? undefined : stopOnSignals();
        const options = optionsFrom(flags, root, stopping?.signal);
        const plan = await planEval(root, options);
        for (const line of plan.invalid) console.log(`skipped (invalid task file): ${line}`);
        const forecast = forecastLines(await evalForecast(root, plan));
        if (flags.dryRun) {
          console.log(
            `Eval of ${plan.agent.name} (${plan.run.model}) would replay ${plural(plan.remaining.length, 'task')}:`,
          );
          for (const id of plan.remaining) {
            const record = plan.records.get(id);
            console.log(
              `  ${id.padEnd(28)} merged ${record?.merged_at ?? '?'} as ${record?.merge_commit?.slice(0, 12) ?? '?'}`,
            );
          }
          console.log(`\n${forecast.join('\n')}`);
          console.log('\nDry run: nothing was called, written or committed.');
          return;
        }
        console.log(`${forecast.join('\n')}\n`);
        const progress = createProgress({ ci: true });
        const result = await runEval(root, plan, { ...options, progress }).finally(() => {
          progress.finish();
          stopping?.dispose();
        });
        console.log(`\n${resultLines(result.run, result, plan.config.caps.eval_daily_usd).join('\n')}`);
        process.exitCode = result.stop?.kind === 'setup' ? 2 : 0;
      } catch (error) {
        if (!(error instanceof FactoryError)) throw error;
        console.error(error.message);
        process.exitCode = 2;
      }
    });
}
