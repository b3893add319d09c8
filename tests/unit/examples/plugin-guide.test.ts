import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStatusFileSchema } from '../../../scripts/core/status/agent-status.ts';
import { AgentsSchema } from '../../../scripts/core/status/snapshot-schema.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';
import { commitAll, git, writeFiles } from '../../fixtures/temp-repo.ts';
import { fixtureEnv, scriptModels } from './harness.ts';

/**
 * docs/plugins.md, followed as written in a copy of the project: every file block the guide
 * gives ("File `path`:" and a fenced block) is written, and every command of its `sh` blocks is
 * run in order, with the providers pointed at the loopback fixture.
 */
const GUIDE = join(REPO_ROOT, 'docs/plugins.md');
const COPIED = [
  'bin',
  'scripts',
  'prompts',
  'examples',
  'tasks',
  'docs/plugins.md',
  'tests/fixtures',
  'tests/unit/examples/harness.ts',
  'package.json',
  'tsconfig.json',
  'vitest.config.ts',
  'aifactory.config.ts',
  '.gitignore',
];

/** The files a guide gives, by path, in the order it gives them. */
function guideFiles(markdown: string): { path: string; content: string }[] {
  const blocks = markdown.matchAll(/^File `([^`]+)`:\n\n(`{3,})\w*\n([\s\S]*?)\n\2$/gm);
  return [...blocks].map((match) => ({ path: match[1]!, content: `${match[3]}\n` }));
}

/** The commands of a guide's `sh` blocks, in order. */
function guideCommands(markdown: string): string[] {
  const blocks = markdown.matchAll(/^```sh\n([\s\S]*?)\n```$/gm);
  return [...blocks].flatMap((match) => match[1]!.split('\n').filter((line) => line.trim() !== ''));
}

function shell(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { cwd, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

let fixture: LlmFixture;
let root: string;
let markdown: string;
const outputs = new Map<string, { code: number; output: string }>();

beforeAll(async () => {
  markdown = await readFile(GUIDE, 'utf8');
  fixture = await startLlmFixture();
  scriptModels(fixture, {});
  root = await mkdtemp(join(tmpdir(), 'aifactory-guide-'));
  for (const path of COPIED) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await cp(join(REPO_ROOT, path), join(root, path), { recursive: true });
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  await writeFiles(root, Object.fromEntries(guideFiles(markdown).map((file) => [file.path, file.content])));
  commitAll(root, 'the project, with the guide followed');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FORCE_COLOR: '0',
    ...fixtureEnv(fixture),
  };
  for (const command of guideCommands(markdown)) outputs.set(command, await shell(command, root, env));
}, 600_000);

afterAll(async () => {
  await fixture?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the plugin guide, followed as written', () => {
  it('gives the agent, its test, the config and a task as files, and the commands of each step', () => {
    expect(guideFiles(markdown).map((file) => file.path)).toEqual([
      'examples/agents/docs-index.ts',
      'examples/agents/careful-coder.ts',
      'tests/unit/examples/docs-index.test.ts',
      'aifactory.config.ts',
      'tasks/index-docs.json',
    ]);
    expect([...outputs.keys()]).toEqual([
      'npx vitest run tests/unit/examples/docs-index.test.ts',
      'npm run aifactory -- agents',
      'npm run aifactory -- validate',
      'npm run aifactory -- run --once --forge local --only index-docs',
      'npm run aifactory -- snapshot',
    ]);
    for (const [command, result] of outputs) expect(result.code, `${command}\n${result.output}`).toBe(0);
  });

  it('step 4: the test of the agent passes against the loopback fixtures', () => {
    const result = outputs.get('npx vitest run tests/unit/examples/docs-index.test.ts')!;
    expect(result.output).toMatch(/1 passed/);
  });

  it('step 5: the agents are registered and the task is valid', () => {
    const agents = outputs.get('npm run aifactory -- agents')!.output;
    expect(agents).toMatch(/^docs-index\s+tool\s+—\s+—\s/m);
    expect(agents).toMatch(/^careful-coder\s+coder\s+openai\s+gpt-5-mini\s+gemini:gemini-2\.5-flash\s/m);
    expect(outputs.get('npm run aifactory -- validate')!.output).toContain('task files valid');
  });

  it('step 6: the task is done and the agent is on the dashboard', async () => {
    expect(git(root, 'show', 'main:docs/README.md')).toBe(
      '# Documentation\n\n- [Write an agent plugin](plugins.md)',
    );
    const agents = AgentsSchema.parse(
      JSON.parse(await readFile(join(root, 'shared/status/agents.json'), 'utf8')),
    );
    expect(agents.agents.map((agent) => agent.name)).toContain('docs-index');
    const status = AgentStatusFileSchema.parse(
      JSON.parse(await readFile(join(root, 'shared/status/agent-status.json'), 'utf8')),
    );
    expect(status.agents.find((agent) => agent.name === 'docs-index')).toMatchObject({ role: 'tool' });
    expect(status.agents.find((agent) => agent.name === 'careful-coder')).toMatchObject({
      role: 'coder',
      model: 'gpt-5-mini',
      key_env: 'OPENAI_API_KEY',
    });
  });
});
