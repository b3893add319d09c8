// Every file of `shared/status/`, built from the task files and run records: rows, stats and history. Pure.
import { median } from '../median.ts';
import type { EvalRun } from '../record/eval-record.ts';
import { failureCause } from '../record/failure-cause.ts';
import { iterationsUsed, totals } from '../record/record-ops.ts';
import type { RunRecord } from '../record/run-record.ts';
import { stripInvisible } from '../security/sanitize.ts';
import type { Task } from '../task/task.ts';
import { TASK_STATES, type TaskState } from '../task/task-state.ts';
import { type AgentStatusInput, buildAgentStatus } from './agent-status.ts';
import { buildModels } from './model-stats.ts';
import type {
  CiRun,
  History,
  HistoryBucket,
  Revert,
  Stats,
  Summary,
  TaskDetail,
  TaskRow,
} from './snapshot-schema.ts';

/** Days of history kept day by day; older days are summed per week. */
export const HISTORY_WINDOW_DAYS = 90;

export interface SnapshotInput {
  tasks: readonly Task[];
  records: readonly RunRecord[];
  ci: readonly CiRun[];
  /** Commits on the default branch per day (YYYY-MM-DD). */
  commitsPerDay: Readonly<Record<string, number>>;
  scheduleIntervalSeconds: number | null;
  /** The registry, the caps, the last run's own file and its day of spend, for `agent-status.json`. */
  agentStatus?: AgentStatusInput;
  /** Eval runs (`shared/evals/`), for the Models page. */
  evals?: readonly EvalRun[];
  /** Commits on the default branch that revert others, found so far, for the Models page. */
  reverts?: readonly Revert[];
}

/** Stats tables are sorted by name, the same way on every machine. */
const byName = (a: Stats, b: Stats): number => a.name.localeCompare(b.name, 'en');

/** A task's row; at least one of `task` (the file) and `record` (the history) exists. */
function rowOf(task: Task | undefined, record: RunRecord | undefined, id: string): TaskRow {
  const spent = record ? totals(record) : { input: 0, output: 0, cost_usd: 0 };
  const cause = record ? failureCause(record) : undefined;
  return {
    id,
    title: task?.title ?? record?.title ?? (task && titleFrom(task.description)) ?? id,
    state: record?.state ?? 'pending',
    assignee: (task ?? record)!.assignee,
    reviewer: record?.reviewer ?? task?.reviewer ?? null,
    labels: [...(task?.labels ?? record?.labels ?? [])].sort(),
    priority: task?.priority ?? record?.priority ?? 0,
    // Counted from the last retry, as the iteration budget is: older iterations stay in the attempts.
    iteration: record ? iterationsUsed(record) : 0,
    pr: record?.pull_request?.number ?? null,
    pr_url: record?.pull_request?.url ?? null,
    updated_at: record?.updated_at ?? null,
    cost_usd: round(spent.cost_usd),
    tokens: spent.input + spent.output,
    ...(cause ? { cause: cause.class } : {}),
  };
}

/** How long a title made from a description may be, in characters, before it is cut. */
export const DERIVED_TITLE_CHARS = 80;

/**
 * A title for a task that has none: the start of its description's first non-blank line, cut at
 * a word (or, for one long word, at the limit) with an ellipsis. Invisible, bidirectional and
 * control characters are dropped, as a task's own title may not hold them, so a description
 * cannot make a table row read other than it is. Null when nothing readable is left.
 */
