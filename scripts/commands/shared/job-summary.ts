// A run's GitHub Actions job summary: touched and waiting tasks, tokens, spend and API quota, secrets redacted.
import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { BudgetLedger } from '../../agents/budget/ledger.ts';
import { causeNote, failureCause } from '../../core/record/failure-cause.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { jobSummaryMarkdown, type SummaryTask } from '../../core/status/job-summary.ts';
import { planRun } from '../../core/task/schedule.ts';
import type { TaskState } from '../../core/task/task-state.ts';
import { SecretGuard } from '../../engine/guard/secret-guard.ts';
import type { RunSummary } from '../../engine/run/orchestrator.ts';
import { RunStore } from '../../engine/store/run-store.ts';
import { loadRunnableTasks } from '../../engine/store/task-files.ts';
import { githubConfigFromEnv } from '../../forge/github/config.ts';
import { writesStoppedUntil } from '../../forge/github/write-stop.ts';
import { loadConfig } from '../../io/config-loader.ts';

/** The part of GitHub's `GET /rate_limit` answer the summary shows. */
const RateLimitSchema = z.object({
  resources: z.object({ core: z.object({ remaining: z.int().nonnegative(), limit: z.int().nonnegative() }) }),
});

/**
 * The author token's REST requests left in this hour, or undefined when GitHub does not say.
 * `GET /rate_limit` does not count against the limit itself.
 */
export async function apiQuota(
  env: NodeJS.ProcessEnv,
): Promise<{ remaining: number; limit: number } | undefined> {
  try {
    const config = githubConfigFromEnv(env);
    const response = await fetch(`${config.apiUrl.replace(/\/+$/, '')}/rate_limit`, {
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${config.authorToken}`,
        'user-agent': 'aifactory-os',
        'x-github-api-version': '2022-11-28',
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) return undefined;
    const parsed = RateLimitSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.resources.core : undefined;
  } catch {
    // The quota is a courtesy of the summary; a run never fails for want of it.
    return undefined;
  }
}

const reasonOf = (record: RunRecord | undefined): string | undefined =>
  record?.last_error?.message ?? record?.rejection?.message;

/** Why a touched task is where it is: for one that ended badly, its cause class first. */
function endReason(record: RunRecord): string | undefined {
  const cause = failureCause(record);
  return cause ? causeNote(cause) : reasonOf(record);
}

/**
 * The job summary's input for a finished run: the touched tasks, what the open ones wait for
 * (a dependency, the budget, a person, pending checks), this run's tokens and cost (attempts that
 * started after `startedAt`), and the day's spend.
 */
async function summaryInput(
  root: string,
  input: {
    title: string;
    summary: RunSummary;
    startedAt: Date;
    quota: Awaited<ReturnType<typeof apiQuota>>;
    stoppedUntil: Date | undefined;
    forecast?: readonly string[] | undefined;
  },
) {
  const { title, summary, startedAt, quota } = input;
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
      reason: endReason(record),
    })),
    waiting,
    tokens: {
      input: attempts.reduce((sum, attempt) => sum + attempt.tokens.input, 0),
      output: attempts.reduce((sum, attempt) => sum + attempt.tokens.output, 0),
    },
    costUsd: attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0),
    spentTodayUsd: ledger.spentToday(),
    caps: config.caps,
    quota,
    writesStoppedUntil: input.stoppedUntil?.toISOString(),
    stoppedEarly: stoppedEarly(summary),
    forecast: input.forecast,
  };
}

/**
 * Why the run stopped starting tasks before the end, as one line for the terminal and the job
 * summary, or undefined when it did not. An unreachable forge is a transient outage: the run
 * exits 2 (`run` could not run), so whoever scheduled it sees the failure.
 */
export function stoppedEarly(summary: Pick<RunSummary, 'refused' | 'unreachable'>): string | undefined {
  if (summary.unreachable !== undefined)
    return `Stopped early: GitHub is out of reach, a transient outage (${summary.unreachable}). The tasks wait, and the next run goes on where this one stopped; this run exits 2.`;
  if (summary.refused !== undefined)
    return `Stopped early: GitHub refused the factory (${summary.refused}). The tasks wait; the next run goes on once the token has what it needs.`;
  return undefined;
}

/** Until when GitHub's rate limit stopped this process's writes, or undefined (also without a github set-up). */
export function githubWritesStopped(env: NodeJS.ProcessEnv): Date | undefined {
  try {
    return writesStoppedUntil(githubConfigFromEnv(env).apiUrl);
  } catch {
    return undefined;
  }
}

/**
 * Under GitHub Actions (`GITHUB_STEP_SUMMARY` set), appends the run's table to the job summary,
 * with every secret of the environment redacted; with the github forge it shows the API requests
 * left. Does nothing elsewhere.
 */
export async function writeJobSummary(
  root: string,
  input: {
    title: string;
    summary: RunSummary;
    startedAt: Date;
    forge: string;
    /** The forecast printed before the run started, as its lines. */
    forecast?: readonly string[] | undefined;
    env?: NodeJS.ProcessEnv;
  },
): Promise<boolean> {
  const env = input.env ?? process.env;
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  const quota = input.forge === 'github' ? await apiQuota(env) : undefined;
  const stoppedUntil = input.forge === 'github' ? githubWritesStopped(env) : undefined;
  const markdown = jobSummaryMarkdown(await summaryInput(root, { ...input, quota, stoppedUntil }));
  await appendFile(file, `${SecretGuard.fromEnv(env).redact(markdown)}\n`);
  return true;
}
