// One run of the factory, set up: config, secrets, forge, providers, budget and sandbox, then the orchestrator.
import { join } from 'node:path';
import { BudgetLedger } from '../../agents/budget/ledger.ts';
import { invokeAgent } from '../../agents/invoke.ts';
import type { AgentRegistry } from '../../agents/registry.ts';
import { type Agent, isModelAgent } from '../../agents/types.ts';
import type { Config, ModelRef } from '../../core/config.ts';
import { type ErrorInfo, FactoryError } from '../../core/errors.ts';
import type { CostForecast } from '../../core/record/cost-forecast.ts';
import type { RunRecord } from '../../core/record/run-record.ts';
import { runTrigger } from '../../core/status/agent-status.ts';
import { planRun } from '../../core/task/schedule.ts';
import { type Shard, tasksInShard } from '../../core/task/shard.ts';
import type { Task } from '../../core/task/task.ts';
import type { TaskState } from '../../core/task/task-state.ts';
import { isFinal } from '../../core/task/task-state.ts';
import { createForge, type ForgeKind, type GitHubTuning } from '../../forge/index.ts';
import { createCheckSandbox, type SandboxSupport } from '../../forge/sandbox.ts';
import { resolveCheckToolchain } from '../../forge/toolchain.ts';
import type { Forge } from '../../forge/types.ts';
import { sweepStaleTemps } from '../../io/atomic-write.ts';
import { describeCallEvent } from '../../providers/events.ts';
import { type CallTimeouts, callTimeouts, createProvider, preloadProviders } from '../../providers/index.ts';
import type { CallEvent, ModelClient } from '../../providers/types.ts';
import { agentChecks } from '../agent-loop/checks.ts';
import { redactingForge } from '../guard/redacting-forge.ts';
import { SecretGuard } from '../guard/secret-guard.ts';
import { PromptLibrary } from '../prompts.ts';
import { redactedProgress } from '../report/progress.ts';
import { RunObserver, readRunFile } from '../report/run-observer.ts';
import { RunStore } from '../store/run-store.ts';
import { loadRunnableTasks } from '../store/task-files.ts';
import type { EngineServices, ProgressSink } from '../types.ts';
import { type RunSummary, runOnce } from './orchestrator.ts';
import { forecastOf } from './run-forecast.ts';

/** Options of `aifactory run` (and of each pass of `watch`). */
export interface RunOptions {
  /** Where pull requests live: `local` (git in this repository) or `github` (the REST API, configured from env). */
  forge: ForgeKind;
  /** Knobs of the github forge beyond its environment variables (tests make throttling fast). */
  github?: GitHubTuning;
  concurrency?: number;
  only?: readonly string[];
  /** Work only on this shard's dependency chains, with its slice of the daily caps (`run --shard i/n`). */
  shard?: Shard;
  /** The agent that works on the chosen tasks instead of their assignee (`run --agent`). */
  agent?: string;
  /** The most tasks started in this run (`run --max-tasks`). */
  maxTasks?: number;
  /** Answer every model call from recorded cassettes in this folder. */
  replayDir?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
  /** Started by `watch`: the run is one of a local schedule, not a one-off. */
  loop?: boolean;
  /** Says whether checks can be isolated on this machine (tests simulate one that cannot). */
  sandboxProbe?: () => Promise<SandboxSupport>;
  /** The cost forecast the caller already made of this selection (`run` prints it first). */
  forecast?: CostForecast;
}

/**
 * Provider clients per model reference, created on first use. With a replay folder every call is
 * answered from cassettes, so the factory runs with no keys and no network.
 */
