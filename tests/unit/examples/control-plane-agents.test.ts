import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bumpManifest, npmOutdated, parseOutdated } from '../../../examples/agents/dependency-bumper.ts';
import planner from '../../../examples/agents/planner.ts';
import todoHarvester, { taskFor, todosIn } from '../../../examples/agents/todo-harvester.ts';
import { parseProposal, renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import { TaskSchema } from '../../../scripts/core/task/task.ts';
import { isTaskFilePath } from '../../../scripts/engine/store/task-files.ts';
import { git } from '../../fixtures/sandbox-repo.ts';
import { exampleRun, fileAt, modelOf, promptOf } from './harness.ts';

/**
 * The agents that propose changes to the control plane — the planner and the TODO harvester
 * (task files), the dependency bumper (package.json): each pull request is validated, reviewed
 * and then waits for a person; the factory never merges it. The planner's model is the loopback
 * fixture; npm's answer is injected into the bumper.
 */
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const SEARCH_STEPS = {
  'tasks/split-search-index.json': json({
    task_id: 'split-search-index',
    title: 'Search index',
    description: 'Build an in-memory index of the documents in src/search/index.ts',
    assignee: 'gpt',
    files: ['src/search/index.ts', 'tests/search-index.test.ts'],
  }),
  'tasks/split-search-query.json': json({
    task_id: 'split-search-query',
    title: 'Search queries',
    description: 'Answer queries from the index in src/search/query.ts',
    assignee: 'gemini-pro',
    files: ['src/search/query.ts'],
    depends_on: ['split-search-index'],
  }),
};
const BAD_STEP = json({
  task_id: 'split-bad-step',
  description: 'A step after a task nobody wrote',
  assignee: 'gpt',
  files: ['src/bad.ts'],
  depends_on: ['nowhere'],
});
const APP = [
  'export function total(values: number[]) {',
  '  // TODO(gemini-pro): handle an empty list',
  '  return values.reduce((a, b) => a + b);',
  '}',
  '/* TODO: log the error */',
  '',
].join('\n');
const PACKAGE = json({
  name: 'scratch',
  private: true,
  dependencies: { 'left-pad': '^1.1.0', zod: '4.0.0', 'from-git': 'github:someone/from-git' },
  devDependencies: { vitest: '~3.0.1' },
});

const run = exampleRun(
  {
    coder: ({ taskId }) => {
      const files = taskId === 'split-search' ? SEARCH_STEPS : { 'tasks/split-bad-step.json': BAD_STEP };
      const blocks = Object.entries(files).map(([path, content]) => ({ path, content, lang: 'json' }));
      return `Two steps.\n\n${renderProposal(blocks)}\n`;
    },
  },
  {
    plugins: [
      'examples/agents/planner.ts',
      'examples/agents/todo-harvester.ts',
      'tests/unit/examples/fixtures/offline-bumper.ts',
    ],
    files: {
      'package.json': PACKAGE,
      'src/app.ts': APP,
      'docs/guide.md': '# Guide\n\n<!-- TODO: add a diagram -->\n',
      'scripts/ignored.ts': '// TODO: scripts are not harvested\n',
    },
    tasks: [
      {
        task_id: 'split-search',
        description: 'Add full-text search; gpt and gemini-pro write code',
        assignee: 'planner',
        files: [],
      },
      { task_id: 'split-bad', description: 'Plan something', assignee: 'planner', files: [] },
      {
        task_id: 'harvest-todos',
        description: 'Turn TODO comments into tasks',
        assignee: 'todo-harvester',
        files: [],
      },
      {
        task_id: 'bump-deps',
        description: 'Bump outdated dependencies',
        assignee: 'dependency-bumper',
        files: ['package.json'],
      },
    ],
  },
);

/** A task's pull request waits for a person, with its files only on its branch. */
function expectHeldForPerson(taskId: string, paths: readonly string[]): void {
  const record = run.records.get(taskId)!;
  expect(record.state, JSON.stringify(record.last_error)).toBe('needs_human');
  expect(record.last_error?.class).toBe('control_plane');
  expect(record.last_error?.message).toContain('a person reviews and merges');
  expect(record.attempts.map((a) => `${a.kind}:${a.result}`)).toEqual(['code:proposed', 'review:approved']);
  const onMain = git(run.root, 'ls-tree', '-r', '--name-only', 'main').split('\n');
  for (const path of paths) expect(onMain).not.toContain(path);
}

describe('the example planner', () => {
  it('asks its model with the task-file format in its instructions', () => {
    const call = run.fixture.requests.find((request) =>
      promptOf(request).includes('working on task split-search,'),
    )!;
    expect(modelOf(call)).toBe(planner.model);
    expect(promptOf(call)).toContain(planner.instructions!);
    // Its rules say what its grant lets it write, so the instructions do not contradict them.
    expect(promptOf(call)).toContain(
      '- You may also propose changes to `tasks/`; a person reviews and merges them.',
    );
  });

  it('proposes valid task files, reviewed by a coder, and its pull request waits for a person', () => {
    expectHeldForPerson('split-search', Object.keys(SEARCH_STEPS));
    expect(run.records.get('split-search')?.reviewer).toBe('gpt');
    for (const [path, content] of Object.entries(SEARCH_STEPS)) {
      expect(`${fileAt(run.root, 'aifactory/split-search', path)}\n`).toBe(content);
    }
  });

  it('is rejected when a proposed task file fails validation, naming the file and the field', () => {
    const record = run.records.get('split-bad')!;
    expect(record.state).toBe('rejected');
    expect(record.rejection).toMatchObject({ rule: 'task_file', path: 'tasks/split-bad-step.json' });
    expect(record.rejection?.message).toContain('field "depends_on[0]"');
    expect(record.rejection?.message).toContain('nowhere');
    expect(git(run.root, 'branch', '--list', 'aifactory/split-bad')).toBe('');
  });
});

describe('proposed task files', () => {
  it('are the task files of the tasks folder, whatever the case of its name', () => {
    expect(
      [
        'tasks/a.json',
        'Tasks/a.json',
        'tasks/sub/a.json',
        'tasks/task.schema.json',
        'tasks/a.md',
        'src/tasks/a.json',
      ].map(isTaskFilePath),
    ).toEqual([true, true, false, false, false, false]);
  });
});

describe('the example todo-harvester', () => {
  it('proposes one valid task file per TODO comment of the product folders, and waits for a person', () => {
    const expected = [
      taskFor({ path: 'docs/guide.md', line: 3, text: 'add a diagram', assignee: undefined }),
      taskFor({ path: 'src/app.ts', line: 2, text: 'handle an empty list', assignee: 'gemini-pro' }),
      taskFor({ path: 'src/app.ts', line: 5, text: 'log the error', assignee: undefined }),
    ];
    const paths = expected.map((task) => `tasks/${task.task_id}.json`);
    expectHeldForPerson('harvest-todos', paths);
    expect(run.records.get('harvest-todos')?.attempts[0]?.files).toEqual(paths);
    for (const task of expected) {
      expect(JSON.parse(fileAt(run.root, 'aifactory/harvest-todos', `tasks/${task.task_id}.json`))).toEqual(
        task,
      );
    }
    expect(expected[1]).toMatchObject({ assignee: 'gemini-pro', files: ['src/app.ts'], labels: ['todo'] });
    expect(expected[0]?.assignee).toBe('gpt');
  });

  it('skips a TODO whose task file exists, and says so when nothing is left', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'aifactory-harvest-'));
    try {
      const done = taskFor({ path: 'src/a.ts', line: 1, text: 'first', assignee: undefined });
      await mkdir(join(repo, 'src'));
      await mkdir(join(repo, 'tasks'));
      await writeFile(join(repo, 'src/a.ts'), '// TODO: first\n// TODO: second\n');
      await writeFile(join(repo, 'tasks', `${done.task_id}.json`), JSON.stringify(done));
      git(repo, 'init', '-q');
      git(repo, 'add', '-A');
      const task = { task_id: 'harvest', description: 'harvest', assignee: 'todo-harvester', files: [] };
      const { text } = await todoHarvester.run!({ task, root: repo, files: {}, iteration: 1 });
      const second = taskFor({ path: 'src/a.ts', line: 2, text: 'second', assignee: undefined });
      expect(parseProposal(text)).toMatchObject({
        ok: true,
        files: [{ path: `tasks/${second.task_id}.json` }],
      });
      await writeFile(join(repo, 'src/a.ts'), '// TODO: first\n');
      await expect(todoHarvester.run!({ task, root: repo, files: {}, iteration: 1 })).rejects.toThrow(
        'todo-harvester: task harvest found no TODO comment without a task in src, tests, docs',
      );
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });

  it('finds TODOs in each comment style and gives a moved TODO the same task', () => {
    expect(todosIn('a.py', 'x = 1  # TODO(grok-fast): faster\n# todo: not this')).toEqual([
      { path: 'a.py', line: 1, text: 'faster', assignee: 'grok-fast' },
    ]);
    const here = taskFor({ path: 'src/a.ts', line: 3, text: 'x', assignee: undefined });
    const moved = taskFor({ path: 'src/a.ts', line: 30, text: 'x', assignee: undefined });
    expect(moved.task_id).toBe(here.task_id);
    expect(TaskSchema.parse(here)).toEqual(here);
    const long = taskFor({ path: 'src/a.ts', line: 1, text: 'y'.repeat(400), assignee: undefined });
    expect(long.title?.length).toBe(200);
  });
});

