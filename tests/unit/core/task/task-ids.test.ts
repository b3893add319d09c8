import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../../../scripts/core/config.ts';
import { MAX_JSON_DEPTH, nestingOverflow, parseJsonDocument } from '../../../../scripts/core/json-source.ts';
import { RunRecordSchema } from '../../../../scripts/core/record/run-record.ts';
import { TaskIdSchema, TaskSchema } from '../../../../scripts/core/task/task.ts';
import { type TaskSource, validateTasks } from '../../../../scripts/core/task/validate.ts';

const context = {
  agents: { names: () => ['grok-fast', 'gemini-pro', 'gpt'], grantsOf: (): string[] => [] },
  allowedDirs: [...DEFAULT_ALLOWED_TOP_DIRS] as readonly string[],
  plugins: [] as readonly string[],
};

function source(id: string, fields: Record<string, unknown> = {}, file = `tasks/${id}.json`): TaskSource {
  const task = { task_id: id, description: 'Do the thing', assignee: 'gpt', files: [], ...fields };
  return { path: file, text: JSON.stringify(task) };
}

const problemsOf = (sources: TaskSource[], otherTaskIds?: Set<string>) =>
  validateTasks(sources, { ...context, ...(otherTaskIds ? { otherTaskIds } : {}) }).problems;

describe('task ids', () => {
  it.each([
    ['a..b', '".."'],
    ['release.', 'end with "."'],
    ['x.lock', '".lock"'],
    ['x.LoCk', '".lock"'],
    ['constructor', 'built-in property'],
    ['toString', 'built-in property'],
    ['VALUEOF', 'built-in property'],
    ['hasOwnProperty', 'built-in property'],
    ['__proto__', 'starting with a letter or digit'],
    ['con', 'Windows device name'],
    ['Nul.tar', 'Windows device name'],
    ['com1', 'Windows device name'],
    ['.hidden', 'starting with a letter or digit'],
    ['a/b', 'use letters, digits'],
    ['a@{1}', 'use letters, digits'],
    ['a\u0007b', 'use letters, digits'],
  ])('refuses %j, saying why (%s)', (id, words) => {
    const result = TaskIdSchema.safeParse(id);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join(' | ')).toContain(words);
  });

  it.each(['task_1005', 'a.b-c_d', 'v1.2', 'lock', 'a.locks', 'console', 'com10', 'Constructor2'])(
    'accepts %j',
    (id) => {
      expect(TaskIdSchema.safeParse(id).success).toBe(true);
    },
  );

  it('applies the same rules to dependencies and run records', () => {
    const problems = problemsOf([source('a', { depends_on: ['b..c'] })]);
    expect(problems[0]).toMatchObject({ field: 'depends_on[0]', rule: 'schema' });
    expect(RunRecordSchema.shape.task_id.safeParse('x.lock').success).toBe(false);
  });

  it('is reported by validate as a clean schema problem on the task_id field', () => {
    const [problem] = problemsOf([source('x.lock')]);
    expect(problem).toMatchObject({ file: 'tasks/x.lock.json', field: 'task_id', rule: 'schema' });
  });
});

describe('ids that differ only in case', () => {
  it('are reported on every file involved, naming the others', () => {
    const problems = problemsOf([source('Fix-1'), source('fix-1'), source('FIX-1')]);
    expect(problems.map((problem) => [problem.file, problem.rule])).toEqual([
      ['tasks/fix-1.json', 'duplicate_task_id'],
      ['tasks/Fix-1.json', 'duplicate_task_id'],
      ['tasks/FIX-1.json', 'duplicate_task_id'],
    ]);
    const lower = problems.find((problem) => problem.file === 'tasks/fix-1.json')!;
    expect(lower.message).toContain('"Fix-1" (tasks/Fix-1.json)');
    expect(lower.message).toContain('"FIX-1" (tasks/FIX-1.json)');
    expect(lower.message).toContain('macOS and Windows');
  });

  it('are caught against task files that are not being validated now', () => {
    const [problem] = problemsOf([source('Fix-1')], new Set(['Fix-1', 'fix-1', 'other']));
    expect(problem).toMatchObject({ file: 'tasks/Fix-1.json', rule: 'duplicate_task_id' });
    expect(problem?.message).toContain('"fix-1" (task "fix-1")');
    expect(problemsOf([source('Fix-1')], new Set(['Fix-1', 'other']))).toEqual([]);
  });

  it('are told apart from an exact duplicate in one message', () => {
    const problems = problemsOf([source('a'), source('a', {}, 'other/a.json'), source('A')]);
    const message = problems.find((problem) => problem.file === 'tasks/a.json')!.message;
    expect(message).toBe(
      'task_id "a" is also used by other/a.json and differs only in case from "A" (tasks/A.json), which macOS and Windows take for the same file and branch; ids must be unique',
    );
  });
});

