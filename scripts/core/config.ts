// The config's schema: allowed folders, agents, caps, prices, protocol, checks, providers' limits, shards. Pure.
import { z } from 'zod';
import { CONTROL_PLANE_DIRS, isControlPlaneDir, NAMED_AREAS } from './protocol/control-plane.ts';
import { AgentNameSchema } from './task/task.ts';

/**
 * The product's folders, where agents write by default: the seed's agent folders and drop folder,
 * and the usual source, docs, tests and examples. The control plane is never among them.
 */
export const DEFAULT_ALLOWED_TOP_DIRS = [
  'src',
  'docs',
  'tests',
  'examples',
  'grok',
  'gemini',
  'shared/proposals',
] as const;

/** The control-plane areas a config can grant an agent; its pull requests still wait for a person. */
export const CONTROL_PLANE_AREAS = [...CONTROL_PLANE_DIRS, ...NAMED_AREAS] as const;

/** What an agent may do beyond writing inside the allowed folders. */
export const PermissionsSchema = z.strictObject({
  /** May propose changes under `.github/` (the seed's grant to grok-fast); never merged by the factory. */
  github: z.boolean().optional(),
  /** Control-plane areas the agent may propose changes to; never merged by the factory. */
  control_plane: z.array(z.enum(CONTROL_PLANE_AREAS)).optional(),
});
export type PermissionsInput = z.infer<typeof PermissionsSchema>;

/** A folder as the config names one: a clean relative path of one or more segments. */
const FolderSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/,
    'write a folder as a/b, without "/" at either end',
  );

/** A folder agents may write: outside the control plane. */
const AllowedDirSchema = FolderSchema.refine((dir) => !isControlPlaneDir(dir), {
  message:
    'this folder is part of the control plane, which agents never write freely; grant it to one agent with permissions.control_plane (its pull requests then wait for a person)',
});

/** Provider kinds an agent can name. `local` is any OpenAI-compatible server. */
export const PROVIDER_IDS = ['gemini', 'openai', 'xai', 'local', 'replay'] as const;
export const ProviderIdSchema = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderIdSchema>;

