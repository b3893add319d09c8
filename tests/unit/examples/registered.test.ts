import { cp, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PLUGINS } from '../../../examples/aifactory.config.ts';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { AgentRegistry, BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import type { Agent } from '../../../scripts/agents/types.ts';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';

/**
 * The examples as a user enables them: in a copy of the project whose root config is the
 * examples' config, `npm run aifactory -- agents` lists every one of them next to the built-ins.
 */
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-examples-'));
  for (const path of ['scripts', 'prompts', 'examples', 'package.json', 'tsconfig.json']) {
    await cp(join(REPO_ROOT, path), join(root, path), { recursive: true });
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  await writeFile(
    join(root, 'aifactory.config.ts'),
    "export { default } from './examples/aifactory.config.ts';\n",
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the example agents, enabled', () => {
  it('are each one file in examples/agents/, all registered by the examples config', async () => {
    const files = (await readdir(join(REPO_ROOT, 'examples/agents'))).filter((name) => name.endsWith('.ts'));
    expect(EXAMPLE_PLUGINS.map((path) => path.replace('examples/agents/', '')).sort()).toEqual(files.sort());
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it('are listed by `aifactory agents` with their roles, models and grants', async () => {
    const result = await runCli(['agents', '--json'], { cwd: root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { agents } = JSON.parse(result.stdout) as {
      agents: {
        name: string;
        role: string;
        provider: string;
        model: string;
        permissions: { controlPlane: string[] };
      }[];
    };
    const byName = new Map(agents.map((agent) => [agent.name, agent]));
    for (const plugin of EXAMPLE_PLUGINS) {
      const { default: agent } = (await import(join(REPO_ROOT, plugin))) as { default: Agent };
      // A tool agent's `run` is code: the listing leaves it out.
      const { run: _code, ...listed } = agent.role === 'tool' ? agent : { ...agent, run: undefined };
      expect(byName.get(agent.name), plugin).toEqual({ ...listed, default_reviewer: expect.any(String) });
    }
    expect(byName.get('planner')).toMatchObject({
      role: 'planner',
      permissions: { controlPlane: ['tasks'] },
    });
    // A tool agent calls no model: no placeholder provider or model is listed for it.
    expect(byName.get('formatter')).toMatchObject({ role: 'tool' });
    expect(byName.get('formatter')).not.toHaveProperty('provider');
    expect(byName.get('formatter')).not.toHaveProperty('model');
    expect(agents).toHaveLength(EXAMPLE_PLUGINS.length + BUILTIN_AGENTS.length);

    const table = await runCli(['agents'], { cwd: root });
    expect(table.code).toBe(0);
    for (const name of ['grok-coder', 'house-reviewer', 'todo-harvester', 'dependency-bumper']) {
      expect(table.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    }
  }, 60_000);

  it('leave the default config alone: the demo sees only the built-ins', async () => {
    const result = await runCli(['agents', '--json']);
    const { agents } = JSON.parse(result.stdout) as { agents: { name: string }[] };
    expect(agents.map((agent) => agent.name)).toEqual(['gemini-pro', 'gpt', 'grok-fast']);
  }, 60_000);
});

describe('the plugin API the examples use', () => {
  it('refuses empty instructions, naming the field', () => {
    expect(() =>
      defineAgent({ name: 'x', role: 'coder', provider: 'openai', model: 'm', instructions: '  ' }, 'x.ts'),
    ).toThrow('x.ts: agent field "instructions"');
  });

  it('never picks a planner or a tool as the default reviewer', () => {
    const planner = defineAgent({ name: 'a-planner', role: 'planner', provider: 'xai', model: 'm' });
    const tool = defineAgent({ name: 'a-tool', role: 'tool', run: async () => ({ text: '' }) });
    const registry = new AgentRegistry([
      ...BUILTIN_AGENTS.filter((agent) => agent.name === 'gpt'),
      planner,
      tool,
    ]);
    expect(() => registry.reviewerFor({ assignee: 'gpt' })).toThrow('no agent can review tasks of "gpt"');
  });
});
