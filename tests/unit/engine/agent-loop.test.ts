// The agent loop's turns, limits and refusals, driven by scripted answers over a real toolbox on a git repository.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRequest } from '../../../scripts/agents/invoke.ts';
import { AgentLoopConfigSchema } from '../../../scripts/core/config.ts';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { compact, type LoopInput, runAgentLoop } from '../../../scripts/engine/agent-loop/loop.ts';
import type { AgentAnswer } from '../../../scripts/engine/types.ts';
import type { ChatMessage, FinishReason, ToolCall } from '../../../scripts/providers/types.ts';
import { createTrapRepo, removeRepo, toolboxFor } from './tools/tools-fixture.ts';

let root: string;
beforeAll(async () => {
  ({ root } = await createTrapRepo());
});
afterAll(async () => {
  await removeRepo(root);
});

type Turn = { calls?: Omit<ToolCall, 'id'>[]; text?: string; finish?: FinishReason } | Error;

/** A model that answers each turn from `turns` (the last one again past the end), and what it was asked. */
function scripted(turns: Turn[]) {
  const seen: AgentRequest[] = [];
  const call = async (request: AgentRequest): Promise<AgentAnswer> => {
    seen.push({ ...request, messages: request.messages.map((message) => ({ ...message })) });
    const turn = turns[Math.min(seen.length - 1, turns.length - 1)]!;
    if (turn instanceof Error) throw turn;
    const toolCalls = (turn.calls ?? []).map((call, index) => ({ ...call, id: `t${seen.length}_${index}` }));
    return {
      text: turn.text ?? '',
      usage: { inputTokens: 100, outputTokens: 10 },
      model: 'm',
      provider: 'openai',
      costUsd: 0.5,
      finishReason: turn.finish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      latencyMs: 1,
    };
  };
  return { call, seen };
}

const limits = (extra: Record<string, number> = {}) => AgentLoopConfigSchema.parse(extra);

async function loop(
  turns: Turn[],
  extra: Partial<LoopInput> = {},
  toolbox?: Awaited<ReturnType<typeof toolboxFor>>,
) {
  const model = scripted(turns);
  const tools = toolbox ?? (await toolboxFor(root));
  const outcome = await runAgentLoop({
    call: model.call,
    toolbox: tools.toolbox,
    system: 'system',
    opening: 'Work on task t.',
    context: { taskId: 't', agent: 'gpt', role: 'coder', iteration: 1 },
    limits: limits(),
    ...extra,
  });
  return { outcome, seen: model.seen };
}

const finish = { name: 'finish', arguments: '{"summary":"changed value1"}' };
const edit = {
  name: 'edit_file',
  arguments: JSON.stringify({ path: 'src/app.ts', old_text: 'value1 = 1;', new_text: 'value1 = 100;' }),
};

