/**
 * Rate-limit adherence: calls through the call layer to the loopback model over real HTTP, with
 * the limiter on a virtual clock (a minute of waiting takes no time; see tests/fixtures/fake-clock.ts),
 * so that many one-minute windows can be measured in a few seconds.
 */
import { CallLayer } from '../../scripts/providers/call-layer.ts';
import { createProviderClient } from '../../scripts/providers/index.ts';
import { Limiter, type Limits } from '../../scripts/providers/limiter.ts';
import type { CallOptions, GenerateRequest, Provider } from '../../scripts/providers/types.ts';
import { busiest, fakeClock } from '../fixtures/fake-clock.ts';
import { type FixtureRateLimit, startLlmFixture } from '../fixtures/llm-fixture.ts';
import type { Figure } from './report.ts';

const MINUTE = 60_000;

/** `calls` calls at `limits` (and the server's `serverLimit`); when each left the limiter, and the 429s. */
async function drive(
  limits: Limits,
  calls: number,
  serverLimit?: Omit<FixtureRateLimit, 'now'>,
): Promise<{ starts: number[]; refused: number; failed: number }> {
  const fixture = await startLlmFixture();
  let onTheWire = 0;
  const clock = fakeClock(() => onTheWire > 0);
  if (serverLimit) fixture.limitWith({ ...serverLimit, now: () => clock.now() });
  const starts: number[] = [];
  const { provider } = createProviderClient('openai', {
    env: { OPENAI_API_KEY: 'sk-bench-0000', OPENAI_BASE_URL: fixture.openaiUrl },
    timeoutMs: 10_000,
  });
  const counted: Provider = {
    id: provider.id,
    generate: async (request, context) => {
      starts.push(clock.now());
      onTheWire += 1;
      try {
        return await provider.generate(request, context);
      } finally {
        onTheWire -= 1;
      }
    },
  };
  // No retries: a 429 would show as a failed call.
  const layer = new CallLayer(counted, {
    retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
    limiter: new Limiter(limits, clock),
    idleTimeoutMs: 10_000,
  });
  const request = (n: number): GenerateRequest => ({
    model: 'gpt-5',
    system: 'bench',
    messages: [{ role: 'user', content: `call ${n}` }],
  });
  const call = (n: number): CallOptions => ({
    context: { taskId: `t${n}`, agent: 'gpt', role: 'coder', iteration: 1 },
  });
  try {
    const results = await Promise.allSettled(
      Array.from({ length: calls }, (_, n) => layer.generate(request(n), call(n))),
    );
    return {
      starts,
      refused: fixture.rateLimited(),
      failed: results.filter((result) => result.status === 'rejected').length,
    };
  } finally {
    await fixture.close();
  }
}

/**
 * A configured limit below what concurrency would reach: the busiest minute as a share of the
 * limit (within 5 % and never above); and the server's limit headers alone: no 429.
 */
export async function rateLimitAdherence(calls: number): Promise<Figure[]> {
  const rpm = 60;
  const configured = await drive({ concurrency: 8, requestsPerMinute: rpm }, calls);
  const most = busiest(configured.starts, MINUTE);
  const share = most / rpm;
  const serverRpm = 50;
  const adaptive = await drive({ concurrency: 8 }, calls, { requests: serverRpm, windowMs: MINUTE });
  const adaptiveMost = busiest(adaptive.starts, MINUTE);
  return [
    {
      name: `rate-limit adherence, configured ${rpm}/min at c=8 (${calls} calls, busiest minute)`,
      value: most,
      unit: 'calls',
      limit: rpm,
      ratio: share,
      target: '0.95 ≤ ratio ≤ 1.00',
      ok: share <= 1 && share >= 0.95 && configured.failed === 0,
    },
    {
      name: `rate-limit adherence, adaptive to x-ratelimit headers (server ${serverRpm}/min, ${calls} calls)`,
      value: adaptive.refused,
      unit: '429s',
      target: 'zero 429s',
      ok: adaptive.refused === 0 && adaptive.failed === 0,
      note: `busiest minute ${adaptiveMost} calls (${((adaptiveMost / serverRpm) * 100).toFixed(0)} % of the server's budget)`,
    },
  ];
}