export function providerSource(
  options: Pick<RunOptions, 'replayDir' | 'env' | 'github'>,
  settings: { timeouts: CallTimeouts; config?: Config },
): (ref: ModelRef, agent: Agent) => ModelClient {
  const cache = new Map<string, ModelClient>();
  return (ref, agent) => {
    const id = options.replayDir ? 'replay' : ref.provider;
    const key = `${id}:${agent.name}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const provider = createProvider(id, {
      env: options.env ?? process.env,
      agent: agent.name,
      timeoutMs: settings.timeouts.timeoutMs,
      idleTimeoutMs: settings.timeouts.idleTimeoutMs,
      ...(settings.config
        ? { maxOutputTokens: settings.config.max_output_tokens, providers: settings.config.providers }
        : {}),
      ...(options.replayDir ? { replayDir: options.replayDir } : {}),
    });
    cache.set(key, provider);
    return provider;
  };
}

/**
 * The agents that cannot be called because their key is missing, each with a message naming the
 * variable and the agent. Found before any task starts; their tasks wait instead of failing.
 */
export function missingKeys(
  agents: readonly Agent[],
  options: RunOptions,
  config?: Config,
): Map<string, string> {
  const missing = new Map<string, string>();
  if (options.replayDir) return missing;
  // With the config, so the provider limiters this makes first carry the configured limits.
  const source = providerSource(options, {
    timeouts: callTimeouts(options.env ?? process.env),
    ...(config ? { config } : {}),
  });
  for (const agent of agents.filter(isModelAgent)) {
    try {
      source({ provider: agent.provider, model: agent.model }, agent);
    } catch (error) {
      missing.set(agent.name, error instanceof Error ? error.message : String(error));
    }
  }
  return missing;
}

/**
 * The ids of `--only`, or undefined for every task.
 * @throws FactoryError (`config`) naming each id that is no valid task, as `run` and `run --dry-run` both do.
 */
export function selectedIds(
  tasks: readonly Task[],
  only: readonly string[] | undefined,
): Set<string> | undefined {
  if (!only || only.length === 0) return undefined;
  const unknown = only.filter((id) => !tasks.some((task) => task.task_id === id));
  if (unknown.length > 0) {
    throw new FactoryError(
      'config',
      `--only: no valid task ${unknown.map((id) => `"${id}"`).join(', ')} in tasks/`,
    );
  }
  return new Set(only);
}

/** The selected ids narrowed to one shard's dependency chains; unchanged without a shard. */
function inShard(tasks: readonly Task[], only: Set<string> | undefined, shard: Shard | undefined) {
  if (!shard) return only;
  const mine = tasksInShard(tasks, shard);
  return new Set([...mine].filter((id) => !only || only.has(id)));
}

/**
 * The tasks with `options.agent` as the assignee of the selected ones (all without `--only`).
 * @throws FactoryError (`config`) when no agent has that name.
 */
function withAssignee(tasks: readonly Task[], options: RunOptions, registry: AgentRegistry): Task[] {
  const agent = registry.require(options.agent!).name;
  const only = options.only ? new Set(options.only) : undefined;
  return tasks.map((task) => (!only || only.has(task.task_id) ? { ...task, assignee: agent } : task));
}

/** What one run of the factory leaves to its caller. */
export interface FactoryRun extends RunSummary {
  /** Task files that were skipped, one line each naming the file and the problem. */
  invalid: string[];
  /**
   * The run's forge, still open, handed over: the after-run step (`finishRun`) reads GitHub's CI
   * state and commits the run's state through it, then the caller closes it (`close()`).
   */
  forge: Forge;
  /** Tasks the cost forecast left for tomorrow: their median cost would pass a daily cap. */
  deferred: string[];
}

/**
 * The tasks this run leaves for tomorrow: those the cost forecast (`run --dry-run` prints the
 * same) says would pass the remaining daily cap, or their agent's, when each planned task costs
 * its median and they start in run order. The median, not the p90: it is the likely spend, and
 * the budget ledger still stops any call that would pass a cap, so a p90 would leave tasks idle
 * that most days fit. A shard counts its slice of the daily cap.
 */
async function leftForTomorrow(
  root: string,
  input: {
    config: Config;
    tasks: readonly Task[];
    records: ReadonlyMap<string, RunRecord>;
    only: ReadonlySet<string> | undefined;
    options: RunOptions;
    now: Date;
  },
): Promise<string[]> {
  const { config, records, only, options } = input;
  if (options.forecast) return options.forecast.left_for_tomorrow;
  const states = new Map<string, TaskState>([...records].map(([id, record]) => [id, record.state]));
  const forecast = await forecastOf(root, {
    config,
    plans: planRun(input.tasks, states).filter((plan) => !only || only.has(plan.task.task_id)),
    records,
    maxTasks: options.maxTasks,
    ...(options.shard ? { shards: options.shard.count } : {}),
    now: input.now,
  });
  return forecast.left_for_tomorrow;
}

/**
 * Runs the factory once over the repository at `root`.
 * @throws FactoryError (`config`) when it cannot run at all (a bad config, an incomplete github
 * environment, an unknown `--only` id); the forge is closed then.
 */
export async function runFactory(
  root: string,
  options: RunOptions,
  terminal: ProgressSink,
): Promise<FactoryRun> {
  // Built first, so that every line, record, prompt and pull request of the run goes through it.
  const secrets = SecretGuard.fromEnv(options.env ?? process.env);
  const progress = redactedProgress(terminal, secrets);
  const loaded = await loadRunnableTasks(root);
  const { config, registry, invalid } = loaded;
  const tasks = options.agent ? withAssignee(loaded.tasks, options, registry) : loaded.tasks;
  // A malformed time limit stops the run before any task starts, naming the variable.
  const timeouts = callTimeouts(options.env ?? process.env);
  // A run killed mid-write leaves a temporary file beside the one it was replacing; clear those.
  await sweepStaleTemps(join(root, 'shared'));
  const only = inShard(tasks, selectedIds(tasks, options.only), options.shard);
  const store = new RunStore(root, { redactor: secrets });
  const { records } = await store.readAll();
  const now = options.now ?? (() => new Date());
  const deferred = await leftForTomorrow(root, { config, tasks, records, only, options, now: now() });
  if (deferred.length > 0) {
    progress.warn?.(
      `the cost forecast passes today's cap (\`run --dry-run\` shows it): left for tomorrow: ${deferred.join(', ')}`,
    );
  }
  const chosen = chosenTasks(tasks, records, only);
  const held = holdTasksWithoutKeys(chosen, { registry, options, config, progress });
  const sandbox = checkSandbox(root, config, options, progress);
  const forge = await openForge(root, options, config, sandbox);
  // Until it is handed over with the summary, the forge is this function's to close.
  try {
    const setup = { root, config, registry, options, progress, secrets, now, timeouts, sandbox };
    const { services, observer } = await engineServices(setup, { forge, store });
    let touched = 0;
    const summary = await runOnce(tasks, services, {
      concurrency: options.concurrency ?? config.concurrency,
      ...(only ? { only } : {}),
      ...(options.maxTasks ? { maxTasks: options.maxTasks } : {}),
      held,
      deferred: new Set(deferred),
    })
      .then((done) => {
        touched = done.records.size;
        return done;
      })
      .finally(() => observer.finish(touched));
    return { ...summary, invalid, forge, deferred };
  } catch (error) {
    forge.close();
    throw error;
  }
}

