import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import type { FactoryError } from '../../../scripts/core/errors.ts';
import { VerdictSchema } from '../../../scripts/core/record/verdict.ts';
import { callTimeouts, createProvider } from '../../../scripts/providers/index.ts';
import type { CallOptions, GenerateRequest } from '../../../scripts/providers/types.ts';

import { agentCalls, type CallSetup, failure, TEST_KEYS, TEST_LIMITS } from '../../fixtures/agent-calls.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';

const CALL: CallOptions = { context: { taskId: 'adv', agent: 'gpt', role: 'coder', iteration: 1 } };

/**
 * A model server is hostile input: it may stall, drip forever, never answer, report any usage and
 * any model name. Each case pins the safe outcome. The idle timeout and the call deadline run on a
 * faked clock, moved on only once the server holds the request; no case asserts how fast the machine
 * is, only which limit ended the call.
 */
let fixture: LlmFixture;
let root: string;
beforeAll(async () => {
  fixture = await startLlmFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-adversarial-'));
  fixture.requests.length = 0;
  fixture.fallback = () => ({ kind: 'answer', text: 'ok', usage: { input: 1000, output: 1000 } });
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(root, { recursive: true, force: true });
});

/**
 * Fakes the clock of the idle timeout and the call deadline (`setTimeout`), and only that: sockets,
 * the fixture's drip and the retry pauses keep real time, so a case spends no real idle time.
 */
function fakeLimitClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
}

/** Once `reached()` holds (real I/O runs meanwhile), moves the faked clock on by `ms`. */
async function passTime(ms: number, reached: () => boolean): Promise<void> {
  while (!reached()) await new Promise((resolve) => setImmediate(resolve));
  await vi.advanceTimersByTimeAsync(ms);
}

const DAY = new Date('2026-11-25T12:00:00Z');
const LIMITS = TEST_LIMITS;
const KEYS = TEST_KEYS;
const gpt = defineAgent({ name: 'gpt', role: 'coder', provider: 'openai', model: 'gpt-5-mini' });
const gemini = defineAgent({
  name: 'gemini-pro',
  role: 'coder',
  provider: 'gemini',
  model: 'gemini-2.5-pro',
});
const harness = (setup: Omit<CallSetup, 'root' | 'fixture' | 'now'> = {}) =>
  agentCalls({ ...setup, root, fixture, now: () => DAY });