describe('the example dependency-bumper', () => {
  it('moves each outdated dependency to its latest version, keeps its prefix, and waits for a person', () => {
    expectHeldForPerson('bump-deps', []);
    expect(JSON.parse(fileAt(run.root, 'aifactory/bump-deps', 'package.json'))).toEqual({
      name: 'scratch',
      private: true,
      dependencies: { 'left-pad': '^1.3.0', zod: '4.1.12', 'from-git': 'github:someone/from-git' },
      devDependencies: { vitest: '~5.1.1' },
    });
    expect(fileAt(run.root, 'main', 'package.json')).toBe(PACKAGE.trimEnd());
  });

  it('reads `npm outdated --json`, whose exit code 1 means "something is outdated", and names a failing npm', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'aifactory-npm-'));
    try {
      const npm = join(bin, 'npm');
      const env = { PATH: `${bin}:${process.env.PATH}` };
      await writeFile(
        npm,
        `#!/bin/sh\n[ "$1 $2" = "outdated --json" ] || exit 9\necho '{"zod":{"latest":"4.1.12"}}'\nexit 1\n`,
        { mode: 0o755 },
      );
      expect(parseOutdated(await npmOutdated(bin, env))).toEqual({ zod: { latest: '4.1.12' } });
      await writeFile(npm, '#!/bin/sh\necho "npm error code ENOTFOUND" >&2\nexit 1\n', { mode: 0o755 });
      await expect(npmOutdated(bin, env)).rejects.toThrow(
        'dependency-bumper: npm outdated failed: npm error code ENOTFOUND',
      );
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it("refuses npm's answer when it is not what npm prints, naming the field", () => {
    expect(() => parseOutdated('{"zod": {"current": "1.0.0"}}')).toThrow('field "zod.latest"');
    expect(() => parseOutdated('npm ERR!')).toThrow('did not print JSON');
    expect(parseOutdated('')).toEqual({});
    expect(
      bumpManifest('package.json', '{\n\t"dependencies": {"a": "1.0.0"}\n}', { a: { latest: '1.0.0' } }),
    ).toEqual({
      text: '{\n\t"dependencies": {\n\t\t"a": "1.0.0"\n\t}\n}\n',
      bumped: [],
    });
    expect(() => bumpManifest('package.json', '[', {})).toThrow('package.json is not a valid package.json');
  });
});
