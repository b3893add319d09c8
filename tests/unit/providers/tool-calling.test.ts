// Native function calling through the real SDKs against the loopback fixture: OpenAI/xAI tool_calls, Gemini functionCall.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toolDeclarations } from '../../../scripts/engine/tools/tool-table.ts';
import { createProvider } from '../../../scripts/providers/index.ts';
import { ReplayProvider } from '../../../scripts/providers/replay.ts';
import type { CallOptions, ChatMessage, GenerateRequest } from '../../../scripts/providers/types.ts';
import { pairingProblems, useLlmFixture } from '../../fixtures/llm-fixture.ts';

const fixtureNow = useLlmFixture({ beforeAll, afterAll, beforeEach });

const KEYS = {
  OPENAI_API_KEY: 'sk-test-openai-0000',
  XAI_API_KEY: 'xai-test-0000',
  GEMINI_API_KEY: 'gm-test-0000',
};
const PROVIDERS = [
  { id: 'openai', gemini: false, env: () => ({ ...KEYS, OPENAI_BASE_URL: fixtureNow().openaiUrl }) },
  { id: 'xai', gemini: false, env: () => ({ ...KEYS, XAI_BASE_URL: fixtureNow().openaiUrl }) },
  { id: 'gemini', gemini: true, env: () => ({ ...KEYS, GEMINI_BASE_URL: fixtureNow().geminiUrl }) },
] as const;

const tools = toolDeclarations();
const request = (messages: ChatMessage[], extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  model: 'model-under-test',
  system: 'You work the repository with tools.',
  messages,
  tools,
  ...extra,
});
const CALL: CallOptions = { context: { taskId: 'tools', agent: 'tester', role: 'coder', iteration: 1 } };
const ask: ChatMessage = { role: 'user', content: 'Fix the bug.' };

describe.each(PROVIDERS)('function calling through the $id SDK', ({ id, gemini, env }) => {
  const make = () =>
    createProvider(id, {
      env: env(),
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      timeoutMs: 5000,
      agent: 'tester',
      limits: { concurrency: 4 },
    });

  it.each([false, true])(
    'reads parallel calls, streamed %s, with their ids and arguments',
    async (stream) => {
      fixtureNow().enqueue({
        kind: 'tools',
        calls: [
          { name: 'search', arguments: { pattern: 'parseDate' }, id: 'c1' },
          { name: 'read_file', arguments: { path: 'src/date.ts', start_line: 10 }, id: 'c2' },
        ],
      });
      const result = await make().generate(request([ask], { stream }), CALL);
      expect(result.finishReason).toBe('tool_calls');
      const calls = result.toolCalls!.map((call) => ({
        id: call.id,
        name: call.name,
        args: typeof call.arguments === 'string' ? JSON.parse(call.arguments) : call.arguments,
      }));
      expect(calls).toEqual([
        { id: 'c1', name: 'search', args: { pattern: 'parseDate' } },
        { id: 'c2', name: 'read_file', args: { path: 'src/date.ts', start_line: 10 } },
      ]);
    },
  );

  it('sends the tools as function declarations with their JSON Schema', async () => {
    await make().generate(request([ask]), CALL);
    const body = fixtureNow().requests[0]!.body as Record<string, unknown>;
    const names = gemini
      ? (body.tools as { functionDeclarations: { name: string; parametersJsonSchema: unknown }[] }[])[0]!
          .functionDeclarations
      : (body.tools as { function: { name: string; parameters: unknown } }[]).map((tool) => tool.function);
    expect(names.map((tool) => tool.name)).toEqual(tools.map((tool) => tool.name));
    const readFile = names.find((tool) => tool.name === 'read_file') as Record<string, unknown>;
    expect(readFile[gemini ? 'parametersJsonSchema' : 'parameters']).toMatchObject({
      required: ['path'],
    });
  });

  it('sends results back paired with their calls, which the fixture checks as the API does', async () => {
    const conversation: ChatMessage[] = [
      ask,
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          {
            id: 'c1',
            name: 'search',
            arguments: gemini ? { pattern: 'x' } : '{"pattern":"x"}',
            signature: 'sig-1',
          },
          { id: 'c2', name: 'list_files', arguments: gemini ? {} : '{}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', toolName: 'search', content: 'src/a.ts:1: x' },
      { role: 'tool', toolCallId: 'c2', toolName: 'list_files', content: 'src/a.ts' },
    ];
    const result = await make().generate(request(conversation), CALL);
    expect(result.text).toBe('ok');
    const seen = fixtureNow().requests[0]!;
    expect(seen.problems).toBeUndefined();
    if (gemini) {
      const contents = seen.body.contents as { role: string; parts: Record<string, unknown>[] }[];
      expect(contents.map((content) => content.role)).toEqual(['user', 'model', 'user']);
      expect(contents[1]!.parts[0]).toMatchObject({ thoughtSignature: 'sig-1' });
      expect(contents[2]!.parts.map((part) => (part.functionResponse as { name: string }).name)).toEqual([
        'search',
        'list_files',
      ]);
    } else {
      const messages = seen.body.messages as { role: string; tool_call_id?: string }[];
      expect(messages.map((message) => message.role)).toEqual([
        'system',
        'user',
        'assistant',
        'tool',
        'tool',
      ]);
      expect(messages.slice(3).map((message) => message.tool_call_id)).toEqual(['c1', 'c2']);
    }
  });

  it('is refused by the fixture, as by the API, when a result is not paired with its call', async () => {
    const conversation: ChatMessage[] = [
      ask,
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'search', arguments: {} }] },
      { role: 'tool', toolCallId: 'other', toolName: 'read_file', content: 'x' },
    ];
    await expect(make().generate(request(conversation), CALL)).rejects.toThrow(/HTTP 400/);
    expect(fixtureNow().requests[0]!.problems?.length).toBeGreaterThan(0);
  });

  it.each([false, true])(
    'reports an answer cut by the output limit as length, streamed %s',
    async (stream) => {
      fixtureNow().enqueue({ kind: 'answer', text: '```ts:src/a.ts\nexport const a = ', finish: 'length' });
      const result = await make().generate(request([ask], { stream }), CALL);
      expect(result.finishReason).toBe('length');
    },
  );

  it('passes 100 calls of one answer through, in order', async () => {
    const calls = Array.from({ length: 100 }, (_, index) => ({
      name: 'read_file',
      arguments: { path: `src/f${index}.ts` },
      id: `c${index}`,
    }));
    fixtureNow().enqueue({ kind: 'tools', calls });
    const result = await make().generate(request([ask], { stream: true }), CALL);
    expect(result.toolCalls).toHaveLength(100);
    expect(result.toolCalls![99]!.id).toBe('c99');
  });
});

