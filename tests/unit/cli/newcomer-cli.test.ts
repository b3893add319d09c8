/** Rough edges a newcomer meets in the first hour: each one has a clear answer now. */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskFileText } from '../../../scripts/commands/new.ts';
import { clip, plural } from '../../../scripts/ui/words.ts';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

const TSX = join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
/** Makes the process report an old Node, as Node 20 would. */
const OLD_NODE = join(REPO_ROOT, 'tests/fixtures/old-node.mjs');

let root: string;
beforeAll(async () => {
  ({ root } = await createSandboxRepo([simpleStory('alpha')]));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('a newcomer', () => {
  it('gets a clear error, not a silent exit 0, from the CLI on an old Node', async () => {
    // tsx runs the CLI in a child process, which inherits NODE_OPTIONS.
    const result = await run([TSX, 'scripts/cli.ts', '--version'], { NODE_OPTIONS: `--import=${OLD_NODE}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('aifactory needs Node.js 22 or newer');
    expect(result.stderr).toContain('npm run aifactory');
  });

  it('gets the pinned Node 24 from bin/aifactory.mjs when the system Node is old', async () => {
    const result = await run(['--import', OLD_NODE, 'bin/aifactory.mjs', '--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('writes with `new` a task file the formatter of `npm test` accepts as it is', async () => {
    const result = await runCli(
      [
        'new',
        'fresh',
        '--assignee',
        'gpt',
        '--description',
        'Write docs',
        '--files',
        'docs/a.md',
        'docs/b.md',
      ],
      { cwd: root },
    );
    expect(result.code).toBe(0);
    const text = await readFile(join(root, 'tasks/fresh.json'), 'utf8');
    const biome = join(REPO_ROOT, 'node_modules/.bin/biome');
    // Formatted with this repository's biome.json, as `npm test` checks tasks/.
    const formatted = execFileSync(biome, ['format', '--stdin-file-path=tasks/fresh.json'], {
      cwd: REPO_ROOT,
      input: text,
      encoding: 'utf8',
    });
    expect(formatted).toBe(text);
    expect(text).toContain('"files": ["docs/a.md", "docs/b.md"]');
  });

  it('gets from `new` a "$schema" only where the schema file is, with a path that reaches it', async () => {
    const { root: repo } = await createSandboxRepo([]);
    const args = ['new', 'one', '--assignee', 'gpt', '--description', 'Write docs', '--files', 'docs/a.md'];
    expect((await runCli(args, { cwd: repo })).code).toBe(0);
    expect(await readFile(join(repo, 'tasks/one.json'), 'utf8')).not.toContain('$schema');
    // As in a repository where `npm install aifactory-os` put the package.
    const installed = join(repo, 'node_modules/aifactory-os/tasks');
    await mkdir(installed, { recursive: true });
    await writeFile(join(installed, 'task.schema.json'), '{}\n');
    expect((await runCli([...args.slice(0, 1), 'two', ...args.slice(2)], { cwd: repo })).code).toBe(0);
    const two = JSON.parse(await readFile(join(repo, 'tasks/two.json'), 'utf8'));
    expect(two.$schema).toBe('../node_modules/aifactory-os/tasks/task.schema.json');
    await writeFile(join(repo, 'tasks/task.schema.json'), '{}\n');
    expect((await runCli([...args.slice(0, 1), 'three', ...args.slice(2)], { cwd: repo })).code).toBe(0);
    const three = JSON.parse(await readFile(join(repo, 'tasks/three.json'), 'utf8'));
    expect(three.$schema).toBe('./task.schema.json');
    await rm(repo, { recursive: true, force: true });
  }, 60_000);

  it('gets a long list from `new` one entry a line, as the formatter would', () => {
    const files = Array.from({ length: 8 }, (_, index) => `docs/a-rather-long-folder/file-${index}.md`);
    const text = taskFileText({ task_id: 'long', description: 'd', assignee: 'gpt', files });
    const formatted = execFileSync(
      join(REPO_ROOT, 'node_modules/.bin/biome'),
      ['format', '--stdin-file-path=tasks/long.json'],
      {
        cwd: REPO_ROOT,
        input: text,
        encoding: 'utf8',
      },
    );
    expect(formatted).toBe(text);
  });

  it('gets the same error from `run --dry-run --only nosuch` as from the real run', async () => {
    const dry = await runCli(['run', '--dry-run', '--only', 'nosuch'], { cwd: root });
    const real = await runCli(['run', '--once', '--only', 'nosuch', '--replay'], { cwd: root });
    expect(dry.code).toBe(2);
    expect(real.code).toBe(2);
    expect(dry.stderr).toContain('--only: no valid task "nosuch" in tasks/');
    expect(real.stderr).toContain('--only: no valid task "nosuch" in tasks/');
  });

  it('hears about a missing key only for tasks that still wait for it', async () => {
    const { root: repo, replayDir } = await createSandboxRepo([simpleStory('finished'), simpleStory('open')]);
    const noKeys = { OPENAI_API_KEY: undefined, GEMINI_API_KEY: undefined, XAI_API_KEY: undefined };
    await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot', '--only', 'finished'], {
      cwd: repo,
    });
    const result = await runCli(['run', '--once', '--no-snapshot'], { cwd: repo, env: noKeys });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('its tasks wait: open');
    expect(result.stderr).not.toContain('finished');
    expect(result.stdout).toContain('Run finished: 1 task touched');
    await rm(repo, { recursive: true, force: true });
  });

  it('is told next steps that exist: npm scripts where package.json has them, else the CLI', async () => {
    const { root: repo, replayDir } = await createSandboxRepo([simpleStory('next')]);
    const args = ['run', '--once', '--replay', replayDir, '--no-snapshot'];
    const bare = await runCli(args, { cwd: repo });
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toContain(
      'Next: `npx aifactory status` for the task table; `npx aifactory site dev` for the dashboard.',
    );
    expect(bare.stdout).not.toContain('site:dev');
    await writeFile(
      join(repo, 'package.json'),
      JSON.stringify({ scripts: { aifactory: 'aifactory', 'site:dev': 'astro dev' } }),
    );
    const template = await runCli(args, { cwd: repo });
    expect(template.stdout).toContain(
      'Next: `npm run aifactory -- status` for the task table; `npm run site:dev` for the dashboard.',
    );
    await rm(repo, { recursive: true, force: true });
  });

  it('reads "1 task", not "1 tasks", and a cut note that ends in an ellipsis', () => {
    expect(plural(1, 'task')).toBe('1 task');
    expect(plural(0, 'task')).toBe('0 tasks');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
    expect(clip('a long note about the task', 10)).toBe('a long no…');
    expect(clip('short', 10)).toBe('short');
  });
});
