// The packed `aifactory-os` tarball, installed into a scratch project: its contents, its public
// names at run time, its types under a consumer's tsc, and a config and plugin loaded by its bin.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures/cli.ts';
import { git } from '../fixtures/sandbox-repo.ts';

/** The values the public entry promises; a change here is a change of the package's API. */
const PUBLIC_VALUES = [
  'FactoryError',
  'TaskSchema',
  'defineAgent',
  'defineConfig',
  'readRunRecords',
  'renderProposal',
];
/** The values of `aifactory-os/config`: what a config file needs, nothing that runs. */
const CONFIG_VALUES = ['defineConfig'];

/** Left out of the copy that is packed: installed, generated or machine-local. */
const NOT_COPIED = new Set(['node_modules', '.git', 'types', 'dist', 'reports', 'coverage', '.astro']);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], cwd: string, timeout = 120_000): Promise<Ran> {
  const env = { ...process.env, FORCE_COLOR: '0', GITHUB_ACTIONS: undefined, CI: undefined };
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A consumer's files: a plugin and a config that use the public types, and probes of the entry. */
const APP_FILES: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'scratch-app', private: true, type: 'module' })}\n`,
  // What `tsc --init` writes, in short: no allowImportingTsExtensions, which the sources would need.
  'tsconfig.json': `${JSON.stringify({
    compilerOptions: {
      target: 'ES2024',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['*.ts', 'agents'],
  })}\n`,
  'agents/echo.ts': `import {
  type Agent,
  type AgentDefinition,
  type AgentPermissions,
  type AgentRole,
  type Attempt,
  defineAgent,
  type ErrorClass,
  FactoryError,
  type ProposedFile,
  readRunRecords,
  renderProposal,
  type RunRecord,
  type Task,
  TaskSchema,
  type ToolInput,
  type ToolOutput,
} from 'aifactory-os';

const role: AgentRole = 'tool';
const failure: ErrorClass = 'config';
const permissions: Partial<AgentPermissions> = {};

async function echo({ task, root }: ToolInput): Promise<ToolOutput> {
  const records: RunRecord[] = await readRunRecords(root);
  const attempts: Attempt[] = records.flatMap((record) => record.attempts);
  const file: ProposedFile = { path: task.files[0] ?? 'docs/echo.md', content: String(attempts.length), lang: 'md' };
  if (!TaskSchema.safeParse(task).success) throw new FactoryError(failure, 'echo: the task is not valid');
  return { text: renderProposal([file]) };
}

const definition: AgentDefinition = { name: 'echo', role, description: 'Echoes (no model)', run: echo };
const agent: Agent = defineAgent(definition);
void permissions;
export type { Task };
export default agent;
`,
  'aifactory.config.ts': `import { type AgentConfig, type Caps, type Config, type ConfigInput, defineConfig, type ModelRef, type ProviderId } from 'aifactory-os/config';

const provider: ProviderId = 'local';
const fallback: ModelRef = { provider, model: 'small' };
const caps: Caps = { per_task_usd: 1, daily_usd: 5 };
const agents: AgentConfig[] = [{ name: 'gpt', provider, model: 'big', fallbacks: [fallback] }];
const input: ConfigInput = { plugins: ['agents/echo.ts'], caps, agents };
export type { Config };
export default defineConfig(input);
`,
  // The types are real: each line below must be refused, or tsc reports an unused directive.
  'refused.ts': `import { defineAgent } from 'aifactory-os';
import { defineConfig } from 'aifactory-os/config';

// @ts-expect-error a cap is a number of dollars
defineConfig({ caps: { per_task_usd: 'two' } });
// @ts-expect-error no such role
defineAgent({ name: 'x', role: 'boss' });
`,
  'names.mjs': `const main = await import('aifactory-os');
const config = await import('aifactory-os/config');
const deep = await import('aifactory-os/scripts/core/config.ts').then(() => 'loaded', (error) => error.code);
const error = new main.FactoryError('config', 'probe');
console.log(JSON.stringify({
  main: Object.keys(main).sort(),
  config: Object.keys(config).sort(),
  deep,
  sameDefineConfig: main.defineConfig === config.defineConfig,
  errorClass: error instanceof Error ? error.errorClass : undefined,
}));
`,
};

let work: string;
let app: string;
let packed: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'aifactory-pack-'));
  // Packed from a copy, so the declarations that prepack writes never appear in the repository.
  const source = join(work, 'source');
  await cp(REPO_ROOT, source, {
    recursive: true,
    filter: (path) => !NOT_COPIED.has(path.slice(REPO_ROOT.length).split('/')[0] ?? ''),
  });
  await symlink(join(REPO_ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], source, 300_000);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const [report] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  packed = report!.files.map((file) => file.path).sort();

  // Installed as npm installs a tarball, with the dependencies this repository already holds
  // (the registry is out of reach in tests): each linked beside the package, as npm hoists them.
  app = join(work, 'app');
  const installed = join(app, 'node_modules', 'aifactory-os');
  await mkdir(installed, { recursive: true });
  const untar = await run(
    'tar',
    ['-xzf', join(work, report!.filename), '-C', installed, '--strip-components=1'],
    work,
  );
  if (untar.code !== 0) throw new Error(`tar failed:\n${untar.stderr}`);
  for (const name of await readdir(join(REPO_ROOT, 'node_modules'))) {
    if (name === 'aifactory-os' || name === '.bin') continue;
    await symlink(join(REPO_ROOT, 'node_modules', name), join(app, 'node_modules', name));
  }
  for (const [path, content] of Object.entries(APP_FILES)) {
    await mkdir(join(app, path, '..'), { recursive: true });
    await writeFile(join(app, path), content);
  }
  git(app, 'init', '-q', '-b', 'main');
}, 400_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed aifactory-os tarball', () => {
  it('holds the CLI, the engine, the public entry with its declarations, the prompts, the site and the schema', () => {
    for (const path of [
      'package.json',
      'bin/aifactory.mjs',
      'scripts/cli.ts',
      'scripts/public/index.ts',
      'scripts/public/config.ts',
      'scripts/io/spawn-helper.mjs',
      'types/public/index.d.ts',
      'types/public/config.d.ts',
      'prompts/coder.md',
      'prompts/reviewer.md',
      'astro.config.mjs',
      'site/pages/index.astro',
      'tasks/task.schema.json',
    ]) {
      expect(packed).toContain(path);
    }
  });

  it('leaves out the tests, benches, CI scripts, workflows, task files and the demo state', () => {
    const leaked = packed.filter(
      (path) =>
        /^(tests|bench|shared|\.ci|\.github|examples\/replay|node_modules|reports|coverage|dist)\//.test(
          path,
        ) ||
        (path.startsWith('tasks/') && path !== 'tasks/task.schema.json') ||
        /\.test\.ts$/.test(path),
    );
    expect(leaked).toEqual([]);
  });
});

describe('aifactory-os installed in a scratch project', () => {
  it('exports every public name, the same objects from both entries, and no path under scripts/', async () => {
    const probe = await run(process.execPath, ['--import', 'tsx', 'names.mjs'], app);
    expect(probe.stderr).toBe('');
    expect(JSON.parse(probe.stdout)).toEqual({
      main: PUBLIC_VALUES,
      config: CONFIG_VALUES,
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      sameDefineConfig: true,
      errorClass: 'config',
    });
  });

  it("type-checks a config and a plugin with the consumer's tsc, and refuses wrong fields", async () => {
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 300_000);
    expect(`${checked.stdout}${checked.stderr}`).toBe('');
    expect(checked.code).toBe(0);
  }, 300_000);

  it("loads the consumer's config and plugin, both importing aifactory-os, through the package's bin", async () => {
    const bin = join(app, 'node_modules', 'aifactory-os', 'bin', 'aifactory.mjs');
    const listed = await run(process.execPath, [bin, 'agents', '--json'], app);
    expect(listed.stderr).toBe('');
    const { agents, caps } = JSON.parse(listed.stdout) as {
      agents: { name: string; role: string; provider: string; model: string }[];
      caps: unknown;
    };
    expect(agents.find((agent) => agent.name === 'echo')).toMatchObject({ role: 'tool' });
    expect(agents.find((agent) => agent.name === 'gpt')).toMatchObject({ provider: 'local', model: 'big' });
    expect(caps).toEqual({ per_task_usd: 1, daily_usd: 5, eval_daily_usd: 5 });
  });
});
