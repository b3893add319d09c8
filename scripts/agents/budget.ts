import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config, Price, ProviderId } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { writeJsonAtomically } from '../io/atomic-write.ts';
import { Mutex } from '../io/process.ts';
import type { Agent } from './types.ts';

/** Spend is kept per UTC day here, relative to the repository root. */
export const BUDGET_DIR = 'shared/budget';

/**
 * Estimated list prices in USD per million tokens, used when the config's `prices` table has no
 * entry. They are estimates: set `prices` in aifactory.config.ts to your actual rates.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gemini-2.5-pro': { input_per_mtok: 1.25, output_per_mtok: 10 },
  'gemini-2.5-flash': { input_per_mtok: 0.3, output_per_mtok: 2.5 },
  'gpt-5-mini': { input_per_mtok: 0.25, output_per_mtok: 2 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'grok-4-fast': { input_per_mtok: 0.2, output_per_mtok: 0.5 },
  'grok-3-mini': { input_per_mtok: 0.3, output_per_mtok: 0.5 },
};

const DaySchema = z.strictObject({
  version: z.literal(1),
  day: z.string(),
  total_usd: z.number(),
  calls: z.int(),
  by_agent: z.record(z.string(), z.number()),
  by_task: z.record(z.string(), z.number()),
  by_model: z.record(z.string(), z.number()),
});
type Day = z.infer<typeof DaySchema>;

const emptyDay = (day: string): Day => ({
  version: 1,
  day,
  total_usd: 0,
  calls: 0,
  by_agent: {},
  by_task: {},
  by_model: {},
});
const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;
const add = (table: Record<string, number>, key: string, usd: number): void => {
  table[key] = round((table[key] ?? 0) + usd);
};

/**
 * The budget ledger: prices calls, checks caps (per task, per agent per day, per day) before each
 * call, and keeps spend in `shared/budget/<YYYY-MM-DD>.json` so caps hold across runs.
 */
export class BudgetLedger {
  readonly #dir: string;
  readonly #config: Config;
  readonly #now: () => Date;
  readonly #lock = new Mutex();
  readonly #taskTotals: Record<string, number>;
  #today: Day;

  private constructor(
    dir: string,
    config: Config,
    now: () => Date,
    today: Day,
    taskTotals: Record<string, number>,
  ) {
    this.#dir = dir;
    this.#config = config;
    this.#now = now;
    this.#today = today;
    this.#taskTotals = taskTotals;
  }

  static async open(root: string, options: { config: Config; now?: () => Date }): Promise<BudgetLedger> {
    const dir = join(root, BUDGET_DIR);
    const now = options.now ?? (() => new Date());
    const dayOf = now().toISOString().slice(0, 10);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((name) =>
      /^\d{4}-\d{2}-\d{2}\.json$/.test(name),
    );
    const taskTotals: Record<string, number> = {};
    let today = emptyDay(dayOf);
    for (const name of names.sort()) {
      const parsed = DaySchema.safeParse(
        JSON.parse(await readFile(join(dir, name), 'utf8').catch(() => 'null')),
      );
      if (!parsed.success) {
        throw new FactoryError('config', `${BUDGET_DIR}/${name}: not a budget file; restore it from git`);
      }
      for (const [task, usd] of Object.entries(parsed.data.by_task)) add(taskTotals, task, usd);
      if (parsed.data.day === dayOf) today = parsed.data;
    }
    return new BudgetLedger(dir, options.config, now, today, taskTotals);
  }

  /** The price of a model: config `provider:model`, then config `model`, then the built-in estimate, else free. */
  priceOf(provider: ProviderId | string, model: string): Price {
    const prices = this.#config.prices;
    return (
      prices[`${provider}:${model}`] ??
      prices[model] ??
      DEFAULT_PRICES[model] ?? { input_per_mtok: 0, output_per_mtok: 0 }
    );
  }

  costOf(provider: string, model: string, tokens: { input: number; output: number }): number {
    const price = this.priceOf(provider, model);
    return round((tokens.input * price.input_per_mtok + tokens.output * price.output_per_mtok) / 1e6);
  }

  /** Spend so far today (UTC), in USD. */
  spentToday(): number {
    this.#rollDay();
    return this.#today.total_usd;
  }

  /** Throws a `budget` error, naming the cap, the spend and the limit, when a call would pass a cap. */
  assertAllowed(input: { agent: Agent; taskId: string; estimateUsd: number }): void {
    this.#rollDay();
    const { agent, taskId, estimateUsd } = input;
    const caps = this.#config.caps;
    const checks: [string, number | undefined, number][] = [
      [
        `per-task cap of ${taskId}`,
        minOf(agent.caps.per_task_usd, caps.per_task_usd),
        this.#taskTotals[taskId] ?? 0,
      ],
      [
        `daily cap of agent ${agent.name}`,
        agent.caps.per_agent_daily_usd ?? caps.per_agent_daily_usd,
        this.#today.by_agent[agent.name] ?? 0,
      ],
      ['daily cap', caps.daily_usd, this.#today.total_usd],
    ];
    for (const [name, limit, spent] of checks) {
      if (limit !== undefined && spent + estimateUsd > limit) {
        throw new FactoryError(
          'budget',
          `the ${name} ($${limit}) would be passed: $${spent.toFixed(4)} spent + about $${estimateUsd.toFixed(4)} for this call; the task waits for a later run or a higher cap`,
        );
      }
    }
  }

  /** Records a call's tokens; returns its cost in USD. */
  record(input: {
    agent: string;
    taskId: string;
    provider: string;
    model: string;
    tokens: { input: number; output: number };
  }): Promise<number> {
    return this.#lock.run(async () => {
      this.#rollDay();
      const cost = this.costOf(input.provider, input.model, input.tokens);
      const day = this.#today;
      day.total_usd = round(day.total_usd + cost);
      day.calls += 1;
      add(day.by_agent, input.agent, cost);
      add(day.by_task, input.taskId, cost);
      add(day.by_model, `${input.provider}:${input.model}`, cost);
      add(this.#taskTotals, input.taskId, cost);
      await writeJsonAtomically(join(this.#dir, `${day.day}.json`), day);
      return cost;
    });
  }

  #rollDay(): void {
    const day = this.#now().toISOString().slice(0, 10);
    if (this.#today.day !== day) this.#today = emptyDay(day);
  }
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
