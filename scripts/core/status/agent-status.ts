// Agent status: the run's own `run.json`, and `agent-status.json`, each agent's state, spend and last run. Pure.
import { z } from 'zod';
import { ERROR_CLASSES } from '../errors.ts';
import { TokensSchema } from '../record/run-record.ts';

/**
 * Agent status: what each agent is doing, as the last run saw it. The run writes its own
 * observations to `shared/status/run.json` (`RunFileSchema`) while it works; the snapshot builder
 * turns them, the registry and the budget ledger's day into `agent-status.json`. Pure.
 */

const IsoTime = z.iso.datetime({ offset: true });
const Usd = z.number().nonnegative();

/** How a run was started: a GitHub event, `watch` (a local schedule), or a one-off local run. */
export const RUN_TRIGGERS = ['schedule', 'workflow_dispatch', 'push', 'watch', 'local', 'other'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** Triggers that repeat by themselves: only after one of these does silence mean "stopped". */
export const SCHEDULED_TRIGGERS: ReadonlySet<RunTrigger> = new Set(['schedule', 'watch']);

/**
 * The trigger of a run from its environment: GitHub Actions names its event in
 * `GITHUB_EVENT_NAME`; outside Actions a run is `watch` (a loop) or `local` (one-off).
 */
export function runTrigger(env: Readonly<Record<string, string | undefined>>, loop: boolean): RunTrigger {
  if (env.GITHUB_ACTIONS !== 'true') return loop ? 'watch' : 'local';
  const event = env.GITHUB_EVENT_NAME;
  return event === 'schedule' || event === 'workflow_dispatch' || event === 'push' ? event : 'other';
}

/** One agent as one run saw it. Never a key: only the name of the variable that holds it. */
export const AgentObservationSchema = z.strictObject({
  name: z.string(),
  /** The variable its provider reads the key from; null when it needs none (replay, tool agents). */
  key_env: z.string().nullable(),
  key_configured: z.boolean().nullable(),
  /** Model requests tried in this run, failed tries included. */
  requests: z.int().nonnegative(),
  tokens: TokensSchema,
  /** Tasks with a call of this agent under way (empty once the run is over). */
  working_on: z.array(z.string()),
  /** The last answer: which model gave it, and whether it was one of the agent's fallbacks. */
  last_answer: z
    .strictObject({ provider: z.string(), model: z.string(), fallback: z.boolean(), at: IsoTime })
    .nullable(),
  /** The last call that failed, cleared by an answer; `until` is when a rate limit said to come back. */
  last_failure: z
    .strictObject({
      class: z.enum(ERROR_CLASSES),
      message: z.string(),
      at: IsoTime,
      until: IsoTime.nullable(),
    })
    .nullable(),
});

/** `run.json`: the last run, written by the run itself at its start, as it goes and at its end. */
export const RunFileSchema = z.strictObject({
  version: z.literal(1),
  trigger: z.enum(RUN_TRIGGERS),
  /** Every answer came from recorded cassettes: the figures are a demo's, and cost nothing. */
  replay: z.boolean(),
  started_at: IsoTime,
  /** Null while the run is under way. */
  finished_at: IsoTime.nullable(),
  /** The start of the newest run started by a schedule, this one or an earlier one. */
  last_scheduled_at: IsoTime.nullable(),
  agents: z.array(AgentObservationSchema),
});

export const AGENT_STATES = [
  'working',
  'idle',
  'rate_limited',
  'budget_paused',
  'key_missing',
  'key_refused',
  'erroring',
] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export const AgentStatusSchema = z.strictObject({
  name: z.string(),
  role: z.string(),
  provider: z.string(),
  model: z.string(),
  key_env: z.string().nullable(),
  key_configured: z.boolean().nullable(),
  state: z.enum(AGENT_STATES),
  /** The task it is working on, when `working`. */
  task: z.string().nullable(),
  /** When a rate limit or a daily cap lets it go on, when known. */
  until: IsoTime.nullable(),
  last_error: z.string().nullable(),
  spent_today_usd: Usd,
  /** Its own daily cap (the agent's, else the config's per-agent cap). */
  daily_cap_usd: Usd.nullable(),
  per_task_cap_usd: Usd.nullable(),
  last_run: z.strictObject({ requests: z.int().nonnegative(), tokens: TokensSchema }).nullable(),
  /** `provider:model` that last answered, when it was a fallback rather than the agent's model. */
  fallback_model: z.string().nullable(),
});

/** `agent-status.json`: every registered agent's state, spend against its caps and last run. */
export const AgentStatusFileSchema = z.strictObject({
  version: z.literal(1),
  /** The UTC day spend is counted for: the day of the last run. */
  day: z.iso.date().nullable(),
  spent_today_usd: Usd,
  daily_cap_usd: Usd.nullable(),
  run: z
    .strictObject({
      trigger: z.enum(RUN_TRIGGERS),
      replay: z.boolean(),
      started_at: IsoTime,
      finished_at: IsoTime.nullable(),
    })
    .nullable(),
  agents: z.array(AgentStatusSchema),
});

export type AgentObservation = z.infer<typeof AgentObservationSchema>;
export type RunFile = z.infer<typeof RunFileSchema>;
export type AgentStatus = z.infer<typeof AgentStatusSchema>;
export type AgentStatusFile = z.infer<typeof AgentStatusFileSchema>;

/** A registered agent, as the status needs it. */
export interface AgentProfile {
  name: string;
  role: string;
  provider: string;
  model: string;
  key_env: string | null;
  caps: { per_task_usd?: number | undefined; per_agent_daily_usd?: number | undefined };
}

export interface AgentStatusInput {
  agents: readonly AgentProfile[];
  /** The config's caps, under each agent's own. */
  caps: {
    per_task_usd?: number | undefined;
    per_agent_daily_usd?: number | undefined;
    daily_usd?: number | undefined;
  };
  run: RunFile | null;
  /** The budget ledger's day of the last run. */
  spend: { day: string; total_usd: number; by_agent: Readonly<Record<string, number>> } | null;
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/** The start of the UTC day after `day` (YYYY-MM-DD): when a daily cap starts over. */
function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
}

function statusOf(profile: AgentProfile, input: AgentStatusInput): AgentStatus {
  const seen = input.run?.agents.find((agent) => agent.name === profile.name);
  const spent = round(input.spend?.by_agent[profile.name] ?? 0);
  const dailyCap = profile.caps.per_agent_daily_usd ?? input.caps.per_agent_daily_usd ?? null;
  const perTaskCap = profile.caps.per_task_usd ?? input.caps.per_task_usd ?? null;
  const failure = seen?.last_failure ?? null;
  const capReached =
    (dailyCap !== null && spent >= dailyCap) ||
    (input.caps.daily_usd !== undefined && (input.spend?.total_usd ?? 0) >= input.caps.daily_usd);
  const pausedUntil = capReached && input.spend ? dayAfter(input.spend.day) : null;
  const base = {
    name: profile.name,
    role: profile.role,
    provider: profile.provider,
    model: profile.model,
    key_env: seen?.key_env ?? profile.key_env,
    key_configured: seen ? seen.key_configured : null,
    task: null,
    until: null,
    last_error: failure?.message ?? null,
    spent_today_usd: spent,
    daily_cap_usd: dailyCap,
    per_task_cap_usd: perTaskCap,
    last_run: seen ? { requests: seen.requests, tokens: seen.tokens } : null,
    fallback_model:
      seen?.last_answer?.fallback === true ? `${seen.last_answer.provider}:${seen.last_answer.model}` : null,
  };
  if (seen && seen.working_on.length > 0) {
    return { ...base, state: 'working', task: [...seen.working_on].sort()[0]! };
  }
  if (seen?.key_configured === false) return { ...base, state: 'key_missing' };
  if (failure?.class === 'auth') return { ...base, state: 'key_refused' };
  if (failure?.class === 'budget' || capReached)
    return { ...base, state: 'budget_paused', until: pausedUntil };
  if (failure?.class === 'rate_limit') return { ...base, state: 'rate_limited', until: failure.until };
  if (failure) return { ...base, state: 'erroring' };
  return { ...base, state: 'idle' };
}

/** `agent-status.json` from the registry, the last run's observations and its day of spend. */
export function buildAgentStatus(input: AgentStatusInput): AgentStatusFile {
  const run = input.run;
  return {
    version: 1,
    day: input.spend?.day ?? null,
    spent_today_usd: round(input.spend?.total_usd ?? 0),
    daily_cap_usd: input.caps.daily_usd ?? null,
    run: run
      ? { trigger: run.trigger, replay: run.replay, started_at: run.started_at, finished_at: run.finished_at }
      : null,
    agents: [...input.agents]
      .sort((a, b) => a.name.localeCompare(b.name, 'en'))
      .map((profile) => statusOf(profile, input)),
  };
}

const clock = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** The state in words, the same in the terminal and on the dashboard: "working on task-7", … */
export function describeAgentState(status: AgentStatus): string {
  switch (status.state) {
    case 'working':
      return `working on ${status.task}`;
    case 'idle':
      return 'idle';
    case 'rate_limited':
      return status.until ? `rate-limited until ${clock(status.until)}` : 'rate-limited';
    case 'budget_paused':
      return status.until ? `paused by budget until ${clock(status.until)}` : 'paused by budget';
    case 'key_missing':
      return `no key: set ${status.key_env}`;
    case 'key_refused':
      return `key refused (${status.key_env})`;
    case 'erroring':
      return `erroring: ${status.last_error}`;
  }
}