/**
 * The selected tasks an agent still works on. Keys matter only for these: a finished task waits
 * for nothing, and one waiting for a person (needs_human) keeps that reason whatever key is missing.
 */
function chosenTasks(
  tasks: readonly Task[],
  records: ReadonlyMap<string, RunRecord>,
  only: ReadonlySet<string> | undefined,
): Task[] {
  return tasks.filter((task) => {
    const state = records.get(task.task_id)?.state ?? 'pending';
    return (!only || only.has(task.task_id)) && !isFinal(state) && state !== 'needs_human';
  });
}

/**
 * The chosen tasks whose assignee or reviewer has no key, each with the message to record; says
 * which tasks wait for which key, and starts loading the clients of the models the run will call.
 */
function holdTasksWithoutKeys(
  chosen: readonly Task[],
  context: { registry: AgentRegistry; options: RunOptions; config: Config; progress: ProgressSink },
): Map<string, ErrorInfo> {
  const { registry, options, config, progress } = context;
  const agents = new Set<Agent>();
  for (const task of chosen) {
    agents.add(registry.require(task.assignee));
    agents.add(registry.reviewerFor(task));
  }
  const missing = missingKeys([...agents], options, config);
  // The clients of the models this run will call load while the run sets up.
  if (!options.replayDir && chosen.length > 0)
    preloadProviders(
      [...agents]
        .filter(isModelAgent)
        .filter((agent) => !missing.has(agent.name))
        .flatMap((agent) => [agent.provider, ...agent.fallbacks.map((ref) => ref.provider)]),
    );
  const held = new Map<string, ErrorInfo>();
  for (const task of chosen) {
    const blocked = [task.assignee, registry.reviewerFor(task).name].find((name) => missing.has(name));
    if (blocked) held.set(task.task_id, { class: 'auth', message: missing.get(blocked)! });
  }
  for (const [agent, message] of missing) {
    const waiting = chosen
      .filter((task) => held.get(task.task_id)?.message === message)
      .map((task) => task.task_id);
    progress.warn?.(
      `${message}${waiting.length > 0 ? `; its tasks wait: ${waiting.join(', ')}` : ''} (${agent})`,
    );
  }
  return held;
}

