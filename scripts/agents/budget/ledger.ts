// The budget ledger: prices each model call, sets its output limit from the caps, keeps spend per UTC day.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, Price } from '../../core/config.ts';
import { FactoryError } from '../../core/errors.ts';
import { sliceCap } from '../../core/task/shard.ts';
import { writeJsonAtomically } from '../../io/atomic-write.ts';
import type { Agent } from '../types.ts';
import { BUDGET_FILE_NAME, type Day, dayFile, emptyDay, parseDayFile } from './file.ts';
import { cachedInputRate, findPrice, UNKNOWN_MODEL_PRICE } from './prices.ts';

/** Spend is kept per UTC day here, relative to the repository root. */
export const BUDGET_DIR = 'shared/budget';
/** The spend of `aifactory eval`, kept apart from the factory's under its own cap. */
export const EVAL_BUDGET_DIR = 'shared/budget/eval';

/** Output tokens below which an answer is not worth asking for: the call waits for more budget. */
export const MIN_OUTPUT_TOKENS = 1024;

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;
const add = (table: Map<string, number>, key: string, usd: number): void => {
  table.set(key, round((table.get(key) ?? 0) + usd));
};
const usd = (amount: number): string => `$${amount.toFixed(4)}`;
const FREE: Price = { input_per_mtok: 0, output_per_mtok: 0, cached_input_per_mtok: 0 };

/** The tokens of a call: `cachedInput` is the part of `input` the provider served from its prompt cache. */
export interface Tokens {
  input: number;
  output: number;
  cachedInput?: number;
}

/** Money set aside for a call under way: its output limit and the most it can cost. */
export interface Reservation {
  maxOutputTokens: number;
  estimateUsd: number;
  /** Gives the money back when the call is not recorded (it failed). Safe to call twice. */
  release(): void;
}

interface Held {
  total: number;
  byAgent: Map<string, number>;
  byTask: Map<string, number>;
}

/**
 * The budget ledger: prices calls by the model that was requested, sets each call's output limit
 * from the caps (per task, per agent per day, per day), and keeps spend in
 * `shared/budget/<YYYY-MM-DD>.json` so caps hold across runs. A damaged or forged file is skipped
 * with a warning, never fatal.
 */
export class BudgetLedger {
  readonly #dir: string;
  readonly #config: Config;
  readonly #now: () => Date;
  readonly #warn: (message: string) => void;
  /** Days whose spend changed since their file was last written. */
  readonly #unwritten = new Set<Day>();
  /** The write under way, and the one that waits for it (see `#persist`). */
  #writing: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  readonly #taskTotals: Map<string, number>;
  readonly #held: Held = { total: 0, byAgent: new Map(), byTask: new Map() };
  readonly #warnings: string[] = [];
  readonly #unpriced = new Set<string>();
  readonly #free: boolean;
  readonly #shards: number;
  /** The day's spend when the ledger was opened: shards split what was left of it. */
  readonly #opening: { day: string; total: number; byAgent: Map<string, number> };
  #today: Day;

  private constructor(
    dir: string,
    options: {
      config: Config;
      now: () => Date;
      warn: (message: string) => void;
      free: boolean;
      shards: number;
    },
    today: Day,
    taskTotals: Map<string, number>,
  ) {
    this.#free = options.free;
    this.#dir = dir;
    this.#config = options.config;
    this.#now = options.now;
    this.#warn = options.warn;
    this.#shards = options.shards;
    this.#today = today;
    this.#opening = { day: today.day, total: today.total, byAgent: new Map(today.byAgent) };
    this.#taskTotals = taskTotals;
  }