describe('a server that stalls, drips or never answers', () => {
  it.each([
    ['openai', gpt, 'openai gpt-5-mini'],
    ['gemini', gemini, 'gemini gemini-2.5-pro'],
  ] as const)(
    '%s: a stream that stalls after its headers ends at the idle timeout, retried once',
    async (_, agent, where) => {
      fixture.fallback = () => ({ kind: 'stall' });
      const { call } = await harness({ idleTimeoutMs: 1000 });
      fakeLimitClock();
      const pending = failure(call(agent, { stream: true }));
      await passTime(1000, () => fixture.requests.length >= 1);
      await passTime(1000, () => fixture.requests.length >= 2);
      const error = await pending;
      expect(error.errorClass).toBe('timeout');
      expect(error.message).toContain(
        `${where}: nothing arrived for 1 s (the idle timeout, AIFACTORY_IDLE_TIMEOUT_MS)`,
      );
      expect(fixture.requests).toHaveLength(2);
    },
  );

  it.each([
    ['openai', gpt, 'openai/gpt-5-mini'],
    ['gemini', gemini, 'gemini/gemini-2.5-pro'],
  ] as const)(
    '%s: a stream that drips a chunk at a time forever is cut by the call deadline',
    async (_, agent, model) => {
      fixture.fallback = () => ({ kind: 'drip', intervalMs: 100 });
      const { call } = await harness({ idleTimeoutMs: 10_000, deadlineMs: 1500 });
      fakeLimitClock();
      const pending = failure(call(agent, { stream: true }));
      await passTime(1500, () => fixture.requests.length >= 1);
      const error = await pending;
      expect(error.errorClass).toBe('timeout');
      expect(error.message).toContain(
        `${agent.name}: the call deadline of 1.5 s (AIFACTORY_CALL_DEADLINE_MS) passed while ${model} was answering`,
      );
      expect(fixture.requests).toHaveLength(1);
    },
  );

  it.each([
    ['openai', gpt, { openai: 'openai' }, 'openai gpt-5-mini'],
    ['gemini', gemini, { gemini: 'gemini' }, 'gemini gemini-2.5-pro'],
  ] as const)(
    '%s: a listener that accepts and never answers ends at the idle timeout',
    async (_, agent, which, where) => {
      const before = fixture.silent.requests();
      const urls =
        'openai' in which ? { openai: fixture.silent.openaiUrl } : { gemini: fixture.silent.geminiUrl };
      const { call } = await harness({ idleTimeoutMs: 1000, urls });
      fakeLimitClock();
      const pending = failure(call(agent));
      await passTime(1000, () => fixture.silent.requests() - before >= 1);
      await passTime(1000, () => fixture.silent.requests() - before >= 2);
      const error = await pending;
      expect(error.errorClass).toBe('timeout');
      expect(error.message).toContain(`${where}: nothing arrived for 1 s (the idle timeout`);
      expect(fixture.silent.requests() - before).toBe(2);
    },
  );

  it('one deadline covers the retries and the fallbacks: a silent fallback after a 503 storm', async () => {
    fixture.fallback = () => ({ kind: 'status', status: 503 });
    const agent = { ...gpt, fallbacks: [{ provider: 'gemini' as const, model: 'gemini-2.5-flash' }] };
    const { call, events } = await harness({ deadlineMs: 4000, urls: { gemini: fixture.silent.geminiUrl } });
    const before = fixture.silent.requests();
    fakeLimitClock();
    const pending = failure(call(agent));
    await passTime(4000, () => fixture.silent.requests() - before >= 1);
    const error = await pending;
    expect(error.errorClass).toBe('timeout');
    expect(error.message).toContain('the call deadline of 4 s (AIFACTORY_CALL_DEADLINE_MS) passed');
    expect(error.message).toContain(
      'while gemini/gemini-2.5-flash was answering (tried openai/gpt-5-mini: server; gemini/gemini-2.5-flash: timeout)',
    );
    expect(events).toEqual([
      'gpt: openai/gpt-5-mini had a server error (HTTP 503); retry 1 of 1 in 0.0 s',
      'gpt: switching to fallback gemini/gemini-2.5-flash after openai/gpt-5-mini had a server error (HTTP 503)',
    ]);
  });

  it('a Gemini stream that keeps talking past the request timeout is read to its end, not cut and paid again', async () => {
    fixture.fallback = () => ({ kind: 'drip', intervalMs: 50, chunks: 6 });
    const { ledger } = await harness();
    const client = createProvider('gemini', {
      env: { ...KEYS, GEMINI_BASE_URL: fixture.geminiUrl },
      timeoutMs: 100,
      idleTimeoutMs: 5000,
      limits: LIMITS,
    });
    const result = await client.generate(
      {
        model: 'gemini-2.5-pro',
        system: 'sys',
        messages: [{ role: 'user', content: 'go' }],
        stream: true,
      },
      { context: { taskId: 'adv', agent: 'gemini-pro', role: 'coder', iteration: 1 } },
    );
    expect(result.text).toBe('d0d1d2d3d4d5.');
    expect(fixture.requests).toHaveLength(1);
    expect(ledger.warnings).toEqual([]);
  });
});

