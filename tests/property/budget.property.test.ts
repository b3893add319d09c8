// Property test: concurrent agent calls never spend past a cap, whatever they send and are billed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BudgetLedger } from '../../scripts/agents/budget/ledger.ts';
import { defineAgent } from '../../scripts/agents/define-agent.ts';
import { invokeAgent } from '../../scripts/agents/invoke.ts';
import { ConfigSchema } from '../../scripts/core/config.ts';
import { FactoryError } from '../../scripts/core/errors.ts';
import { CallLayer } from '../../scripts/providers/call-layer.ts';
import { Limiter } from '../../scripts/providers/limiter.ts';
import { inputTokenBound, repairInputBound, schemaTextOf } from '../../scripts/providers/reply.ts';
import type { Provider, ProviderReply, ProviderRequest } from '../../scripts/providers/types.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const AGENTS = ['coder-a', 'coder-b'].map((name) =>
  defineAgent({ name, role: 'coder', provider: 'openai', model: 'priced', fallbacks: [] }),
);
const TASKS = ['t1', 't2', 't3'];
const VERDICT = z.object({ ok: z.boolean() });

/** What the server bills: a share of the most the request allows, or a count no server could bill. */
const billed = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 1e12, -5, Number.NaN, undefined) },
);

const callArbitrary = fc.record({
  task: fc.constantFrom(...TASKS),
  agent: fc.constantFrom(0, 1),
  // ASCII and four-byte characters: the bound must hold whatever the bytes per character.
  prompt: fc.string({ unit: fc.constantFrom('a', ' ', 'é', '字', '😀'), maxLength: 3000 }),
  ceiling: fc.integer({ min: 1, max: 16_000 }),
  structured: fc.boolean(),
  firstValid: fc.boolean(),
  input: billed,
  output: billed,
  cached: billed,
});

const capArbitrary = fc.option(fc.double({ min: 0.001, max: 2, noNaN: true }), { nil: undefined });

/** The usage a server reports for `request`: a share of what the request allows, as drawn. */
function usageOf(
  request: ProviderRequest,
  share: { input: unknown; output: unknown; cached: unknown },
  repair: boolean,
) {
  const first = inputTokenBound(
    repair ? { ...request, messages: request.messages.slice(0, -2) } : request,
    schemaTextOf(request),
  );
  const most = repair ? repairInputBound(first, request.maxOutputTokens!) : first;
  const scale = (value: unknown, max: number) =>
    typeof value === 'number' && value >= 0 && value <= 1 ? Math.floor(value * max) : value;
  return {
    inputTokens: scale(share.input, most),
    outputTokens: scale(share.output, request.maxOutputTokens!),
    // A share of the input, or a count no server could mean (more than the input, negative, …).
    cachedInputTokens: scale(share.cached, scale(share.input, most) as number),
  };
}

describe('the budget under concurrent calls', () => {
  it('never lets spend pass a cap, per task, per agent per day or per day', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(callArbitrary, { minLength: 1, maxLength: 12 }),
        fc.record({ per_task_usd: capArbitrary, per_agent_daily_usd: capArbitrary, daily_usd: capArbitrary }),
        fc.record({
          input_per_mtok: fc.double({ min: 0.05, max: 100, noNaN: true }),
          output_per_mtok: fc.double({ min: 0.05, max: 400, noNaN: true }),
          // A cached rate above the input rate too, as a careless config may set it.
          cached_input_per_mtok: fc.double({ min: 0, max: 200, noNaN: true }),
        }),
        async (scheduler, calls, caps, price) => {
          const root = await mkdtemp(join(tmpdir(), 'aifactory-budget-prop-'));
          roots.push(root);
          const config = ConfigSchema.parse({
            caps: Object.fromEntries(Object.entries(caps).filter(([, cap]) => cap !== undefined)),
            prices: { priced: price },
          });
          const ledger = await BudgetLedger.open(root, { config });
          const spent = { total: 0, byTask: new Map<string, number>(), byAgent: new Map<string, number>() };
          const runs = calls.map((drawn) => {
            const provider: Provider = {
              id: 'openai',
              // Each answer arrives when the scheduler says, so calls finish in any order.
              generate: (request) => {
                const repair = request.messages.length > 1;
                const text = drawn.firstValid || repair ? '{"ok":true}' : 'not json';
                const reply: ProviderReply = {
                  text,
                  usage: usageOf(request, drawn, repair),
                  model: 'priced',
                  finishReason: 'stop',
                  latencyMs: 1,
                };
                return scheduler.schedule(Promise.resolve(reply), `${drawn.task} answers`);
              },
            };
            const client = new CallLayer(provider, {
              retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
              limiter: new Limiter({ concurrency: 100 }),
              idleTimeoutMs: 60_000,
            });
            const agent = AGENTS[drawn.agent]!;
            return invokeAgent(
              agent,
              {
                system: 'Write the change.',
                messages: [{ role: 'user', content: drawn.prompt }],
                maxOutputTokens: drawn.ceiling,
                ...(drawn.structured ? { schema: { name: 'verdict', zod: VERDICT } } : {}),
                context: { taskId: drawn.task, agent: agent.name, role: 'coder', iteration: 1 },
              },
              { providerFor: () => client, ledger },
            ).then(
              (answer) => {
                spent.total += answer.costUsd;
                spent.byTask.set(drawn.task, (spent.byTask.get(drawn.task) ?? 0) + answer.costUsd);
                spent.byAgent.set(agent.name, (spent.byAgent.get(agent.name) ?? 0) + answer.costUsd);
              },
              (error: unknown) => {
                if (!(error instanceof FactoryError) || error.errorClass !== 'budget') throw error;
              },
            );
          });
          await scheduler.waitFor(Promise.all(runs));
          // Each recorded cost is rounded to a millionth of a dollar.
          const slack = calls.length * 1e-6;
          expect(ledger.spentToday()).toBeCloseTo(spent.total, 5);
          if (caps.daily_usd !== undefined) expect(spent.total).toBeLessThanOrEqual(caps.daily_usd + slack);
          for (const cost of spent.byTask.values())
            if (caps.per_task_usd !== undefined) expect(cost).toBeLessThanOrEqual(caps.per_task_usd + slack);
          for (const cost of spent.byAgent.values())
            if (caps.per_agent_daily_usd !== undefined)
              expect(cost).toBeLessThanOrEqual(caps.per_agent_daily_usd + slack);
        },
      ),
      { numRuns: 150 },
    );
  });
});
