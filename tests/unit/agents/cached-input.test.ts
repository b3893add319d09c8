import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { agentCalls } from '../../fixtures/agent-calls.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';

/**
 * Cached input is billed at the provider's cached rate: a reply that says part of its input came
 * from the prompt cache costs less, by exactly the difference of the two rates, and a count no
 * server can have meant is priced as fresh input. Over the loopback fixture, with the real SDKs
 * parsing each provider's usage fields.
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
  root = await mkdtemp(join(tmpdir(), 'aifactory-cached-'));
  fixture.requests.length = 0;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const DAY = new Date('2026-11-25T12:00:00Z');
const gpt = defineAgent({ name: 'gpt', role: 'coder', provider: 'openai', model: 'gpt-5-mini' });
const gemini = defineAgent({
  name: 'gemini-pro',
  role: 'coder',
  provider: 'gemini',
  model: 'gemini-2.5-pro',
});
// 40,000 bytes of prompt: room for a reported input of 10,000 tokens under the bound.
const prompt = { messages: [{ role: 'user' as const, content: 'x'.repeat(40_000) }] };

// By hand, from the built-in prices (USD per million tokens), for 10,000 input tokens of which
// 8,000 cached, and 1,000 output tokens:
//   gpt-5-mini      in 0.25, cached 0.025, out 2:   fresh 0.0045, cached 0.0005 + 0.0002 + 0.002 = 0.0027
//   gemini-2.5-pro  in 1.25, cached 0.125, out 10:  fresh 0.0225, cached 0.0025 + 0.001 + 0.01   = 0.0135
const CASES = [
  ['openai', gpt, 0.0045, 0.0027],
  ['gemini', gemini, 0.0225, 0.0135],
] as const;

describe.each(CASES)('%s: cached input tokens', (_, agent, fresh, cached) => {
  it.each([false, true])('cost less by the hand-computed amount (streamed %s)', async (stream) => {
    const { call, ledger } = await agentCalls({ root, fixture, now: () => DAY });
    fixture.enqueue({ kind: 'answer', text: 'ok', usage: { input: 10_000, output: 1000 } });
    const full = await call(agent, { ...prompt, stream });
    fixture.enqueue({ kind: 'answer', text: 'ok', usage: { input: 10_000, output: 1000, cached: 8000 } });
    const discounted = await call(agent, { ...prompt, stream });
    expect(full.usage).toEqual({ inputTokens: 10_000, outputTokens: 1000, cachedInputTokens: 0 });
    expect(discounted.usage).toEqual({ inputTokens: 10_000, outputTokens: 1000, cachedInputTokens: 8000 });
    expect(full.costUsd).toBeCloseTo(fresh, 9);
    expect(discounted.costUsd).toBeCloseTo(cached, 9);
    expect(ledger.spentToday()).toBeCloseTo(fresh + cached, 9);
    expect(discounted.warnings).toEqual([]);
  });

  it.each([
    ['more than the input', 12_000],
    ['negative', -5],
    ['not a number', '8000'],
  ])('a cached count that is %s is refused: the input is priced whole, with a warning', async (_, count) => {
    const { call, events } = await agentCalls({ root, fixture, now: () => DAY });
    fixture.enqueue({ kind: 'answer', text: 'ok', usage: { input: 10_000, output: 1000, cached: count } });
    const answer = await call(agent, prompt);
    expect(answer.usage.cachedInputTokens).toBe(0);
    expect(answer.costUsd).toBeCloseTo(fresh, 9);
    expect(answer.warnings).toEqual([expect.stringContaining('none are priced as cached')]);
    expect(events).toEqual([expect.stringContaining('none are priced as cached')]);
  });

  it('cached tokens beside an input count past the bound are capped at the input charged', async () => {
    const { call } = await agentCalls({ root, fixture, now: () => DAY });
    fixture.enqueue({ kind: 'answer', text: 'ok', usage: { input: 1e9, output: 1000, cached: 1e9 } });
    const answer = await call(agent, prompt);
    expect(answer.usage.cachedInputTokens).toBe(answer.usage.inputTokens);
    expect(answer.warnings).toEqual([expect.stringContaining('more than can be billed')]);
  });
});

describe('the cached rate of a configured price', () => {
  it('is the input rate when the price names none, so nothing is discounted by guess', async () => {
    const config = { prices: { 'gpt-5-mini': { input_per_mtok: 1, output_per_mtok: 0 } } };
    const { call } = await agentCalls({ root, fixture, now: () => DAY, config });
    fixture.enqueue({ kind: 'answer', text: 'ok', usage: { input: 10_000, output: 10, cached: 8000 } });
    expect((await call(gpt, prompt)).costUsd).toBeCloseTo(0.01, 9);
  });

  it('above the input rate is held to the input rate: a call never costs more than it reserved', async () => {
    const price = { input_per_mtok: 1, output_per_mtok: 0, cached_input_per_mtok: 50 };
    const { call } = await agentCalls({
      root,
      fixture,
      now: () => DAY,
      config: { prices: { 'gpt-5-mini': price } },
    });
    fixture.enqueue({ kind: 'answer', text: 'ok', usage: { input: 10_000, output: 10, cached: 8000 } });
    expect((await call(gpt, prompt)).costUsd).toBeCloseTo(0.01, 9);
  });
});