/** The sandbox the repository's checks run in, as the config asks and this machine allows. */
function checkSandbox(root: string, config: Config, options: RunOptions, progress: ProgressSink) {
  return createCheckSandbox({
    kind: config.checks.sandbox,
    network: config.checks.network,
    hide: [root],
    warn: (message) => progress.warn?.(message),
    ...(options.sandboxProbe ? { probe: options.sandboxProbe } : {}),
    // The product's own Node and Python, never the factory's pinned Node.
    toolchain: () => resolveCheckToolchain({ root, node: config.checks.node, env: process.env }),
  });
}

/** The run's forge, of the kind `options.forge` names, with the config's checks. */
function openForge(
  root: string,
  options: RunOptions,
  config: Config,
  sandbox: ReturnType<typeof checkSandbox>,
): Promise<Forge> {
  return createForge(options.forge, {
    root,
    env: options.env ?? process.env,
    ...(options.github ? { github: options.github } : {}),
    defaultBranch: config.default_branch,
    signedCommits: config.github.signed_commits,
    checks: {
      ...(config.checks.command ? { command: config.checks.command } : {}),
      timeoutSeconds: config.checks.timeout_seconds,
      sandbox,
      required: config.checks.required,
      workflow: config.checks.workflow,
      selfRun: config.checks.self_run,
    },
  });
}

/** What the run has set up before it builds the engine's services. */
interface RunSetup {
  root: string;
  config: Config;
  registry: AgentRegistry;
  options: RunOptions;
  progress: ProgressSink;
  secrets: SecretGuard;
  now: () => Date;
  timeouts: CallTimeouts;
  sandbox: ReturnType<typeof checkSandbox>;
}

/**
 * The engine's services for one run: the redacted forge, the budget ledger behind every agent
 * call, and the observer whose figures (`shared/status/run.json`) feed the dashboard's agent status.
 */
async function engineServices(
  setup: RunSetup,
  parts: { forge: Forge; store: RunStore },
): Promise<{ services: EngineServices; observer: RunObserver }> {
  const { root, config, registry, options, progress, secrets, now, sandbox } = setup;
  const ledger = await BudgetLedger.open(root, {
    config,
    now,
    warn: (message) => progress.warn?.(message),
    // Replayed answers cost nothing: the dashboard of the demo shows $0, not a model's price.
    free: options.replayDir !== undefined,
    ...(options.shard ? { shards: options.shard.count } : {}),
  });
  const env = options.env ?? process.env;
  const observer = new RunObserver({
    root,
    trigger: runTrigger(env, options.loop === true),
    replay: options.replayDir !== undefined,
    now,
    secrets,
    previous: await readRunFile(root, (message) => progress.warn?.(message)),
    agents: registry.list(),
    env,
  });
  const services: EngineServices = {
    root,
    config,
    registry,
    forge: redactingForge(parts.forge, secrets),
    store: parts.store,
    prompts: new PromptLibrary(root, { redact: (text) => secrets.redact(text) }),
    progress,
    secrets,
    now,
    ...(config.checks.command
      ? {
          agentChecks: agentChecks({
            root,
            command: config.checks.command,
            timeoutMs: config.checks.timeout_seconds * 1000,
            sandbox,
          }),
        }
      : {}),
    callAgent: observer.wrap(agentCalls(setup, ledger)),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return { services, observer };
}

/** Each agent call of the run, charged to the ledger; retries and fallbacks show on the task's progress line. */
function agentCalls(setup: RunSetup, ledger: BudgetLedger): EngineServices['callAgent'] {
  const { config, options, progress, timeouts } = setup;
  const providerFor = providerSource(options, { timeouts, config });
  return (agent, request) => {
    const onEvent = (event: CallEvent) => {
      request.onEvent?.(event);
      progress.step(request.context.taskId, describeCallEvent(event));
    };
    return invokeAgent(
      agent,
      { ...request, onEvent },
      {
        providerFor: (ref) => providerFor(ref, agent),
        ledger,
        deadlineMs: timeouts.deadlineMs,
        maxOutputTokens: config.max_output_tokens,
      },
    );
  };
}
