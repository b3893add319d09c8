/** `aifactory eval`: replays merged tasks against one agent or model, one recorded case at a time, under eval's own cap. */
import { randomBytes } from 'node:crypto';
import { BudgetLedger, EVAL_BUDGET_DIR } from '../../agents/budget/ledger.ts';
import { invokeAgent } from '../../agents/invoke.ts';
import { AgentRegistry } from '../../agents/registry.ts';
import type { Agent } from '../../agents/types.ts';
import type { Config, ModelRef } from '../../core/config.ts';
import { type ErrorInfo, FactoryError } from '../../core/errors.ts';
import { type CostForecast, forecastCost } from '../../core/record/cost-forecast.ts';
import { evalRunId, parseModelRef, selectEvalTasks } from '../../core/record/eval-plan.ts';
import type { EvalCase, EvalRun } from '../../core/record/eval-record.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import type { Task } from '../../core/task/task.ts';
import { createCheckSandbox } from '../../forge/sandbox.ts';
import { Mutex } from '../../io/process.ts';
import { callTimeouts } from '../../providers/index.ts';
import { SecretGuard } from '../guard/secret-guard.ts';
import { PromptLibrary } from '../prompts.ts';
import { redactedProgress } from '../report/progress.ts';
import { providerSource } from '../run/factory.ts';
import { RunStore } from '../store/run-store.ts';
import { loadRunnableTasks } from '../store/task-files.ts';
import type { CallAgent, ProgressSink } from '../types.ts';
import { type CaseOutcome, runEvalCase } from './eval-case.ts';
import { EVALS_DIR, readEvalRun, writeEvalRun } from './eval-store.ts';

/** The flags of `aifactory eval`, read. */
export interface EvalOptions {
  /** The agent evaluated; required for a new run, and checked against the run's own on `resume`. */
  agent?: string;
  /** The model the agent calls instead of its own (`--model provider:model`). */
  model?: ModelRef;
  /** Task ids to replay; absent: every merged task. */
  tasks?: readonly string[];
  sinceMs?: number;
  limit?: number;
  /** Cases replayed at once (default 1). */
  concurrency?: number;
  /** The run id of a stopped run to go on with. */
  resume?: string;
  /** Answer every model call from recorded cassettes in this folder. */
  replayDir?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
}

/** What an eval run will do before it does it: its record (new, or the one resumed) and the tasks left. */
export interface EvalPlan {
  config: Config;
  agent: Agent;
  registry: AgentRegistry;
  run: EvalRun;
  /** The run's tasks without a case yet, in order. */
  remaining: string[];
  tasks: ReadonlyMap<string, Task>;
  records: ReadonlyMap<string, RunRecord>;
  /** Task files skipped as invalid, one line each. */
  invalid: string[];
  /** Whether calls cost nothing (replayed answers). */
  free: boolean;
}

/**
 * The evaluated agent: the registry's, with `model` instead of its own, no fallbacks (an eval
 * names the one model it judges) and no caps of its own (eval spend has its own cap). Answers
 * replayed from cassettes are the `replay` provider's, so a replayed eval never passes for the
 * model's own.
 */
function evaluatedAgent(
  registry: AgentRegistry,
  name: string,
  model: ModelRef | undefined,
  replay: boolean,
): Agent {
  const agent = registry.require(name);
  if (agent.role === 'tool') return agent;
  const ref = model ?? { provider: agent.provider, model: agent.model };
  const provider = replay ? 'replay' : ref.provider;
  return { ...agent, provider, model: ref.model, fallbacks: [], caps: {} };
}

/** The model an eval run names: `provider:model`, or `tool:<agent>` for an agent that calls none. */
export function modelName(agent: Agent): string {
  return agent.role === 'tool' ? `tool:${agent.name}` : `${agent.provider}:${agent.model}`;
}

/** The model a resumed run evaluates, from its record. */
function modelOfRun(run: EvalRun): ModelRef | undefined {
  if (run.model.startsWith('tool:')) return undefined;
  const parsed = parseModelRef(run.model);
  if ('problem' in parsed) {
    throw new FactoryError(
      'config',
      `--resume: ${EVALS_DIR}/${run.run_id}.json: field "model": ${parsed.problem}`,
    );
  }
  return parsed.ref;
}

