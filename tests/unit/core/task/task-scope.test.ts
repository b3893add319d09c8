// Tasks without a list of files: `files` may be left out, and `scope` is validated like `files`.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../../../scripts/core/config.ts';
import { checkProposal } from '../../../../scripts/core/protocol/protocol.ts';
import { TaskSchema, taskJsonSchema } from '../../../../scripts/core/task/task.ts';
import { scopeSample, type TaskSource, validateTasks } from '../../../../scripts/core/task/validate.ts';

const context = {
  agents: {
    names: () => ['grok-fast', 'gpt'],
    grantsOf: (name: string) => (name === 'grok-fast' ? ['.github'] : []),
  },
  allowedDirs: [...DEFAULT_ALLOWED_TOP_DIRS] as readonly string[],
  plugins: [] as readonly string[],
};

function source(fields: Record<string, unknown>): TaskSource {
  const task = { task_id: 'a', description: 'Fix the parser', assignee: 'gpt', ...fields };
  return { path: 'tasks/a.json', text: JSON.stringify(task) };
}

const problemsOf = (fields: Record<string, unknown>) => validateTasks([source(fields)], context).problems;

describe('a task without files', () => {
  it('is valid with neither files nor scope, and reads as "any allowed file"', () => {
    expect(problemsOf({})).toEqual([]);
    expect(TaskSchema.parse({ task_id: 'a', description: 'x', assignee: 'gpt' }).files).toEqual([]);
  });

  it('keeps the seed form valid and unchanged in meaning', () => {
    const seed = { task_id: 'a', description: 'x', assignee: 'gpt', files: ['src/a.ts'] };
    expect(TaskSchema.parse(seed)).toEqual(seed);
  });

  it('says in the JSON Schema that files is optional and scope exists', () => {
    const schema = taskJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).not.toContain('files');
    expect(schema.properties).toHaveProperty('scope');
  });

  it('accepts scope globs inside the allowed folders', () => {
    expect(problemsOf({ scope: ['src/**', 'tests/**/*.test.ts', '**/*.md'] })).toEqual([]);
  });

  it('refuses a scope glob that reaches into the control plane', () => {
    const [problem] = problemsOf({ scope: ['src/**', 'scripts/**'] });
    expect(problem).toMatchObject({ field: 'scope[1]', rule: 'protocol' });
    expect(problem?.message).toContain('[control_plane]');
  });

  it('refuses .github/ in scope for an agent without the grant, and allows it with one', () => {
    expect(problemsOf({ scope: ['.github/workflows/*.yml'] })[0]?.message).toContain('[github_permission]');
    expect(problemsOf({ assignee: 'grok-fast', scope: ['.github/workflows/*.yml'] })).toEqual([]);
  });

  it('refuses scope globs outside the allowed folders, climbing out, or absolute', () => {
    const problems = problemsOf({ scope: ['vendor/**', '../**', '/etc/*', 'src/../../x'] });
    expect(problems.map((problem) => problem.field)).toEqual([
      'scope[0]',
      'scope[1]',
      'scope[2]',
      'scope[3]',
    ]);
    expect(problems.map((problem) => problem.message.match(/\[(\w+)\]$/)?.[1])).toEqual([
      'top_dir',
      'parent_segment',
      'absolute_path',
      'parent_segment',
    ]);
  });

  it('refuses a glob the factory cannot read, naming it', () => {
    const [problem] = problemsOf({ scope: ['src/{a,b'] });
    expect(problem).toMatchObject({ field: 'scope[0]', rule: 'bad_glob' });
    expect(problem?.message).toContain('"src/{a,b"');
  });

  it('bounds the scope list and each glob', () => {
    expect(problemsOf({ scope: Array.from({ length: 51 }, () => 'src/**') })[0]?.message).toContain(
      'at most 50',
    );
    expect(problemsOf({ scope: [`src/${'a'.repeat(600)}`] })[0]?.field).toBe('scope[0]');
  });

  it('still judges scope when another field fails the schema', () => {
    const problems = problemsOf({ priority: 'high', scope: ['scripts/**'] });
    expect(problems.map((problem) => problem.field).sort()).toEqual(['priority', 'scope[0]']);
  });

  it('reads a glob as a sample path under its literal folders', () => {
    expect(scopeSample('src/**')).toBe('src/file');
    expect(scopeSample('src/lib/*.ts')).toBe('src/lib/file');
    expect(scopeSample('docs/readme.md')).toBe('docs/readme.md');
    expect(scopeSample('**/*.ts')).toBe('');
  });

  it('bounds writes by scope only when the task declares no files', () => {
    const policy = {
      allowedDirs: ['src', 'tests'],
      declaredFiles: [],
      scope: ['tests/**'],
      grants: [],
      plugins: [],
      agent: 'gpt',
      maxFiles: 10,
      maxFileBytes: 1000,
      maxTotalBytes: 10_000,
    };
    expect(checkProposal([{ path: 'src/a.ts', content: 'x' }], policy)?.rule).toBe('out_of_scope');
    expect(checkProposal([{ path: 'tests/a.ts', content: 'x' }], policy)).toBeUndefined();
  });
});
