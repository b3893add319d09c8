import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger } from '../../../scripts/agents/budget/ledger.ts';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { invokeAgent } from '../../../scripts/agents/invoke.ts';
import { type ConfigInput, ConfigSchema } from '../../../scripts/core/config.ts';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { createProvider } from '../../../scripts/providers/index.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';

let fixture: LlmFixture;
let root: string;
beforeAll(async () => {
  fixture = await startLlmFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-budget-'));
  fixture.requests.length = 0;
  fixture.fallback = () => ({ kind: 'answer', text: 'ok', usage: { input: 1000, output: 100 } });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const agent = defineAgent({
  name: 'writer',
  role: 'coder',
  provider: 'openai',
  model: 'primary-model',
  fallbacks: [{ provider: 'gemini', model: 'backup-model' }],
});
const env = { OPENAI_API_KEY: 'sk-test-000', GEMINI_API_KEY: 'gm-test-000' };
// Dear models, so that a call of 1,000 input and 100 output tokens costs $2.
const prices = {
  'primary-model': { input_per_mtok: 1000, output_per_mtok: 10_000 },
  'backup-model': { input_per_mtok: 500, output_per_mtok: 5000 },
};
let day = new Date('2026-11-25T12:00:00Z');

/** Caps only where a test sets them: the defaults would stop these dear calls. */
async function setup(config: ConfigInput = {}) {
  const caps = { per_task_usd: null, daily_usd: null, ...config.caps };
  const ledger = await BudgetLedger.open(root, {
    config: ConfigSchema.parse({ prices, ...config, caps }),
    now: () => day,
  });
  const call = (taskId = 'task-a', who = agent, onAnswered?: () => void) =>
    invokeAgent(
      who,
      {
        ...(onAnswered ? { onAnswered } : {}),
        system: 'sys',
        messages: [{ role: 'user', content: 'go' }],
        maxOutputTokens: 100,
        context: { taskId, agent: who.name, role: 'coder', iteration: 1 },
      },
      {
        providerFor: (ref) =>
          createProvider(ref.provider, {
            env: { ...env, OPENAI_BASE_URL: fixture.openaiUrl, GEMINI_BASE_URL: fixture.geminiUrl },
            retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
          }),
        ledger,
      },
    );
  return { ledger, call };
}

describe('fallback chain', () => {
  it('moves to the fallback when the primary is in a 429 storm, and says which model answered', async () => {
    fixture.fallback = (request) =>
      request.path.includes('chat/completions')
        ? { kind: 'status', status: 429, headers: { 'retry-after': '0' } }
        : { kind: 'answer', text: 'from backup', usage: { input: 100, output: 10 } };
    const { call } = await setup();
    const answer = await call();
    expect(answer).toMatchObject({ text: 'from backup', provider: 'gemini', model: 'backup-model' });
    expect(answer.tried?.map((entry) => [entry.provider, entry.error?.class ?? 'ok'])).toEqual([
      ['openai', 'rate_limit'],
      ['gemini', 'ok'],
    ]);
    expect(fixture.requests.filter((request) => request.path.includes('chat/completions'))).toHaveLength(2);
  });

  it('says once that a model answered, before its spend is written, and never when none did', async () => {
    fixture.fallback = (request) =>
      request.path.includes('chat/completions')
        ? { kind: 'status', status: 503 }
        : { kind: 'answer', text: 'from backup', usage: { input: 100, output: 10 } };
    const { ledger, call } = await setup();
    const seen: number[] = [];
    const answer = await call('task-a', agent, () => seen.push(ledger.spentToday()));
    expect(answer.provider).toBe('gemini');
    // Called once, for the fallback that answered; the ledger did not hold the spend yet.
    expect(seen).toEqual([0]);
    expect(ledger.spentToday()).toBeGreaterThan(0);
    fixture.fallback = () => ({ kind: 'status', status: 503 });
    const never: string[] = [];
    await expect(call('task-a', agent, () => never.push('answered'))).rejects.toThrow('tried');
    expect(never).toEqual([]);
  });

  it('does not fall back on an auth error of the primary', async () => {
    fixture.enqueue({ kind: 'status', status: 401 });
    const { call } = await setup();
    await expect(call()).rejects.toMatchObject({ errorClass: 'auth' });
    expect(fixture.requests).toHaveLength(1);
  });

  it('names every model it tried when all of them are down', async () => {
    fixture.fallback = () => ({ kind: 'status', status: 503 });
    const { call } = await setup();
    await expect(call()).rejects.toThrow(/tried openai\/primary-model: server; gemini\/backup-model: server/);
  });
});

describe('budget ledger', () => {
  it('prices calls from the table and keeps spend per day, agent, task and model on disk', async () => {
    const { call } = await setup();
    const answer = await call();
    expect(answer.costUsd).toBe(2); // 1,000 input × $1,000/M + 100 output × $10,000/M
    const saved = JSON.parse(await readFile(join(root, 'shared/budget/2026-11-25.json'), 'utf8'));
    expect(saved).toMatchObject({
      total_usd: 2,
      calls: 1,
      by_agent: { writer: 2 },
      by_task: { 'task-a': 2 },
      by_model: { 'openai:primary-model': 2 },
    });
  });

  it('stops a call that would pass the per-task cap before it is made', async () => {
    const { call } = await setup({ caps: { per_task_usd: 2.1 } });
    await call();
    const before = fixture.requests.length;
    const error = await call().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).errorClass).toBe('budget');
    expect((error as Error).message).toContain('per-task cap of task-a ($2.1)');
    expect(fixture.requests.length).toBe(before);
    await expect(call('task-b')).resolves.toMatchObject({ costUsd: 2 });
  });

  it('holds a daily cap across runs (a new ledger reads the day back) and resets the next day', async () => {
    const first = await setup({ caps: { daily_usd: 2.1 } });
    await first.call('t1');
    const second = await setup({ caps: { daily_usd: 2.1 } });
    expect(second.ledger.spentToday()).toBe(2);
    await expect(second.call('t2')).rejects.toThrow('daily cap ($2.1)');
    day = new Date('2026-11-26T00:30:00Z');
    expect(second.ledger.spentToday()).toBe(0);
    await expect(second.call('t2')).resolves.toMatchObject({ costUsd: 2 });
    day = new Date('2026-11-25T12:00:00Z');
  });

  it("applies an agent's own daily cap", async () => {
    const capped = { ...agent, caps: { per_agent_daily_usd: 0.005 } };
    const { call } = await setup();
    await expect(call('t', capped)).rejects.toThrow('daily cap of agent writer ($0.005)');
    expect(fixture.requests).toHaveLength(0);
  });

  it('uses the built-in estimate for known models and the highest built-in price for unknown ones', async () => {
    const { ledger } = await setup();
    expect(ledger.costOf('xai', 'grok-4-fast', { input: 1_000_000, output: 0 })).toBe(0.2);
    expect(ledger.costOf('local', 'qwen', { input: 1_000_000, output: 1_000_000 })).toBe(11.25);
    expect(ledger.warnings).toEqual([expect.stringContaining('no price for local:qwen')]);
  });
});

