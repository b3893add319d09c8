import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallLayer } from '../../../scripts/providers/call-layer.ts';
import { createProviderClient, limitsOf } from '../../../scripts/providers/index.ts';
import { Limiter, type Limits } from '../../../scripts/providers/limiter.ts';
import { parseResetMs, serverLimits } from '../../../scripts/providers/rate-headers.ts';
import type {
  CallContext,
  CallOptions,
  GenerateRequest,
  ProviderRequest,
} from '../../../scripts/providers/types.ts';
import { busiest, fakeClock as makeFakeClock } from '../../fixtures/fake-clock.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';

/** HTTP calls on the wire now. */
let onTheWire = 0;
const fakeClock = () => makeFakeClock(() => onTheWire > 0);

const request = (n: number): GenerateRequest => ({
  model: 'gpt-5',
  system: 'You write code.',
  messages: [{ role: 'user', content: `call ${n}` }],
});
const callOf = (n: number): CallOptions => ({
  context: { taskId: `t${n}`, agent: 'gpt', role: 'coder', iteration: 1 },
});

let fixture: LlmFixture;
const arrivals: number[] = [];
let clock: ReturnType<typeof fakeClock>;

beforeAll(async () => {
  fixture = await startLlmFixture();
  fixture.fallback = () => ({ kind: 'answer', text: 'ok', usage: { input: 11, output: 7 } });
});
afterAll(() => fixture.close());

/** `calls` calls through the call layer with no retries (a 429 fails the call), on `limits` and the fake clock. */
async function drive(limits: Limits, calls: number): Promise<{ failed: number; elapsedMs: number }> {
  arrivals.length = 0;
  const { provider } = createProviderClient('openai', {
    env: { OPENAI_API_KEY: 'sk-test-limits', OPENAI_BASE_URL: fixture.openaiUrl },
    timeoutMs: 5000,
  });
  // The time each call leaves the limiter: a sleeping call may move the fake clock while
  // another is on the wire, so the fixture's arrival times would run late.
  const counted = {
    id: provider.id,
    generate: async (call: ProviderRequest, context: CallContext) => {
      arrivals.push(clock.now());
      onTheWire += 1;
      try {
        return await provider.generate(call, context);
      } finally {
        onTheWire -= 1;
      }
    },
  };
  const layer = new CallLayer(counted, {
    retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
    limiter: new Limiter(limits, clock),
    idleTimeoutMs: 5000,
  });
  const results = await Promise.allSettled(
    Array.from({ length: calls }, (_, n) => layer.generate(request(n), callOf(n))),
  );
  return {
    failed: results.filter((result) => result.status === 'rejected').length,
    elapsedMs: clock.now() - clock.start,
  };
}

describe('adaptive limits from the x-ratelimit headers', () => {
  it("holds the server's request budget without a single 429", async () => {
    clock = fakeClock();
    fixture.limitWith({ requests: 10, windowMs: 60_000, now: () => clock.now() });
    // No limit of the factory's own: only the headers can keep these 40 calls under 10 a minute.
    const { failed, elapsedMs } = await drive({ concurrency: 4 }, 40);
    fixture.limitWith(undefined);
    expect(failed).toBe(0);
    expect(fixture.rateLimited()).toBe(0);
    expect(arrivals).toHaveLength(40);
    // 40 calls at 10 a window need three resets; holding back needlessly would need more.
    expect(elapsedMs).toBeGreaterThanOrEqual(3 * 60_000);
    expect(elapsedMs).toBeLessThan(5 * 60_000);
  });

  it("holds the server's token budget, counting output as the answers report it", async () => {
    clock = fakeClock();
    // Each answer reports 18 tokens, so five fit a window of 100.
    fixture.limitWith({ tokens: 100, windowMs: 60_000, now: () => clock.now() });
    const { failed } = await drive({ concurrency: 1 }, 15);
    fixture.limitWith(undefined);
    expect(failed).toBe(0);
    expect(fixture.rateLimited()).toBe(0);
    expect(arrivals).toHaveLength(15);
  });

  it('without the adaptive limits the same load meets 429s (the fixture enforces its budget)', async () => {
    clock = fakeClock();
    fixture.limitWith({ requests: 10, windowMs: 60_000, now: () => clock.now() });
    const before = fixture.rateLimited();
    const limiter = new Limiter({ concurrency: 4 }, clock);
    // Settling nothing is what a limiter blind to the headers does.
    let refusedHere = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.run(async () => {
          const response = await fetch(`${fixture.openaiUrl}/chat/completions`, {
            method: 'POST',
            body: JSON.stringify({ model: 'gpt-5', messages: [] }),
          });
          await response.text();
          if (response.status === 429) refusedHere += 1;
        }),
      ),
    );
    fixture.limitWith(undefined);
    expect(refusedHere).toBe(10);
    expect(fixture.rateLimited() - before).toBe(10);
  });
});

