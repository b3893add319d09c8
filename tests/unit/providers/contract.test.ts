import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { VerdictSchema } from '../../../scripts/core/record/verdict.ts';
import { describeCallEvent } from '../../../scripts/providers/events.ts';
import { createProvider, createProviderClient } from '../../../scripts/providers/index.ts';
import { structuredOutput } from '../../../scripts/providers/structured.ts';
import type { CallEvent, CallOptions, GenerateRequest } from '../../../scripts/providers/types.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';

let fixture: LlmFixture;
beforeAll(async () => {
  fixture = await startLlmFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(() => {
  fixture.requests.length = 0;
  fixture.fallback = () => ({ kind: 'answer', text: 'ok' });
});

const RETRY = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 };
// Every try takes a turn under the limits; this suite makes more tries than a real minute allows.
const LIMITS = { concurrency: 4, requestsPerMinute: 10_000 };
const KEYS = {
  OPENAI_API_KEY: 'sk-test-openai-0000',
  XAI_API_KEY: 'xai-test-0000',
  GEMINI_API_KEY: 'gm-test-0000',
};

/** Each provider, pointed at the loopback fixture through its documented environment variable. */
const PROVIDERS = [
  { id: 'openai', env: () => ({ ...KEYS, OPENAI_BASE_URL: fixture.openaiUrl }), keyHeader: 'authorization' },
  { id: 'xai', env: () => ({ ...KEYS, XAI_BASE_URL: fixture.openaiUrl }), keyHeader: 'authorization' },
  { id: 'local', env: () => ({ LOCAL_BASE_URL: fixture.openaiUrl }), keyHeader: 'authorization' },
  { id: 'gemini', env: () => ({ ...KEYS, GEMINI_BASE_URL: fixture.geminiUrl }), keyHeader: 'x-goog-api-key' },
] as const;

const request = (extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  model: 'model-under-test',
  system: 'You are a test.',
  messages: [{ role: 'user', content: 'Say ok.' }],
  ...extra,
});
const CALL: CallOptions = { context: { taskId: 'contract', agent: 'tester', role: 'coder', iteration: 1 } };

const verdict = JSON.stringify({ verdict: 'approve', summary: 'fine', comments: [] });

async function failure(
  provider: { generate(request: GenerateRequest, call: CallOptions): Promise<unknown> },
  extra: Partial<GenerateRequest> = {},
  call: CallOptions = CALL,
): Promise<FactoryError> {
  const error = await provider.generate(request(extra), call).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(FactoryError);
  return error as FactoryError;
}