describe('the maximum output size', () => {
  it.each([
    ['openai', 'max_completion_tokens', 'max_tokens'],
    ['xai', 'max_completion_tokens', 'max_tokens'],
    ['local', 'max_tokens', 'max_completion_tokens'],
  ] as const)('%s puts the role ceiling on the wire as %s', async (provider, field, other) => {
    const { call } = await harness();
    await call(defineAgent({ name: 'w', role: 'coder', provider, model: 'gpt-5-mini' }));
    expect(fixture.requests[0]?.body[field]).toBe(16_384);
    expect(fixture.requests[0]?.body).not.toHaveProperty(other);
  });

  it('gemini puts it in generationConfig.maxOutputTokens (a reviewer gets 8,192)', async () => {
    fixture.fallback = () => ({
      kind: 'answer',
      text: JSON.stringify({ verdict: 'approve', summary: 'ok', comments: [] }),
    });
    const { call } = await harness();
    await call(gemini, {
      schema: { name: 'verdict', zod: VerdictSchema },
      context: { taskId: 'adv', agent: 'gemini-pro', role: 'reviewer', iteration: 1 },
    });
    expect(fixture.requests[0]?.body.generationConfig).toMatchObject({ maxOutputTokens: 8192 });
  });

  it('asks for no more tokens than the tightest cap can still pay for', async () => {
    const prices = { 'gpt-5-mini': { input_per_mtok: 0, output_per_mtok: 1000 } };
    const { call } = await harness({ config: { prices, caps: { per_task_usd: 2.5, daily_usd: 100 } } });
    await call(gpt);
    expect(fixture.requests[0]?.body.max_completion_tokens).toBe(2500);
  });

  it('makes no call when not even a minimal answer is affordable (a budget error pauses the task)', async () => {
    const prices = { 'gpt-5-mini': { input_per_mtok: 0, output_per_mtok: 1000 } };
    const { call } = await harness({ config: { prices, caps: { per_task_usd: 0.5 } } });
    const error = await failure(call(gpt));
    expect(error.errorClass).toBe('budget');
    expect(error.message).toContain('the per-task cap of adv ($0.5) would be passed');
    expect(error.message).toContain('a minimal answer of 1024 tokens from openai/gpt-5-mini');
    expect(fixture.requests).toHaveLength(0);
  });
});

describe('what a server reports', () => {
  it.each([
    ['a dated name', 'gpt-5-mini-2025-08-07'],
    ['an arbitrary name', 'free-model'],
  ])('%s does not change the price: the requested model is charged', async (_, reported) => {
    fixture.fallback = () => ({
      kind: 'answer',
      text: 'ok',
      model: reported,
      usage: { input: 1000, output: 1000 },
    });
    const { call, ledger, warnings } = await harness();
    const answer = await call(gpt);
    expect(answer.model).toBe(reported);
    expect(answer.costUsd).toBe(0.00225); // 1,000 × $0.25/M + 1,000 × $2/M
    expect(ledger.spentToday()).toBe(0.00225);
    expect(warnings).toEqual([]);
  });

  it('a requested dated snapshot is priced as its base model', async () => {
    const { call, warnings } = await harness();
    const answer = await call({ ...gpt, model: 'gpt-5-mini-2025-08-07' });
    expect(answer.costUsd).toBe(0.00225);
    expect(warnings).toEqual([]);
  });

  it.each(['mystery-model', 'toString', 'constructor'])(
    'an unpriced model (%s) costs the highest built-in price, with one warning per run',
    async (model) => {
      const { call, warnings } = await harness();
      const first = await call({ ...gpt, model });
      await call({ ...gpt, model });
      expect(first.costUsd).toBe(0.01125); // 1,000 × $1.25/M + 1,000 × $10/M
      expect(warnings).toEqual([
        `no price for openai:${model}: it is charged at the highest built-in price ($1.25 in, $10 out per million tokens) so caps still hold; set prices: { 'openai:${model}': { input_per_mtok: …, output_per_mtok: … } } in aifactory.config.ts`,
      ]);
    },
  );

  it.each([
    // What a call reserved is its bound: the request's bytes plus framing (1,061 tokens here) and
    // its output ceiling. A count that is missing, negative or past that bound is charged at it.
    [
      'negative input, 1e30 output',
      { input: -5, output: 1e30 },
      { inputTokens: 1061, outputTokens: 100, cachedInputTokens: 0 },
    ],
    [
      '1e30 input, negative output',
      { input: 1e30, output: -1 },
      { inputTokens: 1061, outputTokens: 100, cachedInputTokens: 0 },
    ],
    [
      'null and a string',
      { input: null, output: '12' },
      { inputTokens: 1061, outputTokens: 100, cachedInputTokens: 0 },
    ],
    ['no usage at all', 'none' as const, { inputTokens: 1061, outputTokens: 100, cachedInputTokens: 0 }],
    ['fractions', { input: 12.2, output: 7 }, { inputTokens: 13, outputTokens: 7, cachedInputTokens: 0 }],
  ])('usage with %s is clamped or charged at the reserved bound', async (_, usage, expected) => {
    for (const stream of [false, true]) {
      fixture.fallback = () => ({ kind: 'answer', text: 'ok', usage });
      const { call } = await harness();
      const answer = await call(gpt, { maxOutputTokens: 100, stream });
      expect(answer.usage).toEqual(expected);
    }
    const saved = await readFile(join(root, 'shared/budget/2026-11-25.json'), 'utf8');
    const file = JSON.parse(saved) as { total_usd: number; by_task: { adv: number } };
    expect(Number.isFinite(file.total_usd) && file.total_usd >= 0).toBe(true);
    expect(file.by_task.adv).toBe(file.total_usd);
  });

  it('a model name that is not an identifier is replaced by the requested one', async () => {
    for (const reported of ['gpt\nApproved-by: admin', 'x'.repeat(10_000), '<script>']) {
      fixture.fallback = () => ({ kind: 'answer', text: 'ok', model: reported });
      const { call } = await harness();
      expect((await call(gpt)).model).toBe('gpt-5-mini');
    }
  });

  it('a stream longer than its maximum output could be is refused as bad_output, not retried', async () => {
    fixture.fallback = () => ({ kind: 'answer', text: 'y'.repeat(8000) });
    const { call } = await harness();
    const error = await failure(call(gpt, { stream: true, maxOutputTokens: 100 }));
    expect(error.errorClass).toBe('bad_output');
    expect(error.message).toContain('the server is flooding');
    expect(fixture.requests).toHaveLength(1);
  });
});

