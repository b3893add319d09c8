/** What a run may cost before it starts: history per agent and task state, and the caps' worst case. Pure. */
import type { Caps } from '../config.ts';
import { median } from '../median.ts';
import { FINAL_STATES } from '../task/task-state.ts';
import type { RunRecord } from './run-record.ts';

/** The state a task starts a run in: fresh (its first iteration) or with changes requested. */
export type StartState = 'fresh' | 'changes_requested';

/** The window of history a forecast reads, in days. */
export const FORECAST_WINDOW_DAYS = 30;

/** Median and p90 of what a task cost, over `tasks` tasks; null figures when there were none. */
export interface CostFigures {
  tasks: number;
  median_usd: number | null;
  p90_usd: number | null;
}

/** One task the run would start, with the agent that codes it and the state it starts in. */
export interface PlannedTask {
  id: string;
  agent: string;
  state: StartState;
  /** What the task has cost so far, every day included: the per-task cap counts from there. */
  spent_usd: number;
}

/** What has already been spent today (UTC), in all and per agent. */
export interface SpentToday {
  total_usd: number;
  by_agent: ReadonlyMap<string, number>;
}

/** One planned task priced from history. */
export interface TaskForecast extends PlannedTask {
  /** Figures of its agent in its state, else of every agent in its state (`from_all_agents`). */
  figures: CostFigures;
  from_all_agents: boolean;
}

/** The whole forecast of a run. */
export interface CostForecast {
  window_days: number;
  /** History per agent and state, sorted by agent then state. */
  history: { agent: string; state: StartState; figures: CostFigures }[];
  tasks: TaskForecast[];
  /** Sums of the tasks' medians and p90s; tasks without history add nothing (see `unpriced`). */
  median_usd: number;
  p90_usd: number;
  /** Tasks with no history at all in their state: their cost is unknown. */
  unpriced: string[];
  /** The most the caps let this run spend; null when no cap bounds it. */
  worst_case_usd: number | null;
  /** What is left of the daily cap today; null without a daily cap. */
  remaining_daily_usd: number | null;
  /** Tasks whose median cost, added in run order, passes the daily or their agent's daily cap. */
  left_for_tomorrow: string[];
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;
const DAY_MS = 86_400_000;

/**
 * The median (the mean of the two middle values for an even count) and the p90 by nearest rank
 * (the value at position ⌈0.9·n⌉ of the sorted costs), so a hand computation gives the same figure.
 */
export function costFigures(costs: readonly number[]): CostFigures {
  if (costs.length === 0) return { tasks: 0, median_usd: null, p90_usd: null };
  const sorted = [...costs].sort((a, b) => a - b);
  const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1]!;
  return { tasks: sorted.length, median_usd: round(median(sorted)!), p90_usd: round(p90) };
}

/**
 * The samples one record gives: its whole cost as a fresh task, and, when a review asked for
 * changes, the cost of everything after that first request (a task resumed with changes
 * requested). Each sample counts only when its first attempt falls inside the window, and only
 * for a task that ended or waits for a person: one still under way has not spent all it will. The
 * agent is the one that coded it (a run's `--agent` may differ from the assignee).
 */
function samples(record: RunRecord, since: number): { agent: string; state: StartState; usd: number }[] {
  if (!FINAL_STATES.has(record.state) && record.state !== 'needs_human') return [];
  const code = record.attempts.find((attempt) => attempt.kind === 'code');
  if (!code) return [];
  const agent = code.agent ?? record.assignee;
  const inWindow = (at: string): boolean => Date.parse(at) >= since;
  const total = (from: number): number =>
    record.attempts.slice(from).reduce((sum, attempt) => sum + attempt.cost_usd, 0);
  const out: { agent: string; state: StartState; usd: number }[] = [];
  if (inWindow(record.attempts[0]!.started_at)) out.push({ agent, state: 'fresh', usd: total(0) });
  const request = record.attempts.findIndex((attempt) => attempt.result === 'changes_requested');
  const after = record.attempts[request + 1];
  if (request >= 0 && after && inWindow(after.started_at)) {
    out.push({ agent, state: 'changes_requested', usd: total(request + 1) });
  }
  return out;
}

/** The run's worst case: each task up to its per-task cap, each agent up to its daily cap, the day up to its cap. */
function worstCase(tasks: readonly PlannedTask[], caps: Caps, spent: SpentToday): number | null {
  const perTask = caps.per_task_usd;
  const byAgent = new Map<string, number | null>();
  for (const task of tasks) {
    const room = perTask === undefined ? null : Math.max(0, perTask - task.spent_usd);
    const sofar = byAgent.has(task.agent) ? byAgent.get(task.agent)! : 0;
    byAgent.set(task.agent, sofar === null || room === null ? null : sofar + room);
  }
  let sum: number | null = 0;
  for (const [agent, tasksRoom] of byAgent) {
    const agentCap = caps.per_agent_daily_usd;
    const agentRoom =
      agentCap === undefined ? null : Math.max(0, agentCap - (spent.by_agent.get(agent) ?? 0));
    const room =
      tasksRoom === null ? agentRoom : agentRoom === null ? tasksRoom : Math.min(tasksRoom, agentRoom);
    sum = sum === null || room === null ? null : sum + room;
  }
  const daily = caps.daily_usd === undefined ? null : Math.max(0, caps.daily_usd - spent.total_usd);
  if (daily === null) return sum === null ? null : round(sum);
  return round(sum === null ? daily : Math.min(sum, daily));
}