describe('the agent loop', () => {
  it('runs search, read, edit, finish and hands over the edit alone, with results paired to calls', async () => {
    const { outcome, seen } = await loop([
      { calls: [{ name: 'search', arguments: '{"pattern":"value1 ="}' }] },
      { calls: [{ name: 'read_file', arguments: '{"path":"src/app.ts","end_line":3}' }] },
      { calls: [edit] },
      { calls: [finish] },
    ]);
    expect(outcome.kind).toBe('finished');
    if (outcome.kind !== 'finished') return;
    expect(outcome.finished.summary).toBe('changed value1');
    expect(outcome.finished.edits.changes.map((change) => change.path)).toEqual(['src/app.ts']);
    expect(outcome.finished.edits.changes[0]!.content).toContain('value1 = 100;');
    expect(outcome.turns).toBe(4);
    expect(outcome.answer.usage).toEqual({ inputTokens: 400, outputTokens: 40 });
    expect(outcome.answer.costUsd).toBe(2);
    const last = seen.at(-1)!.messages as ChatMessage[];
    expect(last.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
      'assistant',
      'tool',
    ]);
    expect(last[2]).toMatchObject({ toolCallId: 't1_0', toolName: 'search' });
    expect(last[2]!.content).toContain('src/app.ts:1:');
    expect(seen[0]!.tools?.map((tool) => tool.name)).toContain('run_checks');
    expect(outcome.calls.map((call) => call.name)).toEqual(['search', 'read_file', 'edit_file', 'finish']);
  });

  it('declares only the tools it is given, and sends an unacceptable last answer back once', async () => {
    const judge = (text: string) =>
      text.startsWith('{') ? undefined : 'That is no verdict; answer with JSON.';
    const { outcome, seen } = await loop(
      [
        { calls: [{ name: 'read_file', arguments: '{"path":"src/app.ts"}' }] },
        { text: 'Looks fine.' },
        { text: '{}' },
      ],
      { tools: ['list_files', 'read_file', 'search'], judge },
    );
    expect(seen[0]!.tools?.map((tool) => tool.name)).toEqual(['list_files', 'read_file', 'search']);
    expect(outcome).toMatchObject({ kind: 'proposal', text: '{}', turns: 3 });
    const last = seen.at(-1)!.messages;
    expect(last.slice(-2)).toEqual([
      { role: 'assistant', content: 'Looks fine.' },
      { role: 'user', content: 'That is no verdict; answer with JSON.' },
    ]);
    // Sent back once only: a second answer of prose ends the loop with it, for the caller to judge.
    const twice = await loop([{ text: 'Looks fine.' }, { text: 'Still fine.' }], { judge });
    expect(twice.outcome).toMatchObject({ kind: 'proposal', text: 'Still fine.', turns: 2 });
  });

  it('takes a turn of fenced file blocks and no call as a whole-file proposal', async () => {
    const text = '```ts:src/app.ts\nexport const a = 1;\n```\n';
    const { outcome } = await loop([{ text }]);
    expect(outcome).toMatchObject({ kind: 'proposal', text });
  });

  it('never applies an answer cut by the output limit, even one holding file blocks', async () => {
    const { outcome } = await loop([
      { calls: [edit] },
      { text: '```ts:src/app.ts\nexport const a = ', finish: 'length' },
    ]);
    expect(outcome.kind).toBe('stopped');
    if (outcome.kind === 'stopped') {
      expect(outcome.error.class).toBe('bad_output');
      expect(outcome.error.message).toContain('cut by the output limit');
    }
  });

  it('stops a model that loops on the same call, before it runs a third time', async () => {
    const read = { name: 'read_file', arguments: '{"path":"src/app.ts"}' };
    const { outcome, seen } = await loop([{ calls: [read] }]);
    expect(outcome.kind).toBe('stopped');
    expect(seen).toHaveLength(3);
    expect(outcome.calls).toHaveLength(2);
    if (outcome.kind === 'stopped')
      expect(outcome.error.message).toMatch(/same arguments 3 times.*max_repeats/);
  });

  it('lets a model read the same file again after it edited it', async () => {
    const read = { name: 'read_file', arguments: '{"path":"src/app.ts"}' };
    const { outcome } = await loop([
      { calls: [read] },
      { calls: [read] },
      { calls: [edit] },
      { calls: [read] },
      { calls: [finish] },
    ]);
    expect(outcome.kind).toBe('finished');
  });

  it('ends a model that never calls finish at the turn limit, with its edits dropped', async () => {
    const turns: Turn[] = Array.from({ length: 10 }, (_, index) => ({
      calls: [{ name: 'search', arguments: JSON.stringify({ pattern: `value${index}` }) }],
    }));
    const { outcome, seen } = await loop(turns, { limits: limits({ max_turns: 5 }) });
    expect(seen).toHaveLength(5);
    expect(outcome).toMatchObject({ kind: 'stopped', error: { class: 'bad_output' } });
    if (outcome.kind === 'stopped')
      expect(outcome.error.message).toContain('within 5 turns (agent_loop.max_turns)');
  });

  it('ends the loop on a turn that calls no tool, its text to be judged as a proposal', async () => {
    const { outcome, seen } = await loop([
      { text: 'I think I should look around.' },
      { calls: [edit] },
      { calls: [finish] },
    ]);
    // The code step sends such text back to the coder as "no usable proposal", counting an iteration.
    expect(outcome).toMatchObject({ kind: 'proposal', text: 'I think I should look around.' });
    expect(seen).toHaveLength(1);
  });

  it('runs at most max_calls_per_turn of 100 calls in one answer and refuses the rest, each answered', async () => {
    const calls = Array.from({ length: 100 }, (_, index) => ({
      name: 'search',
      arguments: JSON.stringify({ pattern: `value${index}` }),
    }));
    const { outcome, seen } = await loop([{ calls }, { calls: [finish] }], {
      limits: limits({ max_calls_per_turn: 8 }),
    });
    const tools = (seen[1]!.messages as ChatMessage[]).filter((message) => message.role === 'tool');
    expect(tools).toHaveLength(100);
    expect(tools.filter((message) => message.content.startsWith('refused (too_many_calls)'))).toHaveLength(
      92,
    );
    expect(outcome.calls.filter((call) => call.refused === 'too_many_calls')).toHaveLength(92);
  });

  it('answers invalid JSON, an unknown tool and a call after finish with refusals, never a throw', async () => {
    const { outcome } = await loop([
      {
        calls: [
          { name: 'read_file', arguments: '{"path": "src/app.ts"' },
          { name: 'rm_rf', arguments: '{}' },
          edit,
          finish,
          { name: 'write_file', arguments: '{"path":"src/late.ts","content":"x"}' },
        ],
      },
    ]);
    expect(outcome.kind).toBe('finished');
    expect(outcome.calls.map((call) => call.refused)).toEqual([
      'invalid_json',
      'unknown_tool',
      undefined,
      undefined,
      'finished',
    ]);
    if (outcome.kind === 'finished') {
      expect(outcome.finished.edits.changes.map((change) => change.path)).toEqual(['src/app.ts']);
    }
  });

  it('lets a budget refusal in the middle of the loop through, so nothing of the iteration is kept', async () => {
    const budget = new FactoryError('budget', 'gpt: the daily cap of $1.00 would be passed');
    await expect(loop([{ calls: [edit] }, budget])).rejects.toBe(budget);
  });

  it('ends the loop at its deadline with the limit named', async () => {
    let now = 0;
    const clock = () => now;
    const { outcome } = await loop(
      [
        { calls: [{ name: 'search', arguments: '{"pattern":"a"}' }] },
        { calls: [{ name: 'search', arguments: '{"pattern":"b"}' }] },
      ],
      {
        clock,
        limits: limits({ deadline_seconds: 10 }),
        call: async () => {
          now += 6000;
          return {
            text: '',
            usage: { inputTokens: 1, outputTokens: 1 },
            model: 'm',
            provider: 'p',
            costUsd: 0,
            finishReason: 'tool_calls',
            toolCalls: [{ id: `c${now}`, name: 'search', arguments: `{"pattern":"${now}"}` }],
            latencyMs: 1,
          };
        },
      },
    );
    expect(outcome).toMatchObject({ kind: 'stopped', error: { class: 'timeout' } });
    if (outcome.kind === 'stopped') expect(outcome.error.message).toContain('agent_loop.deadline_seconds');
  });

  it('turns a model call aborted by the deadline into the deadline stop', async () => {
    const { outcome } = await loop([], {
      limits: limits({ deadline_seconds: 10 }),
      clock: (() => {
        let calls = 0;
        return () => (calls++ === 0 ? 0 : 20_000);
      })(),
      call: (request) =>
        new Promise((_, reject) => {
          request.signal!.addEventListener('abort', () => reject(new FactoryError('timeout', 'cancelled')));
        }),
    });
    expect(outcome).toMatchObject({ kind: 'stopped', error: { class: 'timeout' } });
  }, 15_000);
});

describe('compact', () => {
  it('shortens the oldest tool results first, never those of the last answer', () => {
    const big = 'x'.repeat(40_000);
    const messages: ChatMessage[] = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'read_file', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'a', toolName: 'read_file', content: big },
      { role: 'assistant', content: '', toolCalls: [{ id: 'b', name: 'read_file', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'b', toolName: 'read_file', content: big },
    ];
    compact(messages, 12_000);
    expect(messages[2]!.content).toMatch(/^\[an earlier tool result of 40000 bytes, shortened/);
    expect(messages[4]!.content).toBe(big);
    expect(messages[2]!.toolCallId).toBe('a');
  });

  it('leaves a conversation within its budget as it is', () => {
    const messages: ChatMessage[] = [
      { role: 'tool', content: 'small' },
      { role: 'assistant', content: 'ok' },
    ];
    compact(messages, 10_000);
    expect(messages[0]!.content).toBe('small');
  });
});
