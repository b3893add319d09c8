// The task file's schema, `tasks/<task_id>.json`: ids, agent names, limits, defaults, the JSON Schema. Pure.
import { z } from 'zod';
import { MAX_GLOB_LENGTH } from '../glob.ts';
import { segmentNameProblem } from '../protocol/path-names.ts';

/** A task id: also the task file's name without `.json`. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Names every object already has (`constructor`, `toString`, `__proto__`, …): an id that is one
 * of them could read as a built-in where ids key a plain object.
 */
const PROTOTYPE_NAMES = new Set(
  Object.getOwnPropertyNames(Object.prototype).map((name) => name.toLowerCase()),
);

/**
 * A task id. It names the task file, the run record, and the branch `aifactory/<id>`, so it must
 * be a file name every file system holds, a valid git ref component (`git check-ref-format`: no
 * "..", no ".lock" ending, no "." at either end; the pattern already keeps out "/", "@{", "~",
 * "^", ":", spaces and control characters), and no built-in property name.
 */
export const TaskIdSchema = z
  .string()
  .regex(TASK_ID_PATTERN, 'use letters, digits, ".", "_" or "-" (up to 100), starting with a letter or digit')
  .regex(/^(?!.*\.\.)/, 'an id cannot hold ".." (git refuses it in a branch name)')
  .regex(/[^.]$/, 'an id cannot end with "." (git refuses it in a branch name, Windows drops it)')
  .regex(
    /^(?!.*\.[Ll][Oo][Cc][Kk]$)/,
    'an id cannot end with ".lock" (git keeps that ending for its lock files)',
  )
  .refine((id) => !PROTOTYPE_NAMES.has(id.toLowerCase()), {
    message: 'an id cannot be a built-in property name such as "constructor" or "toString"',
  })
  .refine((id) => segmentNameProblem(id)?.rule !== 'reserved_name', {
    message:
      'an id cannot be a Windows device name (CON, PRN, AUX, NUL, COM1, LPT1, …), with or without an extension',
  });

/** Characters a one-line text may not hold: controls, DEL, C1 controls, line and paragraph separators. */
const SINGLE_LINE = /^[^\u0000-\u001F\u007F-\u009F\u2028\u2029]*$/;

/** An agent name as it appears in the registry (`grok-fast`, `gemini-pro`, …). */
export const AgentNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'use lower-case letters, digits, ".", "_" or "-" (up to 64)');

/**
 * Bounds on every field of a task file, far above any real task and far below what would flood a
 * prompt: the description reaches the model whole, in the coder's and in the reviewer's prompt.
 * A long real specification runs to a few thousand words (about 20 KB), so 64 Ki characters
 * leave room; longer material belongs in a file of the repository that the task names. Paths
 * stop where the protocol stops them (4096), and 200 files is four times the default proposal
 * limit (`protocol.max_files`, 50).
 */
export const TASK_LIMITS = {
  description_chars: 65_536,
  title_chars: 200,
  files: 200,
  path_chars: 4096,
  scope: 50,
  depends_on: 100,
  labels: 20,
  label_chars: 50,
  schema_chars: 2048,
} as const;

/**
 * A task file's whole text, checked before it is parsed: room for every field at its limit in
 * plain JSON, and no 50 MB file is parsed only to be refused.
 */
export const MAX_TASK_FILE_CHARS = 2 * 1024 * 1024;

/** A zod `max` message that names the field, the limit and what to do. */
const atMost = (what: string, limit: number, hint = ''): string => `${what} may hold at most ${limit}${hint}`;

export const DEFAULT_MAX_ITERATIONS = 3;
export const DEFAULT_PRIORITY = 0;

/**
 * A task file (`tasks/<task_id>.json`). The seed's form `{task_id, description, assignee, files}`
 * is valid as it is; everything else is optional. Unknown fields are errors, to catch typos.
 */
export const TaskSchema = z
  .strictObject({
    $schema: z
      .string()
      .max(TASK_LIMITS.schema_chars, atMost('$schema', TASK_LIMITS.schema_chars, ' characters'))
      .optional()
      .describe('Path or URL of the JSON Schema, for editors.'),
    task_id: TaskIdSchema.describe('Unique id; must equal the file name without ".json".'),
    title: z
      .string()
      .min(1)
      .max(TASK_LIMITS.title_chars, atMost('a title', TASK_LIMITS.title_chars, ' characters'))
      .regex(SINGLE_LINE, 'a title is one line: no line breaks, tabs or other control characters')
      .optional()
      .describe('A short title for tables and pull requests (one line).'),
    description: z
      .string()
      .max(
        TASK_LIMITS.description_chars,
        atMost(
          'the description',
          TASK_LIMITS.description_chars,
          ' characters (64 Ki); put longer material in a file of the repository and name it here',
        ),
      )
      .regex(/\S/, 'describe the work; the description is empty')
      .describe(`What the agent should do (at most ${TASK_LIMITS.description_chars} characters).`),
    assignee: AgentNameSchema.describe('The agent that writes the change (see `aifactory agents`).'),
    reviewer: AgentNameSchema.optional().describe(
      'The agent that reviews it; by default one of a different vendor than the assignee.',
    ),
    files: z
      .array(
        z
          .string()
          .min(1, 'a path cannot be empty')
          .max(TASK_LIMITS.path_chars, atMost('a path', TASK_LIMITS.path_chars, ' characters')),
      )
      .max(TASK_LIMITS.files, atMost('files', TASK_LIMITS.files, ' paths; split the work into several tasks'))
      .default([])
      .describe(
        `The files the agent may write, relative to the repository root (at most ${TASK_LIMITS.files}): its starting context. Empty or left out means "any allowed file", within \`scope\` when given; the agent then finds its way with tools.`,
      ),
    scope: z
      .array(
        z
          .string()
          .min(1, 'a glob cannot be empty')
          .max(MAX_GLOB_LENGTH, atMost('a glob', MAX_GLOB_LENGTH, ' characters')),
      )
      .max(TASK_LIMITS.scope, atMost('scope', TASK_LIMITS.scope, ' globs'))
      .optional()
      .describe(
        `Globs the agent may write when the task declares no files, inside the allowed folders (e.g. ["src/**", "tests/**"]; at most ${TASK_LIMITS.scope}). Declared files, when given, decide alone.`,
      ),
    priority: z
      .int()
      .min(-100)
      .max(100)
      .optional()
      .describe(`Higher runs first (-100 to 100, default ${DEFAULT_PRIORITY}).`),
    depends_on: z
      .array(TaskIdSchema)
      .max(
        TASK_LIMITS.depends_on,
        atMost('depends_on', TASK_LIMITS.depends_on, ' task ids; depend on a task that gathers them'),
      )
      .optional()
      .describe(`Tasks that must be merged before this one starts (at most ${TASK_LIMITS.depends_on}).`),
    labels: z
      .array(
        z
          .string()
          .min(1)
          .max(TASK_LIMITS.label_chars, atMost('a label', TASK_LIMITS.label_chars, ' characters')),
      )
      .max(TASK_LIMITS.labels, atMost('labels', TASK_LIMITS.labels, ' entries'))
      .optional()
      .describe(`Free labels for filtering on the dashboard (at most ${TASK_LIMITS.labels}).`),
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
