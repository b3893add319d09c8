// The bounds on every task field and on a task file's size, as validate reports them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../../../scripts/core/config.ts';
import { MAX_TASK_FILE_CHARS, TASK_LIMITS, taskJsonSchema } from '../../../../scripts/core/task/task.ts';
import { validateTasks } from '../../../../scripts/core/task/validate.ts';

const context = {
  agents: { names: () => ['gpt', 'gemini-pro'], grantsOf: () => [] },
  allowedDirs: DEFAULT_ALLOWED_TOP_DIRS,
  plugins: [],
};

const problemsOf = (fields: Record<string, unknown>, text?: string) => {
  const task = { task_id: 'big', description: 'Do it', assignee: 'gpt', files: [], ...fields };
  return validateTasks([{ path: 'tasks/big.json', text: text ?? JSON.stringify(task) }], context).problems;
};

const paths = (count: number) => Array.from({ length: count }, (_, i) => `src/f${i}.ts`);
const ids = (count: number) => Array.from({ length: count }, (_, i) => `dep-${i}`);

/** Each field at its limit (valid) and one past it (refused, naming the field and the limit). */
const CASES: { field: string; at: unknown; past: unknown; limit: number }[] = [
  {
    field: 'description',
    at: 'x'.repeat(TASK_LIMITS.description_chars),
    past: 'x'.repeat(TASK_LIMITS.description_chars + 1),
    limit: TASK_LIMITS.description_chars,
  },
  {
    field: 'title',
    at: 't'.repeat(TASK_LIMITS.title_chars),
    past: 't'.repeat(TASK_LIMITS.title_chars + 1),
    limit: TASK_LIMITS.title_chars,
  },
  {
    field: 'files',
    at: paths(TASK_LIMITS.files),
    past: paths(TASK_LIMITS.files + 1),
    limit: TASK_LIMITS.files,
  },
  {
    field: 'labels',
    at: Array(TASK_LIMITS.labels).fill('ui'),
    past: Array(TASK_LIMITS.labels + 1).fill('ui'),
    limit: TASK_LIMITS.labels,
  },
  {
    field: 'labels[0]',
    at: ['l'.repeat(TASK_LIMITS.label_chars)],
    past: ['l'.repeat(TASK_LIMITS.label_chars + 1)],
    limit: TASK_LIMITS.label_chars,
  },
  {
    field: '$schema',
    at: 's'.repeat(TASK_LIMITS.schema_chars),
    past: 's'.repeat(TASK_LIMITS.schema_chars + 1),
    limit: TASK_LIMITS.schema_chars,
  },
];

describe('task field limits', () => {
  it.each(CASES)(
    'refuses $field past $limit, naming the field and the limit',
    ({ field, at, past, limit }) => {
      const key = field.replace(/\[0\]$/, '');
      expect(problemsOf({ [key]: at })).toEqual([]);
      const problems = problemsOf({ [key]: past });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ field, rule: 'schema' });
      expect(problems[0]?.message).toContain(String(limit));
    },
  );

  it('tells the author of a long description where the material goes', () => {
    const [problem] = problemsOf({ description: 'x'.repeat(TASK_LIMITS.description_chars + 1) });
    expect(problem?.message).toBe(
      `the description may hold at most ${TASK_LIMITS.description_chars} characters (64 Ki); put longer material in a file of the repository and name it here`,
    );
  });

  it('bounds depends_on by count, and each path in files by length', () => {
    const deps = problemsOf({ depends_on: ids(TASK_LIMITS.depends_on + 1) });
    expect(deps[0]).toMatchObject({ field: 'depends_on', rule: 'schema' });
    expect(deps[0]?.message).toContain(String(TASK_LIMITS.depends_on));
    const long = problemsOf({ files: [`src/${'a/'.repeat(TASK_LIMITS.path_chars / 2)}x`] });
    expect(long.some((p) => p.field === 'files[0]' && p.message.includes('4096 characters'))).toBe(true);
  });

  it('refuses a 50 MB task file before parsing it, naming the file and the limit', () => {
    const text = JSON.stringify({
      task_id: 'big',
      description: 'x'.repeat(50 * 1024 * 1024),
      assignee: 'gpt',
      files: [],
    });
    const problems = problemsOf({}, text);
    expect(problems).toEqual([
      expect.objectContaining({ file: 'tasks/big.json', field: '(file)', rule: 'task_file_too_large' }),
    ]);
    expect(problems[0]?.message).toContain(`at most ${MAX_TASK_FILE_CHARS}`);
  });

  it('leaves room in a task file for every field at its limit', () => {
    const full = {
      $schema: './task.schema.json',
      task_id: 'big',
      title: 't'.repeat(TASK_LIMITS.title_chars),
      description: 'é'.repeat(TASK_LIMITS.description_chars),
      assignee: 'gpt',
      reviewer: 'gemini-pro',
      files: paths(TASK_LIMITS.files),
      depends_on: [],
      labels: Array(TASK_LIMITS.labels).fill('l'.repeat(TASK_LIMITS.label_chars)),
    };
    const text = JSON.stringify(full, null, 2);
    expect(text.length).toBeLessThan(MAX_TASK_FILE_CHARS);
    expect(validateTasks([{ path: 'tasks/big.json', text }], context).problems).toEqual([]);
  });

  it('puts the limits in the JSON Schema, so editors show them', () => {
    const schema = taskJsonSchema() as {
      properties: Record<string, { maxLength?: number; maxItems?: number; items?: { maxLength?: number } }>;
    };
    expect(schema.properties.description?.maxLength).toBe(TASK_LIMITS.description_chars);
    expect(schema.properties.title?.maxLength).toBe(TASK_LIMITS.title_chars);
    expect(schema.properties.files?.maxItems).toBe(TASK_LIMITS.files);
    expect(schema.properties.files?.items?.maxLength).toBe(TASK_LIMITS.path_chars);
    expect(schema.properties.depends_on?.maxItems).toBe(TASK_LIMITS.depends_on);
    expect(schema.properties.labels?.maxItems).toBe(TASK_LIMITS.labels);
  });
});
