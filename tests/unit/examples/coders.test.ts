import { describe, expect, it } from 'vitest';
import geminiCoder from '../../../examples/agents/gemini-coder.ts';
import grokCoder from '../../../examples/agents/grok-coder.ts';
import localCoder from '../../../examples/agents/local-coder.ts';
import openaiCoder from '../../../examples/agents/openai-coder.ts';
import type { ModelAgent } from '../../../scripts/agents/types.ts';
import { renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import type { SeenRequest } from '../../fixtures/llm-fixture.ts';
import { exampleRun, fileAt, modelOf, promptOf } from './harness.ts';

/** The four model-family coders, each through its own SDK over real HTTP to the loopback fixture. */
const CODERS: { agent: ModelAgent; plugin: string }[] = [
  { agent: grokCoder, plugin: 'examples/agents/grok-coder.ts' },
  { agent: geminiCoder, plugin: 'examples/agents/gemini-coder.ts' },
  { agent: openaiCoder, plugin: 'examples/agents/openai-coder.ts' },
  { agent: localCoder, plugin: 'examples/agents/local-coder.ts' },
];

const pathOf = (agent: ModelAgent) => `src/${agent.name}.ts`;
const contentOf = (agent: ModelAgent) => `export const author = '${agent.name}';\n`;

const run = exampleRun(
  {
    coder: ({ taskId }) => {
      const agent = CODERS.find(({ agent }) => `use-${agent.name}` === taskId)!.agent;
      return `Done.\n\n${renderProposal([{ path: pathOf(agent), content: contentOf(agent), lang: 'ts' }])}\n`;
    },
  },
  {
    plugins: CODERS.map(({ plugin }) => plugin),
    tasks: CODERS.map(({ agent }) => ({
      task_id: `use-${agent.name}`,
      description: `Export the name of its author from ${pathOf(agent)}`,
      assignee: agent.name,
      files: [pathOf(agent)],
    })),
  },
);

/** The coding call of `agent`: its prompt names its task. */
function codingCall(agent: ModelAgent): SeenRequest {
  const call = run.fixture.requests.find((request) =>
    promptOf(request).includes(`working on task use-${agent.name},`),
  );
  if (!call) throw new Error(`${agent.name} was never asked to write`);
  return call;
}

describe.each(CODERS)('the example coder $plugin', ({ agent }) => {
  it('writes through its own provider and model, with the guidance for its model family in the prompt', () => {
    const call = codingCall(agent);
    expect(modelOf(call)).toBe(agent.model);
    if (agent.provider === 'gemini') expect(call.path).toContain(':streamGenerateContent');
    else expect(call.path).toBe('/v1/chat/completions');
    const prompt = promptOf(call);
    expect(agent.instructions).toBeTruthy();
    expect(prompt).toContain(`## Instructions for ${agent.name} from this repository`);
    expect(prompt).toContain(agent.instructions!);
    // Guidance comes after the factory's rules: it adds to them, it does not replace them.
    expect(prompt.indexOf(agent.instructions!)).toBeGreaterThan(prompt.indexOf('Rules the factory enforces'));
  });

  it('gets its proposal reviewed by another vendor and merged', () => {
    const record = run.records.get(`use-${agent.name}`)!;
    expect(record.state).toBe('merged');
    expect(record.attempts[0]).toMatchObject({ kind: 'code', agent: agent.name, files: [pathOf(agent)] });
    expect(record.reviewer).not.toBe(agent.name);
    expect(`${fileAt(run.root, 'main', pathOf(agent))}\n`).toBe(contentOf(agent));
  });
});

it('keeps each coder in its lane: no other agent was asked to write these tasks', () => {
  const writers = run.fixture.requests.filter((request) => /working on task use-/.test(promptOf(request)));
  expect(writers).toHaveLength(CODERS.length);
});
