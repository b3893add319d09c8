import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../../../scripts/core/config.ts';
import { findCycles, type TaskSource, validateTasks } from '../../../../scripts/core/task/validate.ts';

const agents = {
  names: () => ['grok-fast', 'gemini-pro', 'gpt'],
  grantsOf: (name: string) => (name === 'grok-fast' ? ['.github'] : []),
};
const context = {
  agents,
  allowedDirs: [...DEFAULT_ALLOWED_TOP_DIRS] as readonly string[],
  plugins: [] as readonly string[],
};

function source(id: string, fields: Record<string, unknown> = {}, file = `tasks/${id}.json`): TaskSource {
  const task = { task_id: id, description: 'Do the thing', assignee: 'gpt', files: [], ...fields };
  return { path: file, text: JSON.stringify(task, null, 2) };
}

function problemsOf(
  sources: TaskSource[],
  extra: Partial<typeof context> & { otherTaskIds?: Set<string> } = {},
) {
  return validateTasks(sources, { ...context, ...extra }).problems;
}

describe('validateTasks', () => {
  it("accepts the seed's task_1005 form as it is, with paths in allowed folders", () => {
    const seed = source('task_1005', {
      description: 'FINAL CI VICTORY',
      assignee: 'grok-fast',
      files: ['.github/workflows/test-and-merge.yml', 'tests/test_imports.py'],
    });
    const report = validateTasks([seed], context);
    expect(report.problems).toEqual([]);
    expect(report.tasks.map((t) => t.task.task_id)).toEqual(['task_1005']);
  });

  it('reports a JSON syntax error with its line and column', () => {
    const [problem] = problemsOf([{ path: 'tasks/a.json', text: '{\n  "task_id": "a",\n}' }]);
    expect(problem).toMatchObject({
      file: 'tasks/a.json',
      field: '(json)',
      rule: 'json_syntax',
      line: 3,
      column: 1,
    });
    expect(problem?.message).toContain('trailing comma');
  });

  it('reports an empty file as empty, not as a trailing comma', () => {
    for (const text of ['', ' \n\t\n']) {
      const [problem] = problemsOf([{ path: 'tasks/a.json', text }]);
      expect(problem).toMatchObject({ rule: 'json_syntax', line: 1, column: 1 });
      expect(problem?.message).toBe('the file is empty; write one JSON object, {"task_id": …}');
    }
  });

  it('guesses a trailing comma only after a comma', () => {
    expect(problemsOf([{ path: 'tasks/a.json', text: '{"a": }' }])[0]?.message).toBe(
      'invalid JSON: expected a value',
    );
    expect(problemsOf([{ path: 'tasks/a.json', text: '{"a": [1, ]}' }])[0]?.message).toBe(
      'invalid JSON: expected a value (a trailing comma?)',
    );
  });

  it('names an unknown syntax error by its parser code', () => {
    const [problem] = problemsOf([{ path: 'tasks/a.json', text: '{"a": "\\x"}' }]);
    expect(problem?.message).toBe('invalid JSON: InvalidEscapeCharacter');
  });

  it('accepts a file that starts with a byte order mark', () => {
    const { text } = source('a');
    expect(problemsOf([{ path: 'tasks/a.json', text: `\uFEFF${text}` }])).toEqual([]);
  });

  it('points at the field with the wrong type', () => {
    const [problem] = problemsOf([source('a', { files: 'src/a.ts' })]);
    expect(problem).toMatchObject({ field: 'files', rule: 'schema', line: 5 });
  });

  it('says a missing required field is required', () => {
    const [problem] = problemsOf([
      { path: 'tasks/a.json', text: '{"task_id":"a","assignee":"gpt","files":[]}' },
    ]);
    expect(problem).toMatchObject({
      field: 'description',
      rule: 'schema',
      message: '"description" is required',
    });
  });

  it('reports a non-object document at the root', () => {
    const [problem] = problemsOf([{ path: 'tasks/a.json', text: '[1]' }]);
    expect(problem).toMatchObject({ field: '(root)', rule: 'schema', line: 1, column: 1 });
  });

  it('suggests the intended name for a misspelled field', () => {
    const [problem] = problemsOf([source('a', { asignee: 'gpt' })]);
    expect(problem).toMatchObject({ field: 'asignee', rule: 'unknown_field' });
    expect(problem?.message).toContain('did you mean "assignee"?');
  });

  it('lists the known fields when an unknown one resembles none', () => {
    const [problem] = problemsOf([source('a', { completely_unrelated: 1 })]);
    expect(problem?.message).toContain('known fields: $schema, task_id');
  });

  it('rejects a task_id that differs from the file name', () => {
    const [problem] = problemsOf([source('a', {}, 'tasks/b.json')]);
    expect(problem).toMatchObject({ field: 'task_id', rule: 'task_id_mismatch', line: 2 });
  });

  it('accepts a task file whose name lacks the .json ending when the id matches it', () => {
    expect(problemsOf([source('a', {}, 'a')])).toEqual([]);
  });

  it('rejects the same task_id in two files, on each file, naming the other', () => {
    const problems = problemsOf([source('a'), source('a', {}, 'other/a.json')]);
    expect(problems).toHaveLength(2);
    const byFile = new Map(problems.map((problem) => [problem.file, problem]));
    expect(byFile.get('tasks/a.json')).toMatchObject({ rule: 'duplicate_task_id' });
    expect(byFile.get('tasks/a.json')?.message).toContain('other/a.json');
    expect(byFile.get('other/a.json')).toMatchObject({ rule: 'duplicate_task_id' });
    expect(byFile.get('other/a.json')?.message).toContain('tasks/a.json');
  });

  it('rejects an unknown assignee and suggests a close name', () => {
    const [problem] = problemsOf([source('a', { assignee: 'grok-fats' })]);
    expect(problem).toMatchObject({ field: 'assignee', rule: 'unknown_agent' });
    expect(problem?.message).toContain('did you mean "grok-fast"?');
  });

  it('rejects an unknown reviewer and points to the agent list', () => {
    const [problem] = problemsOf([source('a', { reviewer: 'claude-9000' })]);
    expect(problem).toMatchObject({ field: 'reviewer', rule: 'unknown_agent' });
    expect(problem?.message).toContain('see `aifactory agents`');
  });

  it('rejects a reviewer equal to the assignee and accepts another one', () => {
    expect(problemsOf([source('a', { reviewer: 'gpt' })])[0]?.rule).toBe('reviewer_is_assignee');
    expect(problemsOf([source('a', { reviewer: 'gemini-pro' })])).toEqual([]);
  });

  it('rejects a dependency on an unknown task, and accepts one known elsewhere', () => {
    const task = source('a', { depends_on: ['b'] });
    const [problem] = problemsOf([task]);
    expect(problem).toMatchObject({ field: 'depends_on[0]', rule: 'unknown_dependency' });
    expect(problemsOf([task], { otherTaskIds: new Set(['b']) })).toEqual([]);
    expect(problemsOf([task, source('b')])).toEqual([]);
  });

  it('names the whole dependency cycle, on every task in it', () => {
    const problems = problemsOf([
      source('a', { depends_on: ['b'] }),
      source('b', { depends_on: ['c'] }),
      source('c', { depends_on: ['a'] }),
    ]);
    expect(problems.map((problem) => problem.file)).toEqual(['tasks/a.json', 'tasks/b.json', 'tasks/c.json']);
    expect(new Set(problems.map((problem) => problem.message)).size).toBe(1);
    expect(problems[0]).toMatchObject({
      file: 'tasks/a.json',
      field: 'depends_on[0]',
      rule: 'dependency_cycle',
    });
    expect(problems[0]?.message).toContain('a → b → c → a');
  });

  it('reports a task that depends on itself as a cycle', () => {
    expect(problemsOf([source('a', { depends_on: ['a'] })])[0]?.message).toContain('a → a');
  });

  it('reports a key given twice', () => {
    const text =
      '{"task_id":"a","description":"d","assignee":"gpt","assignee":"gpt","files":[{"x":1,"x":2}]}';
    const problems = problemsOf([{ path: 'tasks/a.json', text }]);
    expect(problems.map((p) => [p.rule, p.field])).toContainEqual(['duplicate_key', 'assignee']);
    expect(problems.map((p) => [p.rule, p.field])).toContainEqual(['duplicate_key', 'files[0].x']);
  });

  it('reports a file listed twice', () => {
    const [problem] = problemsOf([source('a', { files: ['src/a.ts', 'src/a.ts'] })]);
    expect(problem).toMatchObject({ field: 'files[1]', rule: 'duplicate_file' });
  });

  it.each([
    ['docs/../../etc/passwd', 'parent_segment'],
    ['/etc/passwd', 'absolute_path'],
    ['C:/evil.ts', 'absolute_path'],
    ['src\\evil.ts', 'backslash'],
    ['src/a\0.ts', 'nul_byte'],
    ['.git/hooks/pre-commit', 'git_dir'],
    ['core/orchestrator.py', 'top_dir'],
    ['src//a.ts', 'unclean_path'],
    ['./src/a.ts', 'unclean_path'],
  ])('rejects the declared file %j under the protocol (%s)', (path, rule) => {
    const [problem] = problemsOf([source('a', { assignee: 'grok-fast', files: ['docs/ok.md', path] })]);
    expect(problem).toMatchObject({ field: 'files[1]', rule: 'protocol' });
    expect(problem?.message).toContain(`[${rule}]`);
  });

  it('rejects an empty path in files', () => {
    expect(problemsOf([source('a', { files: [''] })])[0]).toMatchObject({
      field: 'files[0]',
      rule: 'schema',
    });
  });

  it('lets only agents granted it declare files under .github/', () => {
    const files = ['.github/workflows/ci.yml'];
    expect(problemsOf([source('a', { assignee: 'grok-fast', files })])).toEqual([]);
    const [problem] = problemsOf([source('a', { assignee: 'gemini-pro', files })]);
    expect(problem?.message).toContain('[github_permission]');
  });

  it('honours a narrowed list of allowed top-level folders', () => {
    const problems = problemsOf([source('a', { files: ['src/a.ts'] })], { allowedDirs: ['docs'] });
    expect(problems[0]?.message).toContain('allowed: docs');
  });

  it('sorts problems by file, then line', () => {
    const problems = problemsOf([
      source('b', { assignee: 'x', reviewer: 'y' }),
      source('a', { assignee: 'x' }),
    ]);
    expect(problems.map((p) => `${p.file}:${p.field}`)).toEqual([
      'tasks/a.json:assignee',
      'tasks/b.json:assignee',
      'tasks/b.json:reviewer',
    ]);
  });
});

describe('findCycles', () => {
  it('finds each cycle once, however it is entered', () => {
    const cycles = findCycles([
      { task_id: 'c', depends_on: ['a'] },
      { task_id: 'a', depends_on: ['b'] },
      { task_id: 'b', depends_on: ['c', 'd'] },
      { task_id: 'd' },
      { task_id: 'e', depends_on: ['missing'] },
    ]);
    expect(cycles).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('finds no cycle in a chain', () => {
    expect(findCycles([{ task_id: 'a', depends_on: ['b'] }, { task_id: 'b' }])).toEqual([]);
  });
});
