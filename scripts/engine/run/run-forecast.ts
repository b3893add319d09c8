// The cost forecast of a run about to start: its planned tasks priced from the run records and the budget ledger.
import { BudgetLedger } from '../../agents/budget/ledger.ts';
import type { Config } from '../../core/config.ts';
import { type CostForecast, forecastCost, type PlannedTask } from '../../core/record/cost-forecast.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { type Plan, planRun } from '../../core/task/schedule.ts';
import { type Shard, sliceCap, tasksInShard } from '../../core/task/shard.ts';
import type { TaskState } from '../../core/task/task-state.ts';
import { RunStore } from '../store/run-store.ts';
import { loadRunnableTasks } from '../store/task-files.ts';

/**
 * What `run` would start, in its order, and what it may cost. Only tasks that call a coder
 * are priced: pending or interrupted ones as fresh (or as changed, past their first iteration),
 * and those with changes requested; a task waiting on a review or a merge is left out. `agent`
 * is `run --agent`, which codes every task instead of its assignee; `maxTasks` keeps the first n.
 */
export async function forecastOf(
  root: string,
  input: {
    config: Config;
    plans: readonly Plan[];
    records: ReadonlyMap<string, RunRecord>;
    agent?: string | undefined;
    maxTasks?: number | undefined;
    /** A worker of `run --shard i/n`: its daily cap is its slice of what is left today. */
    shards?: number;
    now?: Date;
  },
): Promise<CostForecast> {
  const now = input.now ?? new Date();
  const ledger = await BudgetLedger.open(root, { config: input.config, now: () => now });
  const planned: PlannedTask[] = [];
  for (const plan of input.plans) {
    if (plan.action !== 'run') continue;
    const record = input.records.get(plan.task.task_id);
    const state = record?.state ?? 'pending';
    if (state !== 'pending' && state !== 'running' && state !== 'changes_requested') continue;
    planned.push({
      id: plan.task.task_id,
      agent: input.agent ?? plan.task.assignee,
      state: state === 'changes_requested' || (record?.iteration ?? 0) > 1 ? 'changes_requested' : 'fresh',
      spent_usd: ledger.spentOnTask(plan.task.task_id),
    });
  }
  const caps = input.config.caps;
  const shards = input.shards ?? 1;
  return forecastCost({
    records: input.records.values(),
    planned: planned.slice(0, input.maxTasks ?? planned.length),
    caps:
      shards > 1 && caps.daily_usd !== undefined
        ? { ...caps, daily_usd: sliceCap(caps.daily_usd, ledger.spentToday(), shards) }
        : caps,
    spent: { total_usd: ledger.spentToday(), by_agent: ledger.spentTodayByAgent() },
    now,
  });
}

/** The flags of `run` that choose its tasks and its coder. */
export interface RunSelection {
  only?: readonly string[] | undefined;
  shard?: Shard | undefined;
  agent?: string | undefined;
  maxTasks?: number | undefined;
}

/**
 * The forecast of `run` with these flags, read from the repository at `root`: its tasks, its run
 * records (damaged ones skipped, as the run skips them) and its budget ledger. Calls no model.
 */
export async function runForecast(root: string, selection: RunSelection, now?: Date): Promise<CostForecast> {
  const { config, tasks } = await loadRunnableTasks(root);
  const { records } = await new RunStore(root).readAll();
  const states = new Map<string, TaskState>([...records].map(([id, record]) => [id, record.state]));
  const shard = selection.shard ? tasksInShard(tasks, selection.shard) : undefined;
  const plans = planRun(tasks, states).filter(
    (plan) =>
      (!selection.only || selection.only.includes(plan.task.task_id)) &&
      (!shard || shard.has(plan.task.task_id)),
  );
  return forecastOf(root, {
    config,
    plans,
    records,
    agent: selection.agent,
    maxTasks: selection.maxTasks,
    ...(selection.shard ? { shards: selection.shard.count } : {}),
    ...(now ? { now } : {}),
  });
}