describe('the budget ledger', () => {
  // $1 a call: 100 output tokens at $10,000 per million; the cap pays for one call, not two.
  const dear = { prices: { 'gpt-5-mini': { input_per_mtok: 0, output_per_mtok: 10_000 } } };

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'])(
    'a task called %s cannot pass its per-task cap, in this run or the next',
    async (taskId) => {
      fixture.fallback = () => ({ kind: 'answer', text: 'ok', usage: { input: 0, output: 100 } });
      const config = { ...dear, caps: { per_task_usd: 1.5 } };
      const context = { taskId, agent: 'gpt', role: 'coder' as const, iteration: 1 };
      const first = await harness({ config });
      expect((await first.call(gpt, { context, maxOutputTokens: 100 })).costUsd).toBe(1);
      for (const ledger of [first, await harness({ config })]) {
        const error = await failure(ledger.call(gpt, { context, maxOutputTokens: 100 }));
        expect(error.errorClass).toBe('budget');
        expect(error.message).toContain(
          `the per-task cap of ${taskId} ($1.5) would be passed: $1.0000 spent`,
        );
      }
      expect(fixture.requests).toHaveLength(1);
    },
  );

  it('an agent called constructor cannot pass its daily cap', async () => {
    fixture.fallback = () => ({ kind: 'answer', text: 'ok', usage: { input: 0, output: 100 } });
    const agent = { ...gpt, name: 'constructor', caps: { per_agent_daily_usd: 1.5 } };
    const { call } = await harness({ config: dear });
    await call(agent, { maxOutputTokens: 100 });
    const error = await failure(call(agent, { maxOutputTokens: 100 }));
    expect(error.message).toContain('the daily cap of agent constructor ($1.5) would be passed');
  });

  it('skips forged or damaged day files with a warning naming each, and goes on', async () => {
    const dir = join(root, 'shared/budget');
    await mkdir(dir, { recursive: true });
    const day = (name: string, fields: Record<string, unknown> = {}) => ({
      version: 1,
      day: name,
      total_usd: 1,
      calls: 1,
      by_agent: { gpt: 1 },
      by_task: { adv: 1 },
      by_model: { 'openai:gpt-5-mini': 1 },
      ...fields,
    });
    const forged: Record<string, string> = {
      '2026-11-25.json': JSON.stringify(day('2026-11-24', { total_usd: 500, by_agent: { gpt: 500 } })),
      '2026-11-24.json': JSON.stringify(day('2026-11-24', { by_task: { adv: -1 } })),
      '2026-11-23.json': JSON.stringify(day('2026-11-23', { note: 'hi' })),
      '2026-11-22.json':
        '{"version":1,"day":"2026-11-22","total_usd":1,"calls":1,"by_agent":{"gpt":1},"by_task":{"__proto__":-1},"by_model":{"m:x":1}}',
      '2026-11-21.json': 'not json {',
      '2026-11-20.json':
        '{"version":1,"day":"2026-11-20","total_usd":1e400,"calls":1,"by_agent":{},"by_task":{},"by_model":{}}',
      '2026-11-19.json': JSON.stringify(day('2026-11-19', { total_usd: 900 })),
      '2026-11-18.json': JSON.stringify(
        day('2026-11-18', {
          total_usd: 0.5,
          by_agent: { gpt: 0.5 },
          by_task: { adv: 0.5 },
          by_model: { 'openai:gpt-5-mini': 0.5 },
        }),
      ),
    };
    for (const [name, text] of Object.entries(forged)) await writeFile(join(dir, name), text);
    const { call, ledger, warnings } = await harness({
      config: { caps: { per_task_usd: 0.5005 } },
    });
    expect(warnings.map((warning) => warning.split(' is skipped: ')[0])).toEqual(
      Object.keys(forged)
        .sort()
        .slice(1)
        .map((name) => `shared/budget/${name}`),
    );
    expect(warnings).toContain(
      'shared/budget/2026-11-25.json is skipped: its day "2026-11-24" is not its file name. Its spend does not count toward the caps; restore it from git history, or delete it',
    );
    expect(ledger.spentToday()).toBe(0);
    // The one good file still counts: $0.5 of task adv's $0.5005 cap is spent.
    const error = await failure(call(gpt));
    expect(error.message).toContain('the per-task cap of adv ($0.5005) would be passed: $0.5000 spent');
    await expect(
      call(gpt, { context: { taskId: 'other', agent: 'gpt', role: 'coder', iteration: 1 } }),
    ).resolves.toMatchObject({
      costUsd: 0.00225,
    });
  });
});