/**
 * The forecast of a run that would start `planned` (in run order) at `now`, from the run
 * records of the last `FORECAST_WINDOW_DAYS` days, the caps and today's spend.
 */
export function forecastCost(input: {
  records: Iterable<RunRecord>;
  planned: readonly PlannedTask[];
  caps: Caps;
  spent: SpentToday;
  now: Date;
}): CostForecast {
  const since = input.now.getTime() - FORECAST_WINDOW_DAYS * DAY_MS;
  const costs = new Map<string, number[]>();
  const push = (key: string, usd: number): void => {
    costs.set(key, [...(costs.get(key) ?? []), usd]);
  };
  for (const record of input.records) {
    for (const sample of samples(record, since)) {
      push(`${sample.agent}\u0000${sample.state}`, sample.usd);
      push(`\u0000${sample.state}`, sample.usd);
    }
  }
  // Keys are `agent NUL state`: sorting them sorts by agent, then state; NUL-led keys pool every agent.
  const history = [...costs.keys()]
    .sort()
    .filter((key) => !key.startsWith('\u0000'))
    .map((key) => {
      const [agent, state] = key.split('\u0000') as [string, StartState];
      return { agent, state, figures: costFigures(costs.get(key)!) };
    });
  const tasks = input.planned.map((task): TaskForecast => {
    const own = costs.get(`${task.agent}\u0000${task.state}`);
    return {
      ...task,
      figures: costFigures(own ?? costs.get(`\u0000${task.state}`) ?? []),
      from_all_agents: own === undefined,
    };
  });
  const remaining =
    input.caps.daily_usd === undefined
      ? null
      : round(Math.max(0, input.caps.daily_usd - input.spent.total_usd));
  const left: string[] = [];
  let day = 0;
  const byAgent = new Map<string, number>();
  for (const task of tasks) {
    const usd = task.figures.median_usd ?? 0;
    const agentSoFar = (input.spent.by_agent.get(task.agent) ?? 0) + (byAgent.get(task.agent) ?? 0) + usd;
    const agentCap = input.caps.per_agent_daily_usd;
    if ((remaining !== null && day + usd > remaining) || (agentCap !== undefined && agentSoFar > agentCap)) {
      left.push(task.id);
      continue;
    }
    day += usd;
    byAgent.set(task.agent, (byAgent.get(task.agent) ?? 0) + usd);
  }
  return {
    window_days: FORECAST_WINDOW_DAYS,
    history,
    tasks,
    median_usd: round(tasks.reduce((sum, task) => sum + (task.figures.median_usd ?? 0), 0)),
    p90_usd: round(tasks.reduce((sum, task) => sum + (task.figures.p90_usd ?? 0), 0)),
    unpriced: tasks.filter((task) => task.figures.tasks === 0).map((task) => task.id),
    worst_case_usd: worstCase(input.planned, input.caps, input.spent),
    remaining_daily_usd: remaining,
    left_for_tomorrow: left,
  };
}

const usd = (amount: number): string => `$${amount.toFixed(4)}`;
const tasksOf = (count: number): string => `${count} task${count === 1 ? '' : 's'}`;

/** The forecast as lines of plain text, for `run --dry-run`, the start of a run and the job summary. */
export function forecastLines(forecast: CostForecast): string[] {
  const lines = [
    `Forecast for ${tasksOf(forecast.tasks.length)}, from the last ${forecast.window_days} days of run records:`,
  ];
  for (const row of forecast.history) {
    // A history row has at least one task, so its figures are never null.
    const f = row.figures;
    lines.push(
      `  ${row.agent} (${row.state}): median ${usd(f.median_usd!)}, p90 ${usd(f.p90_usd!)} over ${tasksOf(f.tasks)}`,
    );
  }
  lines.push(`  this run: median ${usd(forecast.median_usd)}, p90 ${usd(forecast.p90_usd)}`);
  if (forecast.unpriced.length > 0) {
    lines.push(`  no history yet (not counted above): ${forecast.unpriced.join(', ')}`);
  }
  lines.push(
    forecast.worst_case_usd === null
      ? '  worst case the caps allow: unbounded (the config sets no daily and no per-task cap: `null`)'
      : `  worst case the caps allow: ${usd(forecast.worst_case_usd)}`,
  );
  if (forecast.left_for_tomorrow.length > 0) {
    lines.push(
      `  the forecast passes ${forecast.remaining_daily_usd === null ? "an agent's daily cap" : `the remaining daily cap (${usd(forecast.remaining_daily_usd)} left today) or an agent's`}: left for tomorrow: ${forecast.left_for_tomorrow.join(', ')}`,
    );
  }
  return lines;
}