describe.each(PROVIDERS)('provider $id through its SDK', ({ id, env, keyHeader }) => {
  const make = (timeoutMs = 5000) =>
    createProvider(id, { env: env(), retry: RETRY, timeoutMs, agent: 'tester', limits: LIMITS });

  it('answers with text, normalised usage, the model and a finish reason', async () => {
    fixture.enqueue({
      kind: 'answer',
      text: 'hello',
      usage: { input: 42, output: 9 },
      model: 'served-model',
    });
    const result = await make().generate(request(), CALL);
    expect(result).toMatchObject({
      text: 'hello',
      usage: { inputTokens: 42, outputTokens: 9 },
      finishReason: 'stop',
    });
    expect(result.model).toBe('served-model');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(fixture.requests[0]?.headers[keyHeader]).toBeDefined();
    expect(JSON.stringify(fixture.requests[0]?.body)).toContain('You are a test.');
  });

  it('streams an answer over server-sent events, with the same text, usage and model', async () => {
    const text = 'A long answer, read as a stream of small events.\n```ts:src/x.ts\nexport {};\n```\n';
    fixture.enqueue({ kind: 'answer', text, usage: { input: 30, output: 21 }, model: 'stream-model' });
    const result = await make().generate(request({ stream: true }), CALL);
    expect(result).toMatchObject({
      text,
      usage: { inputTokens: 30, outputTokens: 21 },
      model: 'stream-model',
    });
    expect(result.finishReason).toBe('stop');
    expect(fixture.requests[0]?.streaming).toBe(true);
  });

  it('retries a stream that drops halfway, and classifies a stream that keeps dropping as network', async () => {
    fixture.enqueue({ kind: 'truncated', text: 'cut short, cut short' }, { kind: 'answer', text: 'whole' });
    expect((await make().generate(request({ stream: true }), CALL)).text).toBe('whole');
    expect(fixture.requests).toHaveLength(2);
    fixture.requests.length = 0;
    fixture.fallback = () => ({ kind: 'truncated', text: 'cut short, cut short' });
    expect((await failure(make(), { stream: true })).errorClass).toBe('network');
    expect(fixture.requests).toHaveLength(3);
  });

  it('asks for structured output natively and returns the validated value', async () => {
    fixture.enqueue({ kind: 'answer', text: verdict });
    const result = await make().generate(
      request({ schema: structuredOutput('verdict', VerdictSchema) }),
      CALL,
    );
    expect(result.json).toEqual({ verdict: 'approve', summary: 'fine', comments: [] });
    const body = JSON.stringify(fixture.requests[0]?.body);
    expect(body).toContain(id === 'gemini' ? 'responseJsonSchema' : 'json_schema');
  });

  it('repairs invalid structured output once, then gives up with bad_output', async () => {
    fixture.enqueue({ kind: 'answer', text: '{"verdict": "lgtm"}' }, { kind: 'answer', text: verdict });
    const repaired = await make().generate(
      request({ schema: structuredOutput('verdict', VerdictSchema) }),
      CALL,
    );
    expect(repaired.json).toMatchObject({ verdict: 'approve' });
    expect(repaired.usage.inputTokens).toBe(22);
    expect(JSON.stringify(fixture.requests[1]?.body)).toContain('does not match the required JSON schema');
    fixture.enqueue({ kind: 'answer', text: 'not json' }, { kind: 'answer', text: '{}' });
    const error = await failure(make(), { schema: structuredOutput('verdict', VerdictSchema) });
    expect(error.errorClass).toBe('bad_output');
    expect(fixture.requests).toHaveLength(4);
  });

  it('retries a 429 after its retry-after, then succeeds', async () => {
    fixture.enqueue(
      { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
      { kind: 'answer', text: 'late' },
    );
    expect((await make().generate(request(), CALL)).text).toBe('late');
    expect(fixture.requests).toHaveLength(2);
  });

  it('classifies a 429 storm as rate_limit after the retries', async () => {
    fixture.fallback = () => ({ kind: 'status', status: 429, headers: { 'retry-after': '0' } });
    expect((await failure(make())).errorClass).toBe('rate_limit');
    expect(fixture.requests).toHaveLength(3);
  });

  it('retries 500 and 503 and classifies them as server', async () => {
    fixture.enqueue(
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    );
    expect((await failure(make())).errorClass).toBe('server');
    expect(fixture.requests).toHaveLength(3);
  });

  it('never retries 401, 403 or 400', async () => {
    for (const [status, errorClass] of [
      [401, 'auth'],
      [403, 'auth'],
      [400, 'config'],
    ] as const) {
      fixture.requests.length = 0;
      fixture.enqueue({ kind: 'status', status });
      expect((await failure(make())).errorClass).toBe(errorClass);
      expect(fixture.requests).toHaveLength(1);
    }
  });

  it('times out a hanging call, retrying it, and classifies it as timeout', async () => {
    fixture.fallback = () => ({ kind: 'hang' });
    expect((await failure(make(200))).errorClass).toBe('timeout');
    expect(fixture.requests).toHaveLength(3);
  });

  it('retries a dropped connection and classifies it as network', async () => {
    fixture.enqueue({ kind: 'reset' }, { kind: 'answer', text: 'back' });
    expect((await make().generate(request(), CALL)).text).toBe('back');
    fixture.fallback = () => ({ kind: 'reset' });
    expect((await failure(make())).errorClass).toBe('network');
  });

  it('classifies a malformed body without retrying it forever', async () => {
    fixture.fallback = () => ({ kind: 'malformed' });
    const error = await failure(make());
    expect(['bad_output', 'network']).toContain(error.errorClass);
    expect(fixture.requests.length).toBeLessThanOrEqual(3);
  });

  it('as a bare client makes exactly one request: no retry and no repair, usage as reported', async () => {
    const { provider } = createProviderClient(id, { env: env(), timeoutMs: 5000 });
    fixture.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '0' } });
    const bare = { generate: (asked: GenerateRequest) => provider.generate(asked, CALL.context) };
    expect((await failure(bare)).errorClass).toBe('rate_limit');
    fixture.enqueue({ kind: 'answer', text: 'not json', usage: { input: -3, output: null } });
    const reply = await provider.generate(
      request({ schema: structuredOutput('verdict', VerdictSchema) }),
      CALL.context,
    );
    expect(reply).toMatchObject({ text: 'not json', usage: { inputTokens: -3, outputTokens: null } });
    expect(fixture.requests).toHaveLength(2);
  });

  it('stops when the caller cancels', async () => {
    const controller = new AbortController();
    // Cancelled once the server holds the request, however long it took to get there.
    fixture.fallback = () => {
      setTimeout(() => controller.abort(), 20);
      return { kind: 'hang' };
    };
    const error = await failure(make(), { signal: controller.signal });
    expect(error.errorClass).toBe('timeout');
    expect(fixture.requests).toHaveLength(1);
  });
});