describe('retries', () => {
  it('hold no limiter slot while they wait on a back-off', async () => {
    // A limiter of one slot, of its own: this base URL is no other test's.
    const client = createProvider('openai', {
      env: { ...KEYS, OPENAI_BASE_URL: `${fixture.openaiUrl}/` },
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 30_000 },
      limits: { concurrency: 1, requestsPerMinute: 10_000 },
    });
    const request = (content: string, signal?: AbortSignal): GenerateRequest => ({
      model: 'gpt-5-mini',
      system: 'sys',
      messages: [{ role: 'user', content }],
      ...(signal ? { signal } : {}),
    });
    fixture.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '60' } });
    const stop = new AbortController();
    const waiting = client.generate(request('first', stop.signal), CALL).catch((error: unknown) => error);
    while (fixture.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // The first call now sleeps 60 s on its back-off; the second gets the only slot meanwhile.
    expect((await client.generate(request('second'), CALL)).text).toBe('ok');
    stop.abort();
    expect(((await waiting) as FactoryError).errorClass).toBe('rate_limit');
    expect(fixture.requests).toHaveLength(2);
  });

  it('a malformed time limit in the environment is a config error naming the variable', () => {
    expect(() => callTimeouts({ AIFACTORY_IDLE_TIMEOUT_MS: 'soon' })).toThrow(
      'AIFACTORY_IDLE_TIMEOUT_MS is "soon"; set a whole number of milliseconds of at least 1',
    );
    expect(callTimeouts({})).toEqual({ timeoutMs: 120_000, idleTimeoutMs: 60_000, deadlineMs: 600_000 });
  });
});
