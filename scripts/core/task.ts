import { z } from 'zod';

/** A task id: also the task file's name without `.json`. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const TaskIdSchema = z
  .string()
  .regex(
    TASK_ID_PATTERN,
    'use letters, digits, ".", "_" or "-" (up to 100), starting with a letter or digit',
  );

/** An agent name as it appears in the registry (`grok-fast`, `gemini-pro`, …). */
export const AgentNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'use lower-case letters, digits, ".", "_" or "-" (up to 64)');

export const DEFAULT_MAX_ITERATIONS = 3;
export const DEFAULT_PRIORITY = 0;

/**
 * A task file (`tasks/<task_id>.json`). The seed's form `{task_id, description, assignee, files}`
 * is valid as it is; everything else is optional. Unknown fields are errors, to catch typos.
 */
export const TaskSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
    task_id: TaskIdSchema.describe('Unique id; must equal the file name without ".json".'),
    title: z.string().min(1).max(200).optional().describe('A short title for tables and pull requests.'),
    description: z
      .string()
      .regex(/\S/, 'describe the work; the description is empty')
      .describe('What the agent should do.'),
    assignee: AgentNameSchema.describe('The agent that writes the change (see `aifactory agents`).'),
    reviewer: AgentNameSchema.optional().describe(
      'The agent that reviews it; by default one of a different vendor than the assignee.',
    ),
    files: z
      .array(z.string().min(1, 'a path cannot be empty'))
      .describe(
        'The files the agent may write, relative to the repository root. Empty means "any allowed file".',
      ),
    priority: z
      .int()
      .min(-100)
      .max(100)
      .optional()
      .describe(`Higher runs first (-100 to 100, default ${DEFAULT_PRIORITY}).`),
    depends_on: z
      .array(TaskIdSchema)
      .optional()
      .describe('Tasks that must be merged before this one starts.'),
    labels: z
      .array(z.string().min(1).max(50))
      .optional()
      .describe('Free labels for filtering on the dashboard.'),
    max_iterations: z
      .int()
      .min(1)
      .max(20)
      .optional()
      .describe(`How many code → review rounds before the task fails (default ${DEFAULT_MAX_ITERATIONS}).`),
  })
  .describe('An AI Factory OS task file.');

export type Task = z.infer<typeof TaskSchema>;

/** The JSON Schema written to `tasks/task.schema.json`, generated from TaskSchema. */
export function taskJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TaskSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
