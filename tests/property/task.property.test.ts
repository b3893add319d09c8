import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../scripts/core/config.ts';
import { TaskSchema } from '../../scripts/core/task/task.ts';
import { validateTasks } from '../../scripts/core/task/validate.ts';

const AGENTS = ['grok-fast', 'gemini-pro', 'gpt'] as const;
const context = {
  agents: { names: () => AGENTS, grantsOf: (name: string) => (name === 'grok-fast' ? ['.github'] : []) },
  allowedDirs: DEFAULT_ALLOWED_TOP_DIRS,
  plugins: [],
};

const idChar = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split(''),
);
/** What git refuses in a ref and Windows in a file name, besides the characters left out above. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const BUILT_IN = new Set(Object.getOwnPropertyNames(Object.prototype).map((name) => name.toLowerCase()));
const GIT_NAMES = ['.git', '.gitmodules', '.gitattributes', '.gitignore', '.mailmap'];
/** The git names an agent may write as they are (`.gitattributes` is control plane). */
const WRITABLE_GIT_NAMES = ['.gitignore', '.mailmap'];
const taskId = fc
  .tuple(fc.constantFrom(...'abc123XYZ'.split('')), fc.array(idChar, { maxLength: 30 }))
  .map(([first, rest]) => first + rest.join(''))
  .filter((id) => !id.includes('..') && !id.endsWith('.') && !/\.lock$/i.test(id))
  .filter((id) => !RESERVED.test(id.split('.')[0]!) && !BUILT_IN.has(id.toLowerCase()));
const segment = fc
  .stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,15}$/)
  .filter((s) => s !== '..' && !s.endsWith('.') && !RESERVED.test(s.split('.')[0]!))
  .filter((s) => !GIT_NAMES.includes(s.toLowerCase()) || WRITABLE_GIT_NAMES.includes(s));
const allowedPath = fc
  .tuple(fc.constantFrom(...DEFAULT_ALLOWED_TOP_DIRS), fc.array(segment, { minLength: 1, maxLength: 4 }))
  .map(([top, rest]) => [top, ...rest].join('/'));
const text = fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim().length > 0);

/** Tasks drawn from the whole schema: every optional field present or absent, any valid value. */
const taskArbitrary = fc
  .record(
    {
      task_id: taskId,
      title: fc.string({ minLength: 1, maxLength: 200 }),
      description: text,
      assignee: fc.constantFrom(...AGENTS),
      reviewer: fc.constantFrom(...AGENTS),
      files: fc.uniqueArray(allowedPath, { maxLength: 8 }),
      priority: fc.integer({ min: -100, max: 100 }),
      labels: fc.array(fc.string({ minLength: 1, maxLength: 50 }), { maxLength: 5 }),
      max_iterations: fc.integer({ min: 1, max: 20 }),
    },
    { requiredKeys: ['task_id', 'description', 'assignee', 'files'] },
  )
  .filter((task) => task.reviewer !== task.assignee);

describe('task files', () => {
  it('survive a JSON round trip and validate, whatever the schema allows', () => {
    fc.assert(
      fc.property(taskArbitrary, (task) => {
        const json = JSON.stringify(task, null, 2);
        expect(TaskSchema.parse(JSON.parse(json))).toEqual(task);
        const report = validateTasks([{ path: `tasks/${task.task_id}.json`, text: json }], context);
        expect(report.problems).toEqual([]);
        expect(report.tasks[0]?.task).toEqual(task);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text, and reports every failure against the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (raw) => {
        const report = validateTasks([{ path: 'tasks/x.json', text: raw }], context);
        for (const problem of report.problems) {
          expect(problem.file).toBe('tasks/x.json');
          expect(problem.line).toBeGreaterThanOrEqual(1);
        }
        expect(report.problems.length > 0 || report.tasks.length === 1).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
