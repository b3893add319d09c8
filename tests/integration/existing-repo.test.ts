// The README's "Use it on an existing repository", followed as written in a scratch JavaScript
// library that has only the packed tarball: init, validate, new, a reviewed merge whose checks are
// the library's own tests, and the dashboard built from the package. The same for a small Python
// package tested with pytest, where this machine has pytest.
import { execFile, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { type LlmFixture, startLlmFixture } from '../fixtures/llm-fixture.ts';
import { git } from '../fixtures/sandbox-repo.ts';
import { scriptModels } from '../unit/examples/harness.ts';

const NOT_COPIED = new Set(['node_modules', '.git', 'types', 'dist', 'reports', 'coverage', '.astro']);
const INSTALL = 'npm install --save-dev aifactory-os';

/** The library: its own `node --test` suite and nothing of the factory. */
const LIBRARY: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'tiny-lib', type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
  'src/add.js': 'export const add = (a, b) => a + b;\n',
  'tests/add.test.js': `import assert from 'node:assert';
import test from 'node:test';
import { add } from '../src/add.js';

test('adds', () => assert.strictEqual(add(2, 3), 5));
`,
};

/** The Python package: its own pytest suite, and no Node project of its own. */
const PYTHON_PACKAGE: Record<string, string> = {
  'pyproject.toml':
    '[project]\nname = "tiny-py"\nversion = "0.1.0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n',
  'tiny/__init__.py': 'def add(a, b):\n    return a + b\n',
  'tests/test_add.py': 'from tiny import add\n\n\ndef test_adds():\n    assert add(2, 3) == 5\n',
};
/** Whether this machine's python3 has pytest: the Python package's case needs it. */
const HAS_PYTEST = spawnSync('python3', ['-m', 'pytest', '--version'], { stdio: 'ignore' }).status === 0;

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; output: string }>((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { cwd, env, timeout: 300_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

/** The commands of the README section's `sh` block, in order. */
async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it on an existing repository'));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section)![1]!;
  return block.split('\n').filter((line) => line.trim() !== '');
}

let work: string;
let tarball: string;
let fixture: LlmFixture;
/** The user's Node 24 first on the PATH; the model server on this machine is the fixture. */
let userEnv: NodeJS.ProcessEnv;

/**
 * `npm install <tarball>` without the registry, in `app`: the tarball unpacked, its dependencies
 * linked, its bin linked, and package.json given the dependency as npm writes it.
 */
async function installTarball(app: string, pkg: Record<string, unknown>): Promise<void> {
  const installed = join(app, 'node_modules', 'aifactory-os');
  await mkdir(installed, { recursive: true });
  const untar = await shell(
    `tar -xzf '${tarball}' -C '${installed}' --strip-components=1`,
    work,
    process.env,
  );
  if (untar.code !== 0) throw new Error(untar.output);
  for (const name of await readdir(join(REPO_ROOT, 'node_modules'))) {
    if (name === 'aifactory-os' || name === '.bin') continue;
    await symlink(join(REPO_ROOT, 'node_modules', name), join(app, 'node_modules', name));
  }
  await mkdir(join(app, 'node_modules', '.bin'));
  await symlink('../aifactory-os/bin/aifactory.mjs', join(app, 'node_modules', '.bin', 'aifactory'));
  const withFactory = { ...pkg, devDependencies: { 'aifactory-os': `file:${tarball}` } };
  await writeFile(join(app, 'package.json'), `${JSON.stringify(withFactory, null, 2)}\n`);
}

/** A scratch repository at `work/<name>` holding `files`, committed. */
async function scratchRepo(name: string, files: Record<string, string>): Promise<string> {
  const app = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(app, path)), { recursive: true });
    await writeFile(join(app, path), content);
  }
  git(app, 'init', '-q', '-b', 'main');
  git(app, 'config', 'user.name', 'Product');
  git(app, 'config', 'user.email', 'product@example.invalid');
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'the product');
  return app;
}

/**
 * Runs `commands` as the README says, from `cwd` (the root of `app` or a folder in it), the
 * install step at the root through `installTarball`.
 */
async function followCommands(
  app: string,
  commands: readonly string[],
  pkg: Record<string, unknown>,
  cwd = app,
): Promise<Map<string, { code: number; stdout: string; output: string }>> {
  const outputs = new Map<string, { code: number; stdout: string; output: string }>();
  for (const command of commands) {
    if (command === INSTALL) {
      await installTarball(app, pkg);
      outputs.set(command, { code: 0, stdout: '', output: '' });
    } else {
      outputs.set(command, await shell(command, cwd, userEnv));
    }
  }
  return outputs;
}

