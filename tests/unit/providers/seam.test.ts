import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BudgetLedger } from '../../../scripts/agents/budget/ledger.ts';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { invokeAgent } from '../../../scripts/agents/invoke.ts';
import { ConfigSchema } from '../../../scripts/core/config.ts';
import { CallLayer } from '../../../scripts/providers/call-layer.ts';
import { ProviderError } from '../../../scripts/providers/errors.ts';
import { describeCallEvent } from '../../../scripts/providers/events.ts';
import { Limiter } from '../../../scripts/providers/limiter.ts';
import type {
  CallContext,
  CallEvent,
  Provider,
  ProviderReply,
  ProviderRequest,
} from '../../../scripts/providers/types.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const agent = defineAgent({ name: 'gpt', role: 'reviewer', provider: 'openai', model: 'gpt-5-mini' });

/** A provider that answers from `replies` in turn (an Error is thrown) and keeps what it was sent. */
function scripted(replies: (Partial<ProviderReply> | Error)[]) {
  const seen: { request: ProviderRequest; context: CallContext }[] = [];
  const provider: Provider = {
    id: 'openai',
    generate: async (request, context) => {
      seen.push({ request, context });
      const next = replies[Math.min(seen.length - 1, replies.length - 1)]!;
      if (next instanceof Error) throw next;
      return {
        text: 'ok',
        usage: { inputTokens: 10, outputTokens: 5 },
        model: request.model,
        finishReason: 'stop',
        latencyMs: 1,
        ...next,
      };
    },
  };
  return { provider, seen };
}

async function call(provider: Provider, schema?: { name: string; zod: z.ZodType }) {
  const events: CallEvent[] = [];
  const client = new CallLayer(provider, {
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 1 },
    limiter: new Limiter({ concurrency: 4 }),
    idleTimeoutMs: 5000,
  });
  const root = await mkdtemp(join(tmpdir(), 'aifactory-seam-'));
  roots.push(root);
  const ledger = await BudgetLedger.open(root, {
    config: ConfigSchema.parse({}),
    free: true,
  });
  const answer = await invokeAgent(
    agent,
    {
      system: 's',
      messages: [{ role: 'user', content: 'review' }],
      context: { taskId: 't1', agent: 'gpt', role: 'reviewer', iteration: 2 },
      onEvent: (event) => events.push(event),
      ...(schema ? { schema } : {}),
    },
    { providerFor: () => client, ledger },
  );
  return { answer, events };
}

describe('the provider seam', () => {
  const Verdict = z.strictObject({ ok: z.boolean() });

  it('sends JSON Schema only, made once for every retry and the repair turn', async () => {
    const { provider, seen } = scripted([
      new ProviderError('server', 'down', { status: 503 }),
      { text: 'not json' },
      { text: '{"ok":true}' },
    ]);
    const { answer } = await call(provider, { name: 'verdict', zod: Verdict });
    expect(answer.json).toEqual({ ok: true });
    expect(seen).toHaveLength(3);
    for (const { request } of seen) {
      expect(Object.keys(request.schema!).sort()).toEqual(['jsonSchema', 'name']);
      expect(request.schema!.jsonSchema).toBe(seen[0]!.request.schema!.jsonSchema);
      // Plain data: it survives a JSON round trip unchanged (no zod object, no function).
      expect(JSON.parse(JSON.stringify(request.schema))).toEqual(request.schema);
    }
    expect(seen[0]!.request.schema!.jsonSchema).toMatchObject({ type: 'object', required: ['ok'] });
  });

  it('gives the task context beside the request, and keeps it and onEvent off the wire', async () => {
    const { provider, seen } = scripted([{}]);
    await call(provider);
    expect(seen[0]!.context).toEqual({ taskId: 't1', agent: 'gpt', role: 'reviewer', iteration: 2 });
    expect(seen[0]!.request).not.toHaveProperty('context');
    expect(seen[0]!.request).not.toHaveProperty('onEvent');
  });

  it('warns of a cut answer and a substituted model, as progress events', async () => {
    const { provider } = scripted([{ finishReason: 'length', model: 'gpt-4o-cheaper' }]);
    const { answer, events } = await call(provider);
    expect(answer.warnings).toEqual([
      'asked for gpt-5-mini, the server answered with gpt-4o-cheaper',
      expect.stringMatching(/^the answer was cut at the output limit of \d+ tokens$/),
    ]);
    expect(events.map(describeCallEvent)).toEqual([
      'gpt: openai/gpt-5-mini: asked for gpt-5-mini, the server answered with gpt-4o-cheaper',
      expect.stringContaining('gpt: openai/gpt-5-mini: the answer was cut at the output limit'),
    ]);
  });

  it('does not warn of a dated snapshot of the model asked for', async () => {
    const { provider } = scripted([{ model: 'gpt-5-mini-2025-08-07' }]);
    const { answer, events } = await call(provider);
    expect(answer.warnings).toEqual([]);
    expect(events).toEqual([]);
  });

  it('keeps what a provider itself noticed', async () => {
    const { provider } = scripted([{ warnings: ['a tool call of the unknown type "custom" was left out'] }]);
    const { answer, events } = await call(provider);
    expect(answer.warnings).toEqual(['a tool call of the unknown type "custom" was left out']);
    expect(events).toHaveLength(1);
  });
});
