import { z } from 'zod';
import { AgentNameSchema } from './task.ts';

/** The seed's ALLOWED_TOP_DIRS plus this project's own folders. */
export const DEFAULT_ALLOWED_TOP_DIRS = [
  '.github',
  'grok',
  'gemini',
  'shared',
  'docs',
  'tests',
  'tasks',
  'prompts',
  'site',
  'scripts',
  'examples',
  'src',
] as const;

/** Provider kinds an agent can name. `local` is any OpenAI-compatible server. */
export const PROVIDER_IDS = ['gemini', 'openai', 'xai', 'local', 'replay'] as const;
export const ProviderIdSchema = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderIdSchema>;

export const ModelRefSchema = z.strictObject({
  provider: ProviderIdSchema,
  model: z.string().min(1),
});
export type ModelRef = z.infer<typeof ModelRefSchema>;

/** Spending caps in US dollars; a call that would pass one is not made. */
export const CapsSchema = z.strictObject({
  per_task_usd: z.number().positive().optional(),
  per_agent_daily_usd: z.number().positive().optional(),
  daily_usd: z.number().positive().optional(),
});
export type Caps = z.infer<typeof CapsSchema>;

/** Price of a model in US dollars per million tokens. */
export const PriceSchema = z.strictObject({
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
});
export type Price = z.infer<typeof PriceSchema>;

export const ProtocolConfigSchema = z.strictObject({
  allowed_top_dirs: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_ALLOWED_TOP_DIRS]),
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
});
export type MaxOutputTokens = z.infer<typeof MaxOutputTokensSchema>;

export const ChecksConfigSchema = z.strictObject({
  /** Shell command run in a worktree of the task's branch; none means "green". */
  command: z.string().min(1).optional(),
  timeout_seconds: z.int().positive().default(600),
});

/**
 * An agent as written in the config file. The built-ins use the same shape, so a config entry
 * with a built-in's name overrides it field by field.
 */
export const AgentConfigSchema = z.strictObject({
  name: AgentNameSchema,
  role: z.enum(['coder', 'reviewer', 'planner', 'tool']).optional(),
  provider: ProviderIdSchema.optional(),
  model: z.string().min(1).optional(),
  fallbacks: z.array(ModelRefSchema).optional(),
  permissions: z
    .strictObject({
      /** May write under `.github/`. */
      github: z.boolean().optional(),
    })
    .optional(),
  prompt: z.string().min(1).optional(),
  caps: CapsSchema.optional(),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** `aifactory.config.ts` (through `defineConfig`). Every field has a default. */
export const ConfigSchema = z.strictObject({
  agents: z.array(AgentConfigSchema).default([]),
  /** Plugin modules (paths relative to the repository root) whose default export is an agent. */
  plugins: z.array(z.string().min(1)).default([]),
  default_reviewer: AgentNameSchema.optional(),
  prices: z.record(z.string(), PriceSchema).default({}),
  caps: CapsSchema.default({}),
  max_output_tokens: MaxOutputTokensSchema.default(MaxOutputTokensSchema.parse({})),
  protocol: ProtocolConfigSchema.default(ProtocolConfigSchema.parse({})),
  checks: ChecksConfigSchema.default(ChecksConfigSchema.parse({})),
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