  /**
   * Reads the ledger under `root`. Every file that is not a budget file the factory wrote is
   * skipped; each skip is a warning, passed to `warn` and kept in `warnings`. A `free` ledger
   * prices every call at $0: replayed answers were paid for when they were recorded, not now.
   * With `shards` > 1 (one worker of `run --shard i/n`), the daily caps are this shard's slice:
   * the day's spend so far plus 1/n of what is left, so n shards together stay under each cap.
   * `dir` (relative to `root`, default `BUDGET_DIR`) keeps a ledger apart, as eval's is.
   */
  static async open(
    root: string,
    options: {
      config: Config;
      now?: () => Date;
      warn?: (message: string) => void;
      free?: boolean;
      shards?: number;
      dir?: string;
    },
  ): Promise<BudgetLedger> {
    const relative = options.dir ?? BUDGET_DIR;
    const dir = join(root, relative);
    const now = options.now ?? (() => new Date());
    const dayOf = now().toISOString().slice(0, 10);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((name) =>
      BUDGET_FILE_NAME.test(name),
    );
    const taskTotals = new Map<string, number>();
    const skipped: string[] = [];
    let today = emptyDay(dayOf);
    for (const name of names.sort()) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
      const read = text === undefined ? { problem: 'it cannot be read' } : parseDayFile(name, text);
      if ('problem' in read) {
        skipped.push(
          `${relative}/${name} is skipped: ${read.problem}. Its spend does not count toward the caps; restore it from git history, or delete it`,
        );
        continue;
      }
      for (const [task, amount] of read.day.byTask) add(taskTotals, task, amount);
      if (read.day.day === dayOf) today = read.day;
    }
    const ledger = new BudgetLedger(
      dir,
      {
        config: options.config,
        now,
        warn: options.warn ?? (() => undefined),
        free: options.free === true,
        shards: options.shards ?? 1,
      },
      today,
      taskTotals,
    );
    for (const message of skipped) ledger.#warning(message);
    return ledger;
  }

  /** The warnings so far: skipped files, models charged at the unknown-model price. */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /**
   * The price of a model as requested: config `provider:model`, config `model`, the built-in
   * estimate (a dated snapshot falls back to its base model); else the unknown-model price, with
   * a warning once per ledger (once per run).
   */
  priceOf(provider: string, model: string): Price {
    if (this.#free) return FREE;
    const price = findPrice(this.#config.prices, provider, model);
    if (price) return price;
    const name = `${provider}:${model}`;
    if (!this.#unpriced.has(name)) {
      this.#unpriced.add(name);
      this.#warning(
        `no price for ${name}: it is charged at the highest built-in price ($${UNKNOWN_MODEL_PRICE.input_per_mtok} in, $${UNKNOWN_MODEL_PRICE.output_per_mtok} out per million tokens) so caps still hold; set prices: { '${name}': { input_per_mtok: …, output_per_mtok: … } } in aifactory.config.ts`,
      );
    }
    return UNKNOWN_MODEL_PRICE;
  }

  /**
   * What a call of these tokens costs: `cachedInput` (part of `input`, at most all of it) at the
   * cached rate, the rest of the input at the input rate, the output at the output rate.
   */
  costOf(provider: string, model: string, tokens: Tokens): number {
    const price = this.priceOf(provider, model);
    const cached = Math.min(tokens.cachedInput ?? 0, tokens.input);
    const fresh = tokens.input - cached;
    return round(
      (fresh * price.input_per_mtok +
        cached * cachedInputRate(price) +
        tokens.output * price.output_per_mtok) /
        1e6,
    );
  }

  /** Spend so far today (UTC), in USD. */
  spentToday(): number {
    this.#rollDay();
    return this.#today.total;
  }

  /** Spend so far today (UTC) per agent, in USD: what each agent's daily cap counts from. */
  spentTodayByAgent(): ReadonlyMap<string, number> {
    this.#rollDay();
    return new Map(this.#today.byAgent);
  }

  /** What a task has cost over every day of the ledger: what its per-task cap counts from. */
  spentOnTask(taskId: string): number {
    return this.#taskTotals.get(taskId) ?? 0;
  }

  /**
   * Sets aside the most a call can cost and returns its output limit: `ceiling` tokens, or fewer
   * when the tightest cap can pay for fewer. The worst case is `inputTokens` (an upper bound: the
   * bytes of everything sent, see `inputTokenBound`) plus `turns` answers at the output limit,
   * each answer but the last billed again as input (structured output's repair turn). What a call
   * records never exceeds what it reserved, and money held by calls under way counts as spent, so
   * concurrent calls cannot pass a cap together.
   * @throws FactoryError `budget`, naming the cap, the spend and the limit, when not even a minimal
   * answer (`MIN_OUTPUT_TOKENS`, or `ceiling` when lower) is affordable: the call is not made.
   */
  reserve(input: {
    agent: Agent;
    taskId: string;
    provider: string;
    model: string;
    inputTokens: number;
    ceiling: number;
    turns?: number;
  }): Reservation {
    this.#rollDay();
    const { agent, taskId } = input;
    const turns = input.turns ?? 1;
    const price = this.priceOf(input.provider, input.model);
    const inputUsd = (input.inputTokens * price.input_per_mtok) / 1e6;
    const perToken = (turns * price.output_per_mtok + (turns - 1) * price.input_per_mtok) / 1e6;
    const minimum = Math.min(MIN_OUTPUT_TOKENS, input.ceiling);
    const caps = this.#config.caps;
    const checks: [string, number | undefined, number, number][] = [
      [
        `per-task cap of ${taskId}`,
        minOf(agent.caps.per_task_usd, caps.per_task_usd),
        this.#taskTotals.get(taskId) ?? 0,
        this.#held.byTask.get(taskId) ?? 0,
      ],
      [
        `daily cap of agent ${agent.name}`,
        this.#slice(
          agent.caps.per_agent_daily_usd ?? caps.per_agent_daily_usd,
          this.#opening.byAgent.get(agent.name),
        ),
        this.#today.byAgent.get(agent.name) ?? 0,
        this.#held.byAgent.get(agent.name) ?? 0,
      ],
      ['daily cap', this.#slice(caps.daily_usd, this.#opening.total), this.#today.total, this.#held.total],
    ];
    let tokens = input.ceiling;
    for (const [name, limit, spent, held] of checks) {
      if (limit === undefined) continue;
      const left = limit - spent - held - inputUsd;
      const affordable = perToken > 0 ? Math.floor(left / perToken + 1e-6) : left >= 0 ? tokens : -1;
      if (affordable < minimum) {
        const during = held > 1e-9 ? ` (+ ${usd(held)} held by calls under way)` : '';
        throw new FactoryError(
          'budget',
          `the ${name} ($${limit}) would be passed: ${usd(spent)} spent${during} + about ${usd(inputUsd + minimum * perToken)} for this call at most (the prompt's bytes and a minimal answer of ${minimum} tokens from ${input.provider}/${input.model}); the task waits for a later run or a higher cap`,
        );
      }
      tokens = Math.min(tokens, affordable);
    }
    const estimateUsd = inputUsd + tokens * perToken;
    return this.#hold(agent.name, taskId, estimateUsd, tokens);
  }

  /**
   * Records a call's tokens, priced by the model that was requested (never by the name a server
   * reports), and gives back its reservation; returns its cost in USD.
   */
  async record(input: {
    agent: string;
    taskId: string;
    provider: string;
    model: string;
    tokens: Tokens;
    reservation?: Reservation;
  }): Promise<number> {
    input.reservation?.release();
    const { tokens } = input;
    for (const count of [tokens.input, tokens.output, tokens.cachedInput ?? 0]) {
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new FactoryError('internal', `budget: ${count} is not a token count; nothing was recorded`);
      }
    }
    this.#rollDay();
    const cost = this.costOf(input.provider, input.model, tokens);
    const day = this.#today;
    day.total = round(day.total + cost);
    day.calls += 1;
    add(day.byAgent, input.agent, cost);
    add(day.byTask, input.taskId, cost);
    add(day.byModel, `${input.provider}:${input.model}`, cost);
    add(this.#taskTotals, input.taskId, cost);
    this.#unwritten.add(day);
    await this.#persist();
    return cost;
  }

  /**
   * Writes the days with unwritten spend. Calls recorded while a write is under way share the
   * next one (one write of the day's file for many calls), and each resolves only once a write
   * that holds its spend has finished.
   */
  #persist(): Promise<void> {
    if (!this.#queued) {
      const queued = this.#writing.then(async () => {
        this.#queued = undefined;
        const days = [...this.#unwritten];
        this.#unwritten.clear();
        try {
          for (const day of days)
            await writeJsonAtomically(join(this.#dir, `${day.day}.json`), dayFile(day), { compare: false });
        } catch (error) {
          for (const day of days) this.#unwritten.add(day);
          throw error;
        }
      });
      this.#queued = queued;
      this.#writing = queued.catch(() => undefined);
    }
    return this.#queued;
  }

  #hold(agent: string, taskId: string, amount: number, maxOutputTokens: number): Reservation {
    const held = this.#held;
    const change = (sign: 1 | -1): void => {
      held.total += sign * amount;
      held.byAgent.set(agent, (held.byAgent.get(agent) ?? 0) + sign * amount);
      held.byTask.set(taskId, (held.byTask.get(taskId) ?? 0) + sign * amount);
    };
    change(1);
    let released = false;
    return {
      maxOutputTokens,
      estimateUsd: round(amount),
      release: () => {
        if (released) return;
        released = true;
        change(-1);
      },
    };
  }

  /** A daily cap as this shard sees it; one shard (the usual run) sees the cap itself. */
  #slice(limit: number | undefined, spentAtOpening: number | undefined): number | undefined {
    if (limit === undefined || this.#shards === 1) return limit;
    const spent = this.#today.day === this.#opening.day ? (spentAtOpening ?? 0) : 0;
    // Cut to a millionth of a dollar, downwards: the slices never add up to more than the cap.
    return Math.floor(sliceCap(limit, spent, this.#shards) * 1e6) / 1e6;
  }

  #warning(message: string): void {
    this.#warnings.push(message);
    this.#warn(message);
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
