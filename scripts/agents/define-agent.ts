// `defineAgent`: checks the definition of a built-in or plugin agent and fills in its defaults.
import { z } from 'zod';
import {
  AGENT_ROLES,
  CapsSchema,
  ModelRefSchema,
  type ModelRole,
  PermissionsSchema,
  ProviderIdSchema,
} from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { AgentNameSchema } from '../core/task/task.ts';
import type { Agent, ModelAgent, ToolAgent } from './types.ts';

const AgentDefinitionSchema = z.strictObject({
  name: AgentNameSchema,
  role: z.enum(AGENT_ROLES),
  description: z.string().min(1).optional(),
  provider: ProviderIdSchema.optional(),
  model: z.string().min(1).optional(),
  fallbacks: z.array(ModelRefSchema).optional(),
  permissions: PermissionsSchema.default({}),
  prompt: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'name a file under prompts/ without ".md"')
    .optional(),
  instructions: z.string().trim().min(1).max(8_000).optional(),
  caps: CapsSchema.default({}),
  tools: z.boolean().optional(),
  run: z.function().optional(),
});

/** What `defineAgent` accepts: everything but the name and role has a default. */
export type AgentDefinition = z.input<typeof AgentDefinitionSchema> & {
  run?: ToolAgent['run'];
};

/** The fields only a model agent reads: a tool agent that sets one expects a model call it never gets. */
const MODEL_FIELDS = ['provider', 'model', 'fallbacks', 'prompt', 'instructions', 'tools'] as const;

/**
 * Declares an agent (a built-in or a plugin). Model agents need `provider` and `model`;
 * a `tool` agent needs `run`, answers without a model, and takes none of the model fields.
 * @throws FactoryError `config` naming the source and the field.
 */
export function defineAgent(definition: AgentDefinition & { role: 'tool' }, source?: string): ToolAgent;
export function defineAgent(definition: AgentDefinition & { role: ModelRole }, source?: string): ModelAgent;
export function defineAgent(definition: AgentDefinition, source?: string): Agent;
export function defineAgent(definition: AgentDefinition, source = 'defineAgent'): Agent {
  const parsed = AgentDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(agent)';
    throw new FactoryError('config', `${source}: agent field "${field}": ${issue.message}`);
  }
  const value = parsed.data;
  const name = value.name;
  const base = {
    name,
    description: value.description ?? `${value.role} agent`,
    permissions: {
      github: value.permissions.github ?? false,
      controlPlane: [...(value.permissions.control_plane ?? [])],
    },
    caps: value.caps,
  };
  if (value.role === 'tool') {
    if (!definition.run) {
      throw new FactoryError('config', `${source}: tool agent "${name}" needs a run(input) function`);
    }
    const set = MODEL_FIELDS.find((field) => value[field] !== undefined);
    if (set) {
      throw new FactoryError(
        'config',
        `${source}: tool agent "${name}" calls no model, so field "${set}" does not apply; remove it, or give the agent a model role`,
      );
    }
    return { ...base, role: 'tool', run: definition.run };
  }
  if (definition.run) {
    throw new FactoryError(
      'config',
      `${source}: agent "${name}" has run(input), which only a tool agent has; set role: 'tool', or remove run`,
    );
  }
  if (!value.provider || !value.model) {
    throw new FactoryError('config', `${source}: agent "${name}" needs a provider and a model`);
  }
  return {
    ...base,
    role: value.role,
    provider: value.provider,
    model: value.model,
    fallbacks: value.fallbacks ?? [],
    prompt: value.prompt ?? 'coder',
    ...(value.instructions ? { instructions: value.instructions } : {}),
    ...(value.tools !== undefined ? { tools: value.tools } : {}),
  };
}