/**
 * Reads the repository and decides what the run replays: a new run from the selection flags,
 * or the stopped run named by `resume`, with the tasks it has no case for yet.
 * @throws FactoryError (`config`) naming the flag: no agent, an unknown one, a task that cannot be
 *   replayed, a run that cannot be resumed, or a selection with nothing to replay.
 */
export async function planEval(root: string, options: EvalOptions): Promise<EvalPlan> {
  const { config, registry, tasks, invalid } = await loadRunnableTasks(root);
  const { records } = await new RunStore(root).readAll();
  const now = options.now ?? (() => new Date());
  let run: EvalRun;
  if (options.resume) {
    run = await readEvalRun(root, options.resume);
    if (options.agent && options.agent !== run.agent) {
      throw new FactoryError(
        'config',
        `--agent: run ${run.run_id} evaluates ${run.agent}, not ${options.agent}`,
      );
    }
    run = { ...run, stopped_by_cap: false };
  } else {
    if (!options.agent)
      throw new FactoryError('config', '--agent: name the agent to evaluate (`aifactory agents` lists them)');
    const picked = selectEvalTasks(records.values(), {
      ids: options.tasks,
      sinceMs: options.sinceMs,
      limit: options.limit,
      now: now(),
    });
    if (picked.problems.length > 0)
      throw new FactoryError('config', `--tasks: ${picked.problems.join('; ')}`);
    if (picked.taskIds.length === 0) {
      throw new FactoryError(
        'config',
        `--tasks: no merged task to replay${options.sinceMs !== undefined ? ' within --since' : ''}; run the factory until tasks merge (shared/runs/ holds their records)`,
      );
    }
    const agent = evaluatedAgent(registry, options.agent, options.model, options.replayDir !== undefined);
    const started = now();
    run = {
      version: 1,
      run_id: evalRunId(started, randomBytes(3).toString('hex')),
      agent: agent.name,
      model: modelName(agent),
      started_at: started.toISOString(),
      finished_at: null,
      task_ids: picked.taskIds,
      cases: [],
      stopped_by_cap: false,
    };
  }
  const replay = options.replayDir !== undefined;
  const agent = evaluatedAgent(registry, run.agent, options.resume ? modelOfRun(run) : options.model, replay);
  const done = new Set(run.cases.map((item) => item.task_id));
  const byId = new Map(tasks.map((task) => [task.task_id, { ...task, assignee: agent.name }]));
  return {
    config,
    agent,
    registry: new AgentRegistry(
      registry.list().map((each) => (each.name === agent.name ? agent : each)),
      config.default_reviewer,
    ),
    run,
    remaining: run.task_ids.filter((id) => !done.has(id)),
    tasks: byId,
    records,
    invalid,
    free: agent.role !== 'tool' && agent.provider === 'replay',
  };
}

/** The config eval's ledger holds calls to: eval's daily cap as its only cap. */
function ledgerConfig(config: Config): Config {
  return {
    ...config,
    caps: { daily_usd: config.caps.eval_daily_usd, eval_daily_usd: config.caps.eval_daily_usd },
  };
}

function openLedger(root: string, plan: EvalPlan, now: () => Date, warn?: (message: string) => void) {
  return BudgetLedger.open(root, {
    config: ledgerConfig(plan.config),
    dir: EVAL_BUDGET_DIR,
    now,
    free: plan.free,
    ...(warn ? { warn } : {}),
  });
}

/**
 * What the tasks left may cost, from the run records (each as a fresh task of the evaluated
 * agent, else of every agent), against what is left of `caps.eval_daily_usd` today.
 */
export async function evalForecast(root: string, plan: EvalPlan, now = new Date()): Promise<CostForecast> {
  const ledger = await openLedger(root, plan, () => now);
  return forecastCost({
    records: plan.records.values(),
    planned: plan.remaining.map((id) => ({
      id,
      agent: plan.agent.name,
      state: 'fresh' as const,
      spent_usd: 0,
    })),
    caps: { daily_usd: plan.config.caps.eval_daily_usd },
    spent: { total_usd: ledger.spentToday(), by_agent: new Map() },
    now,
  });
}