/** The roles of agents that call a model: each writes, reviews or plans through its provider. */
export const MODEL_ROLES = ['coder', 'reviewer', 'planner'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];
/** Every role an agent can have: a model role, or `tool` (code that answers instead of a model). */
export const AGENT_ROLES = [...MODEL_ROLES, 'tool'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export const ModelRefSchema = z.strictObject({
  provider: ProviderIdSchema,
  model: z.string().min(1),
});
export type ModelRef = z.infer<typeof ModelRefSchema>;

/**
 * Spending caps in US dollars; a call that would pass one is not made. A cap that is undefined is
 * none. An agent's own caps only narrow the config's.
 */
export const CapsSchema = z.strictObject({
  per_task_usd: z.number().positive().optional(),
  per_agent_daily_usd: z.number().positive().optional(),
  daily_usd: z.number().positive().optional(),
});
export type Caps = z.infer<typeof CapsSchema>;

/** What `aifactory eval` may spend in one UTC day when the config names no `caps.eval_daily_usd`. */
export const DEFAULT_EVAL_DAILY_USD = 5;

/** The caps of a config that names none: a cap per task and per day, never unlimited by default. */
export const DEFAULT_CAPS = { per_task_usd: 2, daily_usd: 10 } as const;

/**
 * The config's `caps`. A cap left out is the default (DEFAULT_CAPS; no per-agent daily cap);
 * no cap at all must be written as such, `null` (`daily_usd: null`). Read as Caps, plus the daily
 * cap of `aifactory eval`: eval spend is kept apart from the factory's (`shared/budget/eval/`), it
 * counts toward this cap alone, and this cap counts nothing else.
 */
export const ConfigCapsSchema = z
  .strictObject({
    per_task_usd: z.number().positive().nullable().default(DEFAULT_CAPS.per_task_usd),
    per_agent_daily_usd: z.number().positive().nullable().optional(),
    daily_usd: z.number().positive().nullable().default(DEFAULT_CAPS.daily_usd),
    eval_daily_usd: z.number().positive().default(DEFAULT_EVAL_DAILY_USD),
  })
  .transform((caps): Caps & { eval_daily_usd: number } => ({
    ...(caps.per_task_usd !== null ? { per_task_usd: caps.per_task_usd } : {}),
    ...(caps.per_agent_daily_usd != null ? { per_agent_daily_usd: caps.per_agent_daily_usd } : {}),
    ...(caps.daily_usd !== null ? { daily_usd: caps.daily_usd } : {}),
    eval_daily_usd: caps.eval_daily_usd,
  }));

/**
 * Price of a model in US dollars per million tokens. `cached_input_per_mtok` is the rate of input
 * the provider served from its prompt cache; without it cached input costs the full input rate.
 */
export const PriceSchema = z.strictObject({
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
  cached_input_per_mtok: z.number().nonnegative().optional(),
});
export type Price = z.infer<typeof PriceSchema>;

export const ProtocolConfigSchema = z.strictObject({
  allowed_top_dirs: z
    .array(AllowedDirSchema)
    .min(1)
    .default([...DEFAULT_ALLOWED_TOP_DIRS]),
  /**
   * More folders of the control plane, for this repository: agents write them only with the
   * `configured` grant, and the factory never merges such a change (the template lists its own
   * test folders, so no agent rewrites the tests that guard the factory).
   */
  control_plane_dirs: z.array(FolderSchema).default([]),
  max_file_bytes: z
    .int()
    .positive()
    .default(512 * 1024),
  max_files: z.int().positive().default(50),
  max_total_bytes: z
    .int()
    .positive()
    .default(2 * 1024 * 1024),
});
export type ProtocolConfig = z.infer<typeof ProtocolConfigSchema>;

/**
 * The most output tokens (reasoning included) one call may ask for, per role of the caller. A call
 * asks for less when a spending cap can pay for less. Reviewers get room for a thinking model's
 * reasoning before the verdict: gpt-5 and Gemini 2.5 count it against the same limit.
 */
export const MaxOutputTokensSchema = z.strictObject({
  coder: z.int().positive().default(16_384),
  reviewer: z.int().positive().default(8_192),
  planner: z.int().positive().default(8_192),
} satisfies Record<ModelRole, z.ZodType>);
export type MaxOutputTokens = z.infer<typeof MaxOutputTokensSchema>;
/** The output ceilings when the config sets none: the one default every caller shares. */
export const DEFAULT_MAX_OUTPUT_TOKENS: MaxOutputTokens = MaxOutputTokensSchema.parse({});

/** How checks run: `isolate` (the default) or `none`, which runs model-written code beside the keys. */
export const CHECK_SANDBOXES = ['isolate', 'none'] as const;
export type CheckSandboxKind = (typeof CHECK_SANDBOXES)[number];

/**
 * Which Node the checks run with: `project` (the version the project pins, else the node on the
 * PATH), `path` (the node on the PATH, whatever the pin) or `factory` (the Node the factory runs on).
 */
export const CHECK_NODES = ['project', 'path', 'factory'] as const;
export type CheckNodeKind = (typeof CHECK_NODES)[number];

export const ChecksConfigSchema = z.strictObject({
  /** Shell command run in a worktree of the task's branch; none means "green". */
  command: z.string().min(1).optional(),
  timeout_seconds: z.int().positive().default(600),
  /**
   * How long the checks of one head may stay pending (a remote CI) before the task fails; for a
   * head on which no check was seen at all, how long before it waits for a person instead.
   */
  pending_timeout_minutes: z.int().positive().default(120),
  /**
   * How the factory runs the command, which runs model-written code: `isolate` (another user, no
   * view of the factory's processes, files or network; see SECURITY.md) or `none`, the opt-out by
   * name, which runs it as the factory itself and warns on every run that does.
   */
  sandbox: z.enum(CHECK_SANDBOXES).default('isolate'),
  /** The isolated command may use the network (it never may by default). */
  network: z.boolean().default(false),
  /** The Node the command runs with (docs/configuration.md#checks); never the factory's pinned one by default. */
  node: z.enum(CHECK_NODES).default('project'),
  /**
   * github forge: false only when the repository has no checks at all, so a head on which none was
   * seen may still be merged (as Renovate's `ignoreTests`). A `command`, or checks that branch
   * protection requires, mean checks are expected whatever this says. The local forge keeps its
   * contract: without `command` its heads are green.
   */
  required: z.boolean().default(true),
  /**
   * github forge, when its pushes start no workflow (GITHUB_TOKEN alone in Actions): the workflow
   * file in .github/workflows it starts on each task branch with `workflow_dispatch`, so the checks
   * run in the repository's CI, in a job that holds none of the factory's keys.
   */
  workflow: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/, {
      error: 'must be a workflow file name in .github/workflows, such as "ci.yml"',
    })
    .default('ci.yml'),
  /**
   * github forge, GITHUB_TOKEN alone in Actions: run `command` in the factory's own job instead of
   * dispatching `workflow`. Model-written code then runs in the job that holds the factory's keys:
   * an explicit choice, off by default.
   */
  self_run: z.boolean().default(false),
});