export function titleFrom(description: string): string | null {
  const line = stripInvisible(description)
    .split(/[\n\r\u0085\u2028\u2029]/u)
    .map((text) =>
      text
        .replace(/[\u0000-\u001F\u007F-\u009F]/gu, ' ')
        .replace(/\s+/gu, ' ')
        .trim(),
    )
    .find((text) => text !== '');
  if (line === undefined) return null;
  if (line.length <= DERIVED_TITLE_CHARS) return line;
  const cut = line.slice(0, DERIVED_TITLE_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > DERIVED_TITLE_CHARS / 2 ? cut.slice(0, space) : cut}…`;
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

function emptyStats(name: string): Stats & { minutes: number[]; green: number[]; mergedCost: number } {
  return {
    name,
    tasks: 0,
    merged: 0,
    failed: 0,
    rejected: 0,
    rejected_proposals: 0,
    proposals: 0,
    reviews: 0,
    approvals: 0,
    success_rate: null,
    tokens: { input: 0, output: 0 },
    cost_usd: 0,
    coder_cost_usd: 0,
    reviewer_cost_usd: 0,
    cost_per_merged_usd: null,
    median_minutes_to_merge: null,
    median_minutes_to_green: null,
    minutes: [],
    green: [],
    mergedCost: 0,
  };
}

type Tally = ReturnType<typeof emptyStats>;

/** Adds one task's outcome and timings to the stats of the agent or model that coded it. */
function countOutcome(stats: Tally, record: RunRecord, task: { cost: number; green: number | null }): void {
  stats.tasks += 1;
  if (record.state === 'merged') {
    stats.merged += 1;
    stats.mergedCost += task.cost;
    if (record.merged_at) {
      stats.minutes.push((Date.parse(record.merged_at) - Date.parse(record.created_at)) / 60_000);
    }
  }
  if (record.state === 'failed') stats.failed += 1;
  if (record.state === 'rejected') stats.rejected += 1;
  if (task.green !== null) stats.green.push(task.green);
}

/** Minutes from a task's first attempt to its first passed checks; null when none passed. */
function minutesToGreen(record: RunRecord): number | null {
  const firstGreen = record.attempts.find(
    (attempt) => attempt.kind === 'checks' && attempt.result === 'passed',
  );
  if (!firstGreen) return null;
  return (Date.parse(firstGreen.finished_at) - Date.parse(record.attempts[0]!.started_at)) / 60_000;
}

/**
 * Per agent and per model: tasks, outcomes, proposals, reviews, tokens, cost (as coder and as
 * reviewer) and time to green checks and to merge. A merged task's whole cost, its reviews
 * included, is charged to whoever coded it.
 */
export function agentStats(records: readonly RunRecord[]): { agents: Stats[]; models: Stats[] } {
  const agents = new Map<string, Tally>();
  const models = new Map<string, Tally>();
  const get = (table: typeof agents, name: string) => {
    const known = table.get(name);
    if (known) return known;
    const stats = emptyStats(name);
    table.set(name, stats);
    return stats;
  };
  for (const record of records) {
    const task = { cost: totals(record).cost_usd, green: minutesToGreen(record) };
    countOutcome(get(agents, record.assignee), record, task);
    const modelsOfTask = new Set<string>();
    for (const attempt of record.attempts) {
      if (!attempt.agent) continue;
      const modelName = [attempt.provider, attempt.model].join(':');
      for (const stats of [get(agents, attempt.agent), get(models, modelName)]) {
        stats.tokens.input += attempt.tokens.input;
        stats.tokens.output += attempt.tokens.output;
        stats.cost_usd += attempt.cost_usd;
        if (attempt.kind === 'review') stats.reviewer_cost_usd += attempt.cost_usd;
        else stats.coder_cost_usd += attempt.cost_usd;
        if (attempt.kind === 'code') {
          stats.proposals += 1;
          if (attempt.result === 'rejected') stats.rejected_proposals += 1;
        }
        if (attempt.kind === 'review' && attempt.result !== 'error' && attempt.result !== 'skipped') {
          stats.reviews += 1;
          if (attempt.result === 'approved') stats.approvals += 1;
        }
      }
      if (attempt.kind === 'code' && attempt.agent === record.assignee) modelsOfTask.add(modelName);
    }
    for (const modelName of modelsOfTask) countOutcome(get(models, modelName), record, task);
  }
  const finish = (table: typeof agents): Stats[] =>
    [...table.values()]
      .map(({ minutes, green, mergedCost, ...stats }) => {
        const ended = stats.merged + stats.failed + stats.rejected;
        return {
          ...stats,
          cost_usd: round(stats.cost_usd),
          coder_cost_usd: round(stats.coder_cost_usd),
          reviewer_cost_usd: round(stats.reviewer_cost_usd),
          success_rate: ended > 0 ? stats.merged / ended : null,
          cost_per_merged_usd: stats.merged > 0 ? round(mergedCost / stats.merged) : null,
          median_minutes_to_merge: median(minutes),
          median_minutes_to_green: median(green),
        };
      })
      .sort(byName);
  return { agents: finish(agents), models: finish(models) };
}

/** Monday of the week of `day` (YYYY-MM-DD). */
function weekOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
}

/** Activity per day for the last HISTORY_WINDOW_DAYS before `until`, and per week before that. */
export function buildHistory(
  records: readonly RunRecord[],
  commitsPerDay: Readonly<Record<string, number>>,
  until: string | null,
): History {
  const buckets = new Map<string, HistoryBucket>();
  const bucket = (day: string): HistoryBucket => {
    const known = buckets.get(day);
    if (known) return known;
    const entry = { start: day, merged: 0, attempts: 0, prs_opened: 0, commits: 0, cost_usd: 0 };
    buckets.set(day, entry);
    return entry;
  };
  for (const record of records) {
    if (record.merged_at) bucket(record.merged_at.slice(0, 10)).merged += 1;
    let opened = false;
    for (const attempt of record.attempts) {
      const entry = bucket(attempt.finished_at.slice(0, 10));
      entry.attempts += 1;
      entry.cost_usd = round(entry.cost_usd + attempt.cost_usd);
      if (!opened && attempt.kind === 'code' && attempt.result === 'proposed') {
        entry.prs_opened += 1;
        opened = true;
      }
    }
  }
  for (const [day, count] of Object.entries(commitsPerDay)) bucket(day).commits += count;
  const cutoff = until
    ? Date.parse(until.slice(0, 10)) - HISTORY_WINDOW_DAYS * 86_400_000
    : Number.NEGATIVE_INFINITY;
  const days: HistoryBucket[] = [];
  const weeks = new Map<string, HistoryBucket>();
  for (const entry of [...buckets.values()].sort((a, b) => (a.start < b.start ? -1 : 1))) {
    if (Date.parse(entry.start) > cutoff) {
      days.push(entry);
      continue;
    }
    const start = weekOf(entry.start);
    const week = weeks.get(start) ?? {
      start,
      merged: 0,
      attempts: 0,
      prs_opened: 0,
      commits: 0,
      cost_usd: 0,
    };
    weeks.set(start, {
      start,
      merged: week.merged + entry.merged,
      attempts: week.attempts + entry.attempts,
      prs_opened: week.prs_opened + entry.prs_opened,
      commits: week.commits + entry.commits,
      cost_usd: round(week.cost_usd + entry.cost_usd),
    });
  }
  return { version: 1, window_days: HISTORY_WINDOW_DAYS, days, weeks: [...weeks.values()] };
}

/**
 * Every file of `shared/status/`, by path. Pure and deterministic: the same tasks and records
 * give the same values, in the same order, whatever the clock says.
 */
export function buildSnapshots(input: SnapshotInput): Map<string, unknown> {
  const tasks = new Map(input.tasks.map((task) => [task.task_id, task]));
  const records = new Map(input.records.map((record) => [record.task_id, record]));
  const ids = [...new Set([...tasks.keys(), ...records.keys()])].sort();
  const rows = ids.map((id) => rowOf(tasks.get(id), records.get(id), id));
  const generatedAt = input.records.reduce<string | null>(
    (latest, record) => (latest === null || record.updated_at > latest ? record.updated_at : latest),
    null,
  );
  const byState = Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<TaskState, number>;
  for (const row of rows) byState[row.state] += 1;
  const all = input.records.map(totals);
  const weekAgo = generatedAt ? Date.parse(generatedAt) - 7 * 86_400_000 : 0;
  const ended = byState.merged + byState.failed + byState.rejected;
  const status = input.agentStatus ?? { agents: [], caps: {}, run: null, spend: null };
  const run = status.run;
  const summary: Summary = {
    version: 1,
    generated_at: generatedAt,
    schedule_interval_seconds: input.scheduleIntervalSeconds,
    tasks_total: rows.length,
    by_state: byState,
    merged_last_7_days: input.records.filter(
      (r) => r.merged_at !== null && Date.parse(r.merged_at) >= weekAgo,
    ).length,
    success_rate: ended > 0 ? byState.merged / ended : null,
    tokens: { input: all.reduce((s, t) => s + t.input, 0), output: all.reduce((s, t) => s + t.output, 0) },
    cost_usd: round(all.reduce((s, t) => s + t.cost_usd, 0)),
    last_run: run ? { trigger: run.trigger, started_at: run.started_at, finished_at: run.finished_at } : null,
    last_scheduled_at: run?.last_scheduled_at ?? null,
    replayed: input.records.some((r) => r.attempts.some((attempt) => attempt.provider === 'replay')),
  };
  const files = new Map<string, unknown>([
    ['summary.json', summary],
    ['tasks.json', { version: 1, tasks: rows }],
    ['agents.json', { version: 1, ...agentStats(input.records) }],
    ['ci.json', { version: 1, runs: [...input.ci].sort((a, b) => (a.started_at > b.started_at ? -1 : 1)) }],
    ['history.json', buildHistory(input.records, input.commitsPerDay, generatedAt)],
    ['agent-status.json', buildAgentStatus(status)],
    [
      'models.json',
      buildModels({ records: input.records, evals: input.evals ?? [], reverts: input.reverts ?? [] }),
    ],
  ]);
  // The run's own file is passed through, so a snapshot alone keeps it as the run wrote it.
  if (run) files.set('run.json', run);
  for (const row of rows) {
    const task = tasks.get(row.id);
    const record = records.get(row.id);
    const cause = record ? failureCause(record) : undefined;
    const detail: TaskDetail = {
      version: 1,
      task: {
        ...row,
        description: task?.description ?? '',
        files: task?.files ?? [],
        depends_on: task?.depends_on ?? record?.depends_on ?? [],
        max_iterations: record?.max_iterations ?? task?.max_iterations ?? 3,
        branch: record?.branch ?? null,
        created_at: record?.created_at ?? null,
        merged_at: record?.merged_at ?? null,
        merge_commit: record?.merge_commit ?? null,
        last_error: record?.last_error ?? null,
        rejection: record?.rejection ?? null,
        ...(cause ? { cause_detail: cause.detail } : {}),
      },
      attempts: record?.attempts ?? [],
    };
    files.set(`tasks/${row.id}.json`, detail);
  }
  return files;
}

/** CI runs derived from the local forge's check attempts: the latest per task. */
export function checkRunsFrom(records: readonly RunRecord[]): CiRun[] {
  return records.flatMap((record) => {
    const last = record.attempts.findLast((attempt) => attempt.kind === 'checks');
    if (!last) return [];
    return [
      {
        name: `checks · ${record.task_id}`,
        status: 'completed' as const,
        conclusion: last.result === 'passed' ? ('success' as const) : ('failure' as const),
        url: null,
        head_sha: last.commit ?? null,
        started_at: last.started_at,
      },
    ];
  });
}
