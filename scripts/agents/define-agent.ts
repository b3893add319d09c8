import { z } from 'zod';
import { CapsSchema, ModelRefSchema, PermissionsSchema, ProviderIdSchema } from '../core/config.ts';
import { FactoryError } from '../core/errors.ts';
import { AgentNameSchema } from '../core/task/task.ts';
import { AGENT_ROLES, type Agent } from './types.ts';

const AgentDefinitionSchema = z.strictObject({
  name: AgentNameSchema,
  role: z.enum(AGENT_ROLES),
  description: z.string().min(1).optional(),
  provider: ProviderIdSchema.optional(),
  model: z.string().min(1).optional(),
  fallbacks: z.array(ModelRefSchema).default([]),
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
  run?: Agent['run'];
};

/**
 * Declares an agent (a built-in or a plugin). Model agents need `provider` and `model`;
 * a `tool` agent needs `run` and answers without a model.
 */
export function defineAgent(definition: AgentDefinition, source = 'defineAgent'): Agent {
  const parsed = AgentDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(agent)';
    throw new FactoryError('config', `${source}: agent field "${field}": ${issue.message}`);
  }
  const value = parsed.data;
  const name = value.name;
  if (value.role === 'tool') {
    if (!definition.run) {
      throw new FactoryError('config', `${source}: tool agent "${name}" needs a run(input) function`);
    }
  } else if (!value.provider || !value.model) {
    throw new FactoryError('config', `${source}: agent "${name}" needs a provider and a model`);
  }
  return {
    name,
    role: value.role,
    description: value.description ?? `${value.role} agent`,
    provider: value.provider ?? 'local',
    model: value.model ?? 'tool',
    fallbacks: value.fallbacks,
    permissions: {
      github: value.permissions.github ?? false,
      controlPlane: [...(value.permissions.control_plane ?? [])],
    },
    prompt: value.prompt ?? 'coder',
    ...(value.instructions ? { instructions: value.instructions } : {}),
    caps: value.caps,
    ...(value.tools !== undefined ? { tools: value.tools } : {}),
    ...(definition.run ? { run: definition.run } : {}),
  };
}
