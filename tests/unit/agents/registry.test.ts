import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { AgentRegistry, BUILTIN_AGENTS, loadRegistry } from '../../../scripts/agents/registry.ts';
import { vendorOf } from '../../../scripts/agents/types.ts';
import { loadConfig, parseConfig } from '../../../scripts/io/config-loader.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-registry-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the agent registry', () => {
  it('has the built-ins, each reviewed by default by an agent of another vendor', () => {
    const registry = new AgentRegistry(BUILTIN_AGENTS);
    expect(registry.list().map((agent) => agent.name)).toEqual(['gemini-pro', 'gpt', 'grok-fast']);
    for (const agent of BUILTIN_AGENTS) {
      const reviewer = registry.reviewerFor({ assignee: agent.name });
      expect(vendorOf(reviewer.provider)).not.toBe(vendorOf(agent.provider));
    }
    expect(registry.get('grok-fast')?.permissions.github).toBe(true);
    expect(registry.get('gpt')?.permissions.github).toBe(false);
  });

  it("honours a task's reviewer, and the configured default reviewer when it is of another vendor", () => {
    const registry = new AgentRegistry(BUILTIN_AGENTS, 'grok-fast');
    expect(registry.reviewerFor({ assignee: 'gpt', reviewer: 'gemini-pro' }).name).toBe('gemini-pro');
    expect(registry.reviewerFor({ assignee: 'gpt' }).name).toBe('grok-fast');
    expect(registry.reviewerFor({ assignee: 'grok-fast' }).name).toBe('gemini-pro');
  });

  it('has a local agent reviewed by a local agent of another model, never by a cloud built-in', () => {
    const coder = defineAgent({ name: 'qwen', role: 'coder', provider: 'local', model: 'qwen2.5-coder' });
    const twin = defineAgent({ name: 'twin', role: 'reviewer', provider: 'local', model: 'qwen2.5-coder' });
    const llama = defineAgent({ name: 'llama', role: 'reviewer', provider: 'local', model: 'llama3.1' });
    const agents = [...BUILTIN_AGENTS, coder, twin, llama];
    expect(new AgentRegistry(agents).reviewerFor({ assignee: 'qwen' }).name).toBe('llama');
    expect(new AgentRegistry(agents, 'llama').reviewerFor({ assignee: 'qwen' }).name).toBe('llama');
    // The same model under another name is no second opinion.
    expect(() => new AgentRegistry(agents, 'twin').reviewerFor({ assignee: 'qwen' })).toThrow(
      'default_reviewer: "twin" cannot review tasks of "qwen": both use local model qwen2.5-coder',
    );
  });

  it("refuses a default reviewer of the assignee's own vendor instead of silently choosing another", () => {
    const registry = new AgentRegistry(
      [
        ...BUILTIN_AGENTS,
        defineAgent({ name: 'flash', role: 'coder', provider: 'gemini', model: 'gemini-2.5-flash' }),
      ],
      'gemini-pro',
    );
    expect(() => registry.reviewerFor({ assignee: 'flash' })).toThrow(
      /default_reviewer: "gemini-pro" cannot review/,
    );
    expect(registry.reviewerFor({ assignee: 'gemini-pro' }).name).not.toBe('gemini-pro');
    expect(registry.reviewerFor({ assignee: 'flash', reviewer: 'gpt' }).name).toBe('gpt');
  });

  it('suggests the closest name for an unknown agent', () => {
    expect(() => new AgentRegistry(BUILTIN_AGENTS).require('grok-fats')).toThrow('did you mean "grok-fast"?');
    expect(() => new AgentRegistry(BUILTIN_AGENTS, 'nobody')).toThrow('default_reviewer');
  });

  it('loads plugins and applies config overrides field by field', async () => {
    const config = parseConfig({
      plugins: ['examples/agents/docs-writer.ts', 'examples/agents/license-header.ts'],
      agents: [
        { name: 'gpt', model: 'gpt-5', caps: { per_task_usd: 1 } },
        { name: 'helper', role: 'coder', provider: 'local', model: 'llama3.1' },
      ],
    });
    const registry = await loadRegistry(REPO_ROOT, config);
    expect(registry.get('docs-writer')).toMatchObject({ provider: 'openai', caps: { per_task_usd: 0.5 } });
    expect(registry.get('license-header')?.role).toBe('tool');
    expect(registry.get('gpt')).toMatchObject({
      model: 'gpt-5',
      provider: 'openai',
      caps: { per_task_usd: 1 },
    });
    expect(registry.get('helper')).toMatchObject({ provider: 'local', model: 'llama3.1' });
  });

  it("keeps a known agent's role when a config written in code spells it out as undefined", async () => {
    const config = parseConfig({ agents: [{ name: 'gemini-pro', role: undefined, model: 'gemini-3-pro' }] });
    const registry = await loadRegistry(REPO_ROOT, config);
    expect(registry.get('gemini-pro')).toMatchObject({ role: 'coder', model: 'gemini-3-pro' });
  });

  it('the example tool agent adds a license header without a model', async () => {
    const tool = (await import('../../../examples/agents/license-header.ts')).default;
    const task = {
      task_id: 't',
      description: 'd',
      assignee: 'license-header',
      files: ['src/a.ts', 'docs/x.md'],
    };
    const output = await tool.run!({ task, root: '.', files: { 'src/a.ts': 'export {};\n' }, iteration: 1 });
    expect(output.text).toBe('```:src/a.ts\n// SPDX-License-Identifier: MIT\nexport {};\n```');
  });

  it('refuses a new agent without a role, a model agent without a model, and a tool without run', () => {
    expect(() => defineAgent({ name: 'x', role: 'coder', provider: 'openai' })).toThrow(
      'needs a provider and a model',
    );
    expect(() => defineAgent({ name: 'x', role: 'tool' })).toThrow('needs a run(input) function');
    expect(() => defineAgent({ name: 'X Y', role: 'coder' })).toThrow('agent field "name"');
  });

  it('keeps a tool agent free of model fields, and a model agent free of run', () => {
    const run = async () => ({ text: '' });
    const tool = defineAgent({ name: 'fmt', role: 'tool', run });
    expect(tool).not.toHaveProperty('provider');
    expect(tool).not.toHaveProperty('model');
    expect(tool.run).toBe(run);
    for (const field of [
      { provider: 'openai' as const },
      { model: 'gpt-5' },
      { fallbacks: [{ provider: 'xai' as const, model: 'grok' }] },
      { prompt: 'coder' },
      { instructions: 'be brief' },
      { tools: true },
    ]) {
      const name = Object.keys(field)[0]!;
      expect(() => defineAgent({ name: 'fmt', role: 'tool', run, ...field }, 'p.ts'), name).toThrow(
        `p.ts: tool agent "fmt" calls no model, so field "${name}" does not apply`,
      );
    }
    expect(() =>
      defineAgent({ name: 'x', role: 'coder', provider: 'openai', model: 'm', run } as never, 'p.ts'),
    ).toThrow(`p.ts: agent "x" has run(input), which only a tool agent has`);
  });

  it('never picks a tool agent as a reviewer, and has any model review a tool agent', () => {
    const tool = defineAgent({ name: 'fmt', role: 'tool', run: async () => ({ text: '' }) });
    const registry = new AgentRegistry([...BUILTIN_AGENTS, tool]);
    expect(registry.reviewerFor({ assignee: 'fmt' }).role).not.toBe('tool');
    expect(() => registry.reviewerFor({ assignee: 'gpt', reviewer: 'fmt' })).toThrow(
      'agent "fmt" is a tool agent: it calls no model, so it cannot review',
    );
    expect(() =>
      new AgentRegistry([...BUILTIN_AGENTS, tool], 'fmt').reviewerFor({ assignee: 'gpt' }),
    ).toThrow('agent "fmt" is a tool agent');
    expect(registry.requireModel('gpt').model).toBe(BUILTIN_AGENTS.find((a) => a.name === 'gpt')!.model);
  });
});

describe('the config file', () => {
  it('is optional, and every field has a default', async () => {
    const config = await loadConfig(root);
    expect(config).toMatchObject({ concurrency: 4, default_branch: 'main', agents: [], caps: {} });
  });

  it('names the file and the field of a mistake', async () => {
    await writeFile(
      join(root, 'aifactory.config.mjs'),
      'export default { concurrency: 0, caps: { daily: 5 } };\n',
    );
    await expect(loadConfig(root)).rejects.toThrow(/aifactory\.config\.mjs: field "concurrency"/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(join(root, 'aifactory.config.mjs'), 'export const x = 1;\n');
    await expect(loadConfig(root)).rejects.toThrow('has no default export');
  });

  it("loads the repository's own aifactory.config.ts", async () => {
    expect((await loadConfig(REPO_ROOT)).caps).toEqual({ per_task_usd: 2, daily_usd: 25, eval_daily_usd: 5 });
  });
});