/** A loopback port nothing listens on: a connection to it is refused. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.each([
  { id: 'openai', variable: 'OPENAI_BASE_URL', path: '/v1' },
  { id: 'xai', variable: 'XAI_BASE_URL', path: '/v1' },
  { id: 'gemini', variable: 'GEMINI_BASE_URL', path: '' },
] as const)('provider $id out of reach', ({ id, variable, path }) => {
  it('names the base URL it tried and the variable that sets it, never the key', async () => {
    const url = `http://127.0.0.1:${await closedPort()}${path}`;
    const events: CallEvent[] = [];
    const provider = createProvider(id, {
      env: { ...KEYS, [variable]: url },
      retry: RETRY,
      timeoutMs: 5000,
      agent: 'tester',
      limits: LIMITS,
    });
    const error = await failure(provider, {}, { ...CALL, onEvent: (event) => events.push(event) });
    expect(error.errorClass).toBe('network');
    expect(error.message).toContain(`endpoint ${url} (${variable})`);
    const retries = events.map(describeCallEvent);
    expect(retries).toHaveLength(RETRY.maxRetries);
    for (const line of retries) expect(line).toContain(`lost the connection to ${url}`);
    for (const text of [error.message, ...retries])
      for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  });

  it('shows a base URL without the user, password or query it holds', async () => {
    const port = await closedPort();
    const provider = createProvider(id, {
      env: { ...KEYS, [variable]: `http://me:hunter2@127.0.0.1:${port}${path}?key=zzz` }, // aifactory:allow-secret
      retry: { ...RETRY, maxRetries: 0 },
      timeoutMs: 5000,
      limits: LIMITS,
    });
    const error = await failure(provider);
    expect(error.message).toContain(`endpoint http://127.0.0.1:${port}${path} (${variable})`);
    expect(error.message).not.toMatch(/hunter2|zzz|me:/);
  });
});

describe('keys', () => {
  it('a missing key is an early auth error naming the variable and the agent', () => {
    expect(() => createProvider('openai', { env: {}, agent: 'gpt' })).toThrow(
      'agent "gpt" (provider openai) needs OPENAI_API_KEY',
    );
    expect(() => createProvider('xai', { env: {} })).toThrow('XAI_API_KEY');
    expect(() => createProvider('gemini', { env: {} })).toThrow('GEMINI_API_KEY');
    expect(() => createProvider('local', { env: {} })).not.toThrow();
  });
});