/** The reports of every check the local forge ran in `app`. */
async function checkReports(app: string): Promise<string[]> {
  const cache = join(app, '.git/aifactory/checks');
  return Promise.all((await readdir(cache)).map((name) => readFile(join(cache, name), 'utf8')));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aifactory-existing-'));
  const source = join(work, 'source');
  await cp(REPO_ROOT, source, {
    recursive: true,
    filter: (path) => !NOT_COPIED.has(path.slice(REPO_ROOT.length).split('/')[0] ?? ''),
  });
  await symlink(join(REPO_ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  const pack = await shell(`npm pack --json --pack-destination '${work}'`, source, process.env);
  if (pack.code !== 0) throw new Error(pack.output);
  tarball = join(
    work,
    (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string }[])[0]!.filename,
  );
  await rm(source, { recursive: true, force: true });

  fixture = await startLlmFixture();
  scriptModels(fixture, {
    coder: ({ taskId }) => {
      const path = taskId === 'add-usage' ? 'docs/usage.md' : 'docs/overview.md';
      return `Written.\n\n\`\`\`md:${path}\n# ${taskId}\n\`\`\`\n`;
    },
  });
  userEnv = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    HOME: process.env.HOME,
    FORCE_COLOR: '0',
    LOCAL_BASE_URL: fixture.openaiUrl,
  };
}, 600_000);

afterAll(async () => {
  await fixture?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the README's set-up on an existing repository, followed as written", () => {
  let app: string;
  let commands: string[];
  let outputs: Map<string, { code: number; stdout: string; output: string }>;
  beforeAll(async () => {
    commands = await readmeCommands();
    app = await scratchRepo('library', LIBRARY);
    outputs = await followCommands(app, commands, JSON.parse(LIBRARY['package.json']!));
  }, 900_000);

  it('installs, inits, validates, adds a task, runs and builds the site', () => {
    expect(commands[0]).toBe(INSTALL);
    expect(commands.slice(1).map((command) => command.split(' ').slice(0, 3).join(' '))).toEqual([
      'npx aifactory init',
      'npx aifactory validate',
      'npx aifactory new',
      'npx aifactory run',
      'npx aifactory site',
    ]);
    for (const [command, { code, output }] of outputs) expect(code, `${command}\n${output}`).toBe(0);
  });

  it("merges each task after a local review, with the library's own tests as the checks", async () => {
    const status = await shell('npx aifactory status --json', join(app, 'src'), {
      ...process.env,
      FORCE_COLOR: '0',
    });
    const tasks = (
      JSON.parse(status.stdout) as { tasks: { task_id: string; state: string; reviewer: string }[] }
    ).tasks;
    expect(tasks.map((task) => [task.task_id, task.state])).toEqual([
      ['add-usage', 'merged'],
      ['example-docs', 'merged'],
    ]);
    const record = JSON.parse(await readFile(join(app, 'shared/runs/add-usage.json'), 'utf8'));
    expect(JSON.stringify(record)).toContain('local-reviewer');
    expect(git(app, 'show', 'main:docs/usage.md')).toBe('# add-usage');
    // The checks were the library's `node --test` suite, run on each task's head, and passed.
    const reports = await checkReports(app);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports) {
      expect(report).toContain('passed');
      expect(report).toMatch(/pass 1/);
    }
    // Only the local server was called: no cloud provider, and the reviewer is another model.
    expect(fixture.requests.length).toBeGreaterThan(0);
  });

  it('builds a dashboard that lists the tasks', async () => {
    const tasks = await readFile(join(app, '.aifactory/site/tasks.json'), 'utf8');
    expect(tasks).toContain('add-usage');
    expect(tasks).toContain('example-docs');
  });

  it('changes nothing on a second init, from a subfolder', async () => {
    const again = await shell('npx aifactory init --local http://localhost:11434/v1', join(app, 'src'), {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    });
    expect(again.output).toContain('nothing to do');
  });
});

describe.runIf(HAS_PYTEST)('the same set-up on a Python package tested with pytest, from a subfolder', () => {
  let app: string;
  let outputs: Map<string, { code: number; stdout: string; output: string }>;
  beforeAll(async () => {
    app = await scratchRepo('python', PYTHON_PACKAGE);
    // npm install writes a package.json of its own into a folder that has none; every other
    // command runs from the package's folder, as "or any folder in it" allows.
    outputs = await followCommands(app, await readmeCommands(), {}, join(app, 'tiny'));
  }, 900_000);

  it('inits with pytest as the checks, validates, adds a task, runs and builds the site', async () => {
    for (const [command, { code, output }] of outputs) expect(code, `${command}\n${output}`).toBe(0);
    expect(await readFile(join(app, 'aifactory.config.mts'), 'utf8')).toContain(
      'checks: { command: "pytest" }',
    );
    const tasks = await readFile(join(app, '.aifactory/site/tasks.json'), 'utf8');
    expect(tasks).toContain('add-usage');
  });

  it("merges each task after a local review, with the package's own pytest suite as the checks", async () => {
    const status = await shell('npx aifactory status --json', join(app, 'tiny'), userEnv);
    const tasks = (JSON.parse(status.stdout) as { tasks: { task_id: string; state: string }[] }).tasks;
    expect(tasks.map((task) => [task.task_id, task.state])).toEqual([
      ['add-usage', 'merged'],
      ['example-docs', 'merged'],
    ]);
    const reports = await checkReports(app);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports) {
      expect(report).toContain('"passed"');
      expect(report).toMatch(/1 passed/);
    }
  });
});