describe('a free ledger (replayed answers)', () => {
  it('prices every call at $0, even with a cap a priced call would pass', async () => {
    const ledger = await BudgetLedger.open(root, {
      config: ConfigSchema.parse({ prices, caps: { daily_usd: 0.01 } }),
      now: () => day,
      free: true,
    });
    const reservation = ledger.reserve({
      agent,
      taskId: 'task-a',
      provider: 'openai',
      model: 'primary-model',
      inputTokens: 1000,
      ceiling: 2000,
    });
    expect(reservation).toMatchObject({ maxOutputTokens: 2000, estimateUsd: 0 });
    const cost = await ledger.record({
      agent: 'writer',
      taskId: 'task-a',
      provider: 'openai',
      model: 'primary-model',
      tokens: { input: 1000, output: 100 },
      reservation,
    });
    expect(cost).toBe(0);
    expect(ledger.spentToday()).toBe(0);
  });
});

describe('the ledger file', () => {
  it('holds every one of many calls recorded at once', async () => {
    const ledger = await BudgetLedger.open(root, { config: ConfigSchema.parse({ prices }), now: () => day });
    const costs = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        ledger.record({
          agent: 'writer',
          taskId: `task-${index}`,
          provider: 'openai',
          model: 'primary-model',
          tokens: { input: 1000, output: 100 },
        }),
      ),
    );
    const file = JSON.parse(
      await readFile(join(root, 'shared/budget', `${day.toISOString().slice(0, 10)}.json`), 'utf8'),
    );
    expect(file.calls).toBe(20);
    expect(Object.keys(file.by_task)).toHaveLength(20);
    expect(file.total_usd).toBeCloseTo(
      costs.reduce((sum, cost) => sum + cost, 0),
      6,
    );
  });

  it('keeps spend a failed write could not hold, and writes it with the next call', async () => {
    const ledger = await BudgetLedger.open(root, { config: ConfigSchema.parse({ prices }), now: () => day });
    const call = (taskId: string) =>
      ledger.record({
        agent: 'writer',
        taskId,
        provider: 'openai',
        model: 'primary-model',
        tokens: { input: 1000, output: 100 },
      });
    const dir = join(root, 'shared/budget');
    await rm(join(root, 'shared'), { recursive: true, force: true });
    await writeFile(join(root, 'shared'), 'a file where the folder goes\n');
    await expect(call('task-a')).rejects.toThrow();
    await rm(join(root, 'shared'), { force: true });
    await call('task-b');
    const file = JSON.parse(await readFile(join(dir, `${day.toISOString().slice(0, 10)}.json`), 'utf8'));
    expect(file.calls).toBe(2);
    expect(Object.keys(file.by_task).sort()).toEqual(['task-a', 'task-b']);
  });
});