describe('OpenAI arguments that are not JSON', () => {
  it('reach the caller as the raw text, for the tools to refuse', async () => {
    fixtureNow().enqueue({
      kind: 'tools',
      calls: [{ name: 'read_file', arguments: '{"path": "src/a.ts"', id: 'bad' }],
    });
    const provider = createProvider('openai', {
      env: { ...KEYS, OPENAI_BASE_URL: fixtureNow().openaiUrl },
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      limits: { concurrency: 1 },
    });
    const result = await provider.generate(request([ask], { stream: true }), CALL);
    expect(result.toolCalls).toEqual([{ id: 'bad', name: 'read_file', arguments: '{"path": "src/a.ts"' }]);
  });
});

describe('pairingProblems', () => {
  it('finds calls left unanswered before the next message', () => {
    const body = {
      messages: [
        { role: 'assistant', tool_calls: [{ id: 'a' }] },
        { role: 'user', content: 'next' },
      ],
    };
    expect(pairingProblems(body, false)).toEqual(['messages[1]: calls a have no tool message']);
  });

  it('finds Gemini calls answered under another name', () => {
    const body = {
      contents: [
        { role: 'model', parts: [{ functionCall: { name: 'search' } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'read_file' } }] },
      ],
    };
    expect(pairingProblems(body, true)).toHaveLength(2);
  });
});

describe('replay of a recorded session', () => {
  it('answers each turn with its recorded calls', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'replay-'));
    const entry = (turn: number, extra: object) => ({
      task_id: 't',
      role: 'coder',
      iteration: 1,
      turn,
      text: '',
      usage: { input: 1, output: 1 },
      ...extra,
    });
    await writeFile(
      join(dir, 't.json'),
      JSON.stringify({
        version: 1,
        entries: [
          entry(1, { tool_calls: [{ name: 'search', arguments: { pattern: 'x' } }] }),
          entry(2, { tool_calls: [{ name: 'finish', arguments: { summary: 'done' } }] }),
        ],
      }),
    );
    const replay = new ReplayProvider(dir);
    const base = request([ask]);
    const context = { taskId: 't', agent: 'a', role: 'coder' as const, iteration: 1 };
    const first = await replay.generate(base, context);
    expect(first.toolCalls?.map((call) => call.name)).toEqual(['search']);
    const second = await replay.generate(
      {
        ...base,
        messages: [ask, { role: 'assistant', content: '', toolCalls: first.toolCalls! }],
      },
      context,
    );
    expect(second.toolCalls?.map((call) => call.name)).toEqual(['finish']);
    expect(second.finishReason).toBe('tool_calls');
  });
});