/**
 * The bounds of an agent's tool loop in one iteration (docs/agent-loop.md). A loop that reaches
 * the turns, repeats or deadline ends the iteration with an error naming the limit, and its edits
 * are dropped whole.
 */
export const AgentLoopConfigSchema = z.strictObject({
  /** Model answers in one iteration. */
  max_turns: z.int().min(1).max(1000).default(40),
  /** Tool calls run from one answer; calls past it are refused, not run. */
  max_calls_per_turn: z.int().min(1).max(1000).default(32),
  /** Bytes of one tool result the model sees. */
  result_bytes: z
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(32 * 1024),
  /** Estimated tokens of the conversation before older tool results are shortened. */
  conversation_tokens: z.int().min(4096).max(10_000_000).default(100_000),
  /** The same call (name and arguments), with no write in between, this many times is a model looping. */
  max_repeats: z.int().min(2).max(100).default(3),
  /** The whole loop of one iteration, model calls and tools. */
  deadline_seconds: z.int().min(10).max(86_400).default(1800),
  /**
   * Estimated tokens of the repository map in a coder's first prompt (the files nearest the
   * task, their sizes and symbols); 0 leaves the map out.
   */
  repo_map_tokens: z.int().min(0).max(50_000).default(1500),
});
export type AgentLoopConfig = z.infer<typeof AgentLoopConfigSchema>;

/** How the github forge writes to GitHub. */
export const GitHubSettingsSchema = z.strictObject({
  /**
   * Commits made through the API without an author or committer, so GitHub signs them and shows
   * them as verified. They are then authored by the token's identity (the App or
   * github-actions[bot]), not by the agent; the agent is still named in the commit's trailers.
   */
  signed_commits: z.boolean().default(false),
});

/**
 * When `aifactory plan-shards` splits a run over a GitHub Actions matrix: above `threshold`
 * pending tasks, one shard per `threshold` tasks, at most `max` shards.
 */
export const ShardsConfigSchema = z.strictObject({
  threshold: z.int().positive().default(40),
  max: z.int().min(1).max(256).default(8),
});

/**
 * An agent as written in the config file. The built-ins use the same shape, so a config entry
 * with a built-in's name overrides it field by field.
 */