describe('task titles', () => {
  it.each(['Fix it\nCo-authored-by: evil', 'tab\there', 'bell\u0007', 'next\u0085line', 'sep\u2028x'])(
    'refuse a title that is not one line: %j',
    (title) => {
      const [problem] = problemsOf([source('a', { title })]);
      expect(problem).toMatchObject({ field: 'title', rule: 'schema' });
      expect(problem?.message).toContain('a title is one line');
    },
  );

  it('accept any one-line text, accents and emoji included', () => {
    expect(TaskSchema.shape.title.safeParse('Café: ajouter le ✓ — “quoted”').success).toBe(true);
  });
});

describe('unknown fields', () => {
  it('do not stop the paths from being checked', () => {
    const problems = problemsOf([source('a', { fiels: [], files: ['docs/ok.md', 'src/.git/config'] })]);
    expect(problems.map((problem) => `${problem.field}: ${problem.rule}`).sort()).toEqual([
      'fiels: unknown_field',
      'files[1]: protocol',
    ]);
    expect(problems.find((problem) => problem.rule === 'protocol')?.message).toContain('[git_dir]');
  });

  it('leave paths unjudged only when the files field itself is malformed', () => {
    const problems = problemsOf([source('a', { extra: 1, files: 'src/a.ts' })]);
    expect(problems.map((problem) => problem.rule).sort()).toEqual(['schema', 'unknown_field']);
  });

  it('judge .github/ paths as the assignee may write them, or as no one may when it is malformed', () => {
    const files = ['.github/workflows/x.yml'];
    const granted = {
      ...context,
      agents: { ...context.agents, grantsOf: (n: string) => (n === 'gpt' ? ['.github'] : []) },
    };
    const ok = validateTasks([source('a', { extra: 1, files })], granted).problems;
    expect(ok.map((problem) => problem.rule)).toEqual(['unknown_field']);
    const broken = validateTasks([source('a', { extra: 1, assignee: 7, files })], granted).problems;
    expect(broken.map((problem) => problem.message).join(' ')).toContain('[github_permission]');
  });
});

describe('deeply nested task files', () => {
  it.each([
    ['arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['objects', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
    ['a field', `{"task_id":"a","files":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
  ])('give a clean problem naming the file for %s nested 100,000 deep', (_, text) => {
    const [problem, ...rest] = problemsOf([{ path: 'tasks/deep.json', text }]);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      file: 'tasks/deep.json',
      field: '(json)',
      rule: 'json_too_deep',
      line: 1,
    });
    expect(problem?.message).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('point at the bracket that goes one level too deep', () => {
    const text = `{\n"a":\n${'['.repeat(70)}`;
    expect(parseJsonDocument(text)).toMatchObject({ kind: 'too_deep', position: { line: 3, column: 64 } });
  });

  it('count only brackets outside strings, and never below zero', () => {
    expect(nestingOverflow(`["${'['.repeat(100)}"]`, 2)).toBeUndefined();
    expect(nestingOverflow(`["\\"${'['.repeat(100)}"]`, 2)).toBeUndefined();
    expect(nestingOverflow(`${']'.repeat(10)}[[[`, 2)).toBe(12);
    expect(nestingOverflow('[{}]', 2)).toBeUndefined();
  });

  it('find a repeated key wherever it is, and none in a valid file with colons inside its strings', () => {
    const repeated = parseJsonDocument('{"a": [{"b": 1, "c": {"d": 2, "d": 3}}], "e": "x:y"}');
    expect(repeated).toMatchObject({
      duplicateKeys: [{ path: ['a', 0, 'c', 'd'], position: { line: 1, column: 31 } }],
    });
    const clean = parseJsonDocument('{"a": [{"b": "1:2", "c": {"d": ":"}}], "e": [":", 1]}');
    expect(clean).toMatchObject({ value: { e: [':', 1] }, duplicateKeys: [] });
    expect('value' in clean && clean.positionOf(['e', 1])).toEqual({ line: 1, column: 51 });
  });

  it('leave a huge flat file fast to read', () => {
    const files = Array.from({ length: 200_000 }, (_, index) => `src/f${index}.ts`);
    const text = JSON.stringify({ task_id: 'big', description: 'd', assignee: 'gpt', files });
    const started = performance.now();
    expect(nestingOverflow(text, MAX_JSON_DEPTH)).toBeUndefined();
    expect('value' in parseJsonDocument(text)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