describe('configured limits', () => {
  it('starts no more calls in any minute than requests_per_minute, and uses the whole of it', async () => {
    clock = fakeClock();
    const { failed, elapsedMs } = await drive({ concurrency: 8, requestsPerMinute: 30 }, 90);
    expect(failed).toBe(0);
    expect(busiest(arrivals, 60_000)).toBe(30);
    // 90 calls at 30 a minute: the third batch starts two minutes after the first, not later.
    expect(elapsedMs).toBeGreaterThanOrEqual(120_000);
    expect(elapsedMs).toBeLessThan(121_000);
  });

  it('spends no more tokens in any minute than tokens_per_minute', async () => {
    clock = fakeClock();
    // Each answer reports 18 tokens; 100 a minute fit five calls.
    const { failed } = await drive({ concurrency: 2, tokensPerMinute: 100 }, 12);
    expect(failed).toBe(0);
    expect(busiest(arrivals, 60_000)).toBeLessThanOrEqual(6);
    expect(clock.now() - clock.start).toBeGreaterThanOrEqual(120_000);
  });

  it("fills a provider's defaults with the config's providers entry", () => {
    expect(limitsOf('openai')).toEqual({ concurrency: 8, requestsPerMinute: 500 });
    expect(limitsOf('local')).toEqual({ concurrency: 4 });
    expect(limitsOf('gemini', { gemini: { requests_per_minute: 5, tokens_per_minute: 250_000 } })).toEqual({
      concurrency: 4,
      requestsPerMinute: 5,
      tokensPerMinute: 250_000,
    });
  });

  it('gives up waiting for a slot or a rate when the call is aborted', async () => {
    clock = fakeClock();
    const limiter = new Limiter(
      { concurrency: 1, requestsPerMinute: 1 },
      {
        now: () => clock.now(),
        sleep: (_ms, signal) =>
          new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
      },
    );
    await limiter.run(async () => undefined);
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'ran', controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});

describe('rate-limit headers', () => {
  it('reads the reset durations OpenAI-compatible servers send', () => {
    expect(parseResetMs('1s')).toBe(1000);
    expect(parseResetMs('6m0s')).toBe(360_000);
    expect(parseResetMs('59.5s')).toBe(59_500);
    expect(parseResetMs('20ms')).toBe(20);
    expect(parseResetMs('1h2m3s')).toBe(3_723_000);
    expect(parseResetMs('2')).toBe(2000);
    expect(parseResetMs('soon')).toBeUndefined();
    expect(parseResetMs('')).toBeUndefined();
    expect(parseResetMs(null)).toBeUndefined();
  });

  it('takes a budget only when both its remaining count and its reset are well formed', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-remaining-tokens': '-5',
      'x-ratelimit-reset-tokens': '1s',
    });
    expect(serverLimits(headers)).toEqual({ requests: { limit: 500, remaining: 499, resetMs: 120 } });
    expect(serverLimits(new Headers({ 'x-ratelimit-remaining-tokens': '10' }))).toBeUndefined();
    expect(serverLimits(undefined)).toBeUndefined();
  });
});