/** How an eval run ended: its record as written, and why it stopped before the end, if it did. */
export interface EvalResult {
  run: EvalRun;
  stop?: { kind: 'cap' | 'setup'; error: ErrorInfo } | { kind: 'interrupted' };
}

/**
 * Replays the plan's tasks left, `concurrency` at a time. The record is written before the first
 * case and after each one, atomically, so a run killed at any point resumes (`resume`) without
 * repeating a finished case. The first case that reaches the eval cap, or finds the set-up
 * refused, stops the run: cases under way finish, no new one starts, and the record says so.
 */
export async function runEval(
  root: string,
  plan: EvalPlan,
  options: EvalOptions & { progress: ProgressSink },
): Promise<EvalResult> {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const secrets = SecretGuard.fromEnv(env);
  const progress = redactedProgress(options.progress, secrets);
  const { config } = plan;
  const timeouts = callTimeouts(env);
  const ledger = await openLedger(root, plan, now, (message) => progress.warn?.(message));
  const providerFor = providerSource(
    { env, ...(options.replayDir ? { replayDir: options.replayDir } : {}) },
    {
      timeouts,
      config,
    },
  );
  const callAgent: CallAgent = (agent, request) =>
    invokeAgent(agent, request, {
      providerFor: (ref) => providerFor(ref, agent),
      ledger,
      deadlineMs: timeouts.deadlineMs,
      maxOutputTokens: config.max_output_tokens,
    });
  const services = {
    root,
    config,
    registry: plan.registry,
    callAgent,
    prompts: new PromptLibrary(root, { redact: (text) => secrets.redact(text) }),
    progress,
    secrets,
    sandbox: createCheckSandbox({
      kind: config.checks.sandbox,
      network: config.checks.network,
      hide: [root],
      warn: (message) => progress.warn?.(message),
    }),
    now,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  let run = plan.run;
  const writes = new Mutex();
  const record = (change: (current: EvalRun) => EvalRun) =>
    writes.run(async () => {
      run = change(run);
      await writeEvalRun(root, run);
    });
  await record((current) => current);
  const queue = [...plan.remaining];
  let stop: EvalResult['stop'];
  const replay = async (id: string): Promise<CaseOutcome> => {
    const merge = plan.records.get(id)?.merge_commit;
    if (!merge) {
      const message = `${id}: its run record in shared/runs/ is gone or no longer merged, so there is nothing to replay it from`;
      return { kind: 'setup', error: { class: 'config', message } };
    }
    progress.step(id, `replaying against ${run.model}`);
    return runEvalCase(services, { taskId: id, task: plan.tasks.get(id), mergeCommit: merge });
  };
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && !stop && !options.signal?.aborted) {
      const id = queue.shift()!;
      const outcome = await replay(id);
      if (outcome.kind === 'case') {
        progress.step(id, describeCase(outcome.case));
        await record((current) => ({ ...current, cases: [...current.cases, outcome.case] }));
      } else {
        stop ??= outcome;
        if (outcome.kind !== 'interrupted') progress.step(id, `not replayed: ${outcome.error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  if (!stop && options.signal?.aborted) stop = { kind: 'interrupted' };
  await record((current) => ({
    ...current,
    stopped_by_cap: stop?.kind === 'cap',
    finished_at: current.cases.length === current.task_ids.length ? now().toISOString() : null,
  }));
  return { run, ...(stop ? { stop } : {}) };
}

/** One case as a progress line. */
export function describeCase(item: EvalCase): string {
  if (item.status !== 'done') return `${item.status}: ${item.error?.message ?? ''}`;
  return `own checks ${item.own_checks}, hidden tests ${item.hidden_tests} (${item.hidden_test_files.length} file${item.hidden_test_files.length === 1 ? '' : 's'}), ${item.diff_lines} changed lines (accepted: ${item.accepted_diff_lines}), $${item.cost_usd.toFixed(4)}`;
}