export const AgentConfigSchema = z.strictObject({
  name: AgentNameSchema,
  role: z.enum(AGENT_ROLES).optional(),
  provider: ProviderIdSchema.optional(),
  model: z.string().min(1).optional(),
  fallbacks: z.array(ModelRefSchema).optional(),
  permissions: PermissionsSchema.optional(),
  prompt: z.string().min(1).optional(),
  caps: CapsSchema.optional(),
  tools: z.boolean().optional(),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Limits on calls to one provider, shared by every agent that uses it within one run. */
export interface ProviderLimits {
  /** Calls in flight at once. */
  concurrency: number;
  /** Calls started in any 60 seconds; absent: no limit of the factory's own. */
  requests_per_minute?: number;
  /** Tokens (input estimated from the prompt, output as reported) in any 60 seconds; absent: none. */
  tokens_per_minute?: number;
}

/**
 * The limits each provider starts from, before the config and the server's rate-limit headers.
 * They are the published limits of the lowest paid tier of each vendor's current flagship model,
 * so a paid key works out of the box; the README's "Performance" section names where each comes
 * from and what to set for a free tier. Tokens per minute are left to the servers' headers, which
 * the limiter follows, because the vendors' token limits differ too much from model to model.
 */
export const DEFAULT_PROVIDER_LIMITS = {
  /** OpenAI usage tier 1: 500 requests a minute for the GPT-5 and GPT-4.1 families. */
  openai: { concurrency: 8, requests_per_minute: 500 },
  /** xAI's console lists 480 requests a minute for its Grok 4 models on a new team. */
  xai: { concurrency: 8, requests_per_minute: 480 },
  /** Gemini API tier 1 (billing enabled): 150 requests a minute for Gemini 2.5 Pro; the free tier allows 5. */
  gemini: { concurrency: 4, requests_per_minute: 150 },
  /** A server on this machine (Ollama, LM Studio, llama.cpp) answers a few at a time and counts nothing. */
  local: { concurrency: 4 },
} as const satisfies Record<Exclude<ProviderId, 'replay'>, ProviderLimits>;

/** One provider's entry under `providers`; each field left out keeps the provider's default. */
export const ProviderLimitsSchema = z.strictObject({
  concurrency: z.int().min(1).max(256).optional(),
  requests_per_minute: z.int().positive().optional(),
  tokens_per_minute: z.int().positive().optional(),
});

/** The `providers` section: limits per provider that makes network calls (replay is never limited). */
export const ProvidersConfigSchema = z.strictObject({
  openai: ProviderLimitsSchema.optional(),
  xai: ProviderLimitsSchema.optional(),
  gemini: ProviderLimitsSchema.optional(),
  /** A local server also takes its address here (LOCAL_BASE_URL, when set, wins). */
  local: ProviderLimitsSchema.extend({ base_url: z.url({ protocol: /^https?$/ }).optional() }).optional(),
});
export type ProvidersConfig = z.infer<typeof ProvidersConfigSchema>;

/** A provider's limits: its defaults, overridden field by field by the config's `providers` entry. */
export function providerLimits(
  providers: ProvidersConfig,
  id: Exclude<ProviderId, 'replay'>,
): ProviderLimits {
  const defaults: ProviderLimits = DEFAULT_PROVIDER_LIMITS[id];
  const own = providers[id] ?? {};
  // Field by field: an entry that spells a field out as undefined keeps the default, as one that leaves it out.
  const requests = own.requests_per_minute ?? defaults.requests_per_minute;
  const tokens = own.tokens_per_minute ?? defaults.tokens_per_minute;
  return {
    concurrency: own.concurrency ?? defaults.concurrency,
    ...(requests === undefined ? {} : { requests_per_minute: requests }),
    ...(tokens === undefined ? {} : { tokens_per_minute: tokens }),
  };
}

/** `aifactory.config.ts` (through `defineConfig`). Every field has a default. */
export const ConfigSchema = z.strictObject({
  agents: z.array(AgentConfigSchema).default([]),
  /** Plugin modules (paths relative to the repository root) whose default export is an agent. */
  plugins: z.array(z.string().min(1)).default([]),
  default_reviewer: AgentNameSchema.optional(),
  prices: z.record(z.string(), PriceSchema).default({}),
  caps: ConfigCapsSchema.prefault({}),
  max_output_tokens: MaxOutputTokensSchema.default(MaxOutputTokensSchema.parse({})),
  protocol: ProtocolConfigSchema.default(ProtocolConfigSchema.parse({})),
  checks: ChecksConfigSchema.default(ChecksConfigSchema.parse({})),
  agent_loop: AgentLoopConfigSchema.default(AgentLoopConfigSchema.parse({})),
  github: GitHubSettingsSchema.default(GitHubSettingsSchema.parse({})),
  shards: ShardsConfigSchema.default(ShardsConfigSchema.parse({})),
  /** Rate limits per provider (see DEFAULT_PROVIDER_LIMITS). */
  providers: ProvidersConfigSchema.default({}),
  /** Agent calls a run makes at once; it keeps up to twice as many tasks open (see orchestrator.ts). */
  concurrency: z.int().min(1).max(64).default(4),
  default_branch: z.string().min(1).default('main'),
  watch_interval_seconds: z.int().min(5).default(60),
});
export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.infer<typeof ConfigSchema>;

/** Identity helper that gives `aifactory.config.ts` type checking and completion. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
