import { appendFile } from 'node:fs/promises';
import { BudgetLedger } from '../agents/budget.ts';
import { loadConfig } from '../agents/config-loader.ts';
import { jobSummaryMarkdown, type SummaryTask } from '../core/job-summary.ts';
import type { RunRecord } from '../core/run-record.ts';
import { planRun } from '../core/schedule.ts';
import type { TaskState } from '../core/task-state.ts';
import { loadRunnableTasks } from '../engine/factory.ts';
import type { RunSummary } from '../engine/orchestrator.ts';
import { RunStore } from '../engine/run-store.ts';
import { SecretGuard } from '../engine/secret-guard.ts';

const reasonOf = (record: RunRecord | undefined): string | undefined =>
  record?.last_error?.message ?? record?.rejection?.message;

/**
 * The job summary's input for a finished run: the touched tasks, what the open ones wait for
 * (a dependency, the budget, a person, pending checks), this run's tokens and cost (attempts that
 * started after `startedAt`), and the day's spend.
 */
async function summaryInput(root: string, title: string, summary: RunSummary, startedAt: Date) {
  const config = await loadConfig(root);
  const { tasks } = await loadRunnableTasks(root);
  const { records } = await new RunStore(root).readAll();
  for (const [id, record] of summary.records) records.set(id, record);
  const states = new Map<string, TaskState>([...records].map(([id, record]) => [id, record.state]));
  const planned = new Map(
    planRun(tasks, states).map((plan) => [plan.task.task_id, 'reason' in plan ? plan.reason : undefined]),
  );
  const waiting: SummaryTask[] = summary.waiting.map((id) => ({
    id,
    state: states.get(id) ?? 'pending',
    reason: planned.get(id) ?? reasonOf(records.get(id)) ?? 'not started in this run',
  }));
  const attempts = [...summary.records.values()]
    .flatMap((record) => record.attempts)
    .filter((attempt) => Date.parse(attempt.started_at) >= startedAt.getTime());
  const ledger = await BudgetLedger.open(root, { config });
  return {
    title,
    tasks: [...summary.records.values()].map((record) => ({
      id: record.task_id,
      state: record.state,
      reason: reasonOf(record),
    })),
    waiting,
    tokens: {
      input: attempts.reduce((sum, attempt) => sum + attempt.tokens.input, 0),
      output: attempts.reduce((sum, attempt) => sum + attempt.tokens.output, 0),
    },
    costUsd: attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0),
    spentTodayUsd: ledger.spentToday(),
    caps: config.caps,
  };
}

/**
 * Under GitHub Actions (`GITHUB_STEP_SUMMARY` set), appends the run's table to the job summary,
 * with every secret of the environment redacted. Does nothing elsewhere.
 */
export async function writeJobSummary(
  root: string,
  input: { title: string; summary: RunSummary; startedAt: Date; env?: NodeJS.ProcessEnv },
): Promise<boolean> {
  const env = input.env ?? process.env;
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  const markdown = jobSummaryMarkdown(await summaryInput(root, input.title, input.summary, input.startedAt));
  await appendFile(file, `${SecretGuard.fromEnv(env).redact(markdown)}\n`);
  return true;
}
