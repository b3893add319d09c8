import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import type { ModelAgent } from '../../../scripts/agents/types.ts';
import { FactoryError } from '../../../scripts/core/errors.ts';
import { type RunFile, RunFileSchema } from '../../../scripts/core/status/agent-status.ts';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import { keyEnvOf, RUN_FILE, RunObserver, readRunFile } from '../../../scripts/engine/report/run-observer.ts';
import type { AgentAnswer, CallAgent } from '../../../scripts/engine/types.ts';

const gpt = BUILTIN_AGENTS.find((agent) => agent.name === 'gpt')!;
const grok = BUILTIN_AGENTS.find((agent) => agent.name === 'grok-fast')!;
const request = (taskId: string) => ({
  system: 's',
  messages: [],
  context: { taskId, agent: 'gpt', role: 'coder' as const, iteration: 1 },
});
const answer = (extra: Partial<AgentAnswer> = {}): AgentAnswer => ({
  text: 'ok',
  usage: { inputTokens: 100, outputTokens: 20 },
  model: 'gpt-5-mini',
  finishReason: 'stop',
  provider: 'openai',
  costUsd: 0.01,
  latencyMs: 5,
  ...extra,
});

async function observer(
  options: { previous?: RunFile; env?: Record<string, string>; liveWriteMs?: number } = {},
) {
  const root = await mkdtemp(join(tmpdir(), 'observer-'));
  let clock = Date.parse('2026-12-02T10:00:00.000Z');
  const seen = new RunObserver({
    root,
    trigger: 'schedule',
    replay: false,
    now: () => new Date(clock),
    secrets: SecretGuard.fromEnv({ OPENAI_API_KEY: 'sk-secret-value-123456' }),
    previous: options.previous ?? null,
    agents: [gpt, grok],
    env: options.env ?? { OPENAI_API_KEY: 'sk-secret-value-123456' },
    ...(options.liveWriteMs === undefined ? {} : { liveWriteMs: options.liveWriteMs }),
  });
  return { root, seen, tick: (ms: number) => (clock += ms) };
}

describe('RunObserver', () => {
  it('records keys by variable name only, and a schedule as the last scheduled run', async () => {
    const { root, seen } = await observer();
    const file = await seen.finish(1);
    expect(RunFileSchema.parse(file)).toEqual(file);
    expect(file).toMatchObject({
      trigger: 'schedule',
      last_scheduled_at: '2026-12-02T10:00:00.000Z',
      finished_at: '2026-12-02T10:00:00.000Z',
    });
    expect(file.agents.map((a) => [a.name, a.key_env, a.key_configured])).toEqual([
      ['gpt', 'OPENAI_API_KEY', true],
      ['grok-fast', 'XAI_API_KEY', false],
    ]);
    const text = await readFile(join(root, RUN_FILE), 'utf8');
    expect(text).not.toContain('sk-secret-value-123456');
  });

  it('shows the task under way while a call runs, then the tokens, requests and fallback of its answer', async () => {
    const { root, seen } = await observer();
    let during: unknown;
    const call: CallAgent = async (_agent, req) => {
      req.onEvent?.({
        kind: 'fallback',
        agent: 'gpt',
        from: { provider: 'openai', model: 'gpt-5-mini' },
        to: { provider: 'openai', model: 'gpt-4.1-mini' },
        failure: { class: 'server', status: 503 },
      });
      await seen.flush();
      during = JSON.parse(await readFile(join(root, RUN_FILE), 'utf8'));
      return answer({
        model: 'gpt-4.1-mini',
        tried: [
          { provider: 'openai', model: 'gpt-5-mini' },
          { provider: 'openai', model: 'gpt-4.1-mini' },
        ],
      });
    };
    await seen.wrap(call)(gpt, request('task-1'));
    expect((during as { agents: { working_on: string[] }[] }).agents[0]!.working_on).toEqual(['task-1']);
    const file = await seen.finish(1);
    expect(file.agents[0]).toMatchObject({
      requests: 2,
      tokens: { input: 100, output: 20 },
      working_on: [],
      last_answer: { provider: 'openai', model: 'gpt-4.1-mini', fallback: true },
      last_failure: null,
    });
  });

  it('keeps when a rate limit said to come back, and a budget refusal as no request', async () => {
    const { seen } = await observer({
      previous: {
        version: 1,
        trigger: 'local',
        replay: false,
        started_at: '2026-12-01T10:00:00.000Z',
        finished_at: null,
        last_scheduled_at: '2026-12-01T09:00:00.000Z',
        agents: [],
      },
    });
    const limited: CallAgent = async (_agent, req) => {
      req.onEvent?.({
        kind: 'retry',
        agent: 'gpt',
        provider: 'openai',
        model: 'gpt-5-mini',
        failure: { class: 'rate_limit', status: 429 },
        retry: 1,
        of: 3,
        delayMs: 30_000,
      });
      throw new FactoryError('rate_limit', 'gpt: openai/gpt-5-mini is rate-limited');
    };
    await expect(seen.wrap(limited)(gpt, request('task-1'))).rejects.toThrow('rate-limited');
    const broke: CallAgent = async () => {
      throw new FactoryError('budget', 'the daily cap of agent grok-fast ($1) would be passed');
    };
    await expect(seen.wrap(broke)(grok, request('task-2'))).rejects.toThrow('daily cap');
    const file = await seen.finish(1);
    expect(file.agents[0]).toMatchObject({
      requests: 2,
      last_failure: { class: 'rate_limit', until: '2026-12-02T10:00:30.000Z' },
    });
    expect(file.agents[1]).toMatchObject({ requests: 0, last_failure: { class: 'budget', until: null } });
  });

  it('leaves the file alone after a run that called no model and touched no task', async () => {
    const { root, seen } = await observer();
    await seen.finish(0);
    await expect(readFile(join(root, RUN_FILE), 'utf8')).rejects.toThrow('ENOENT');
  });

  it('writes the first change at once, and the changes after it together, no sooner than the interval', async () => {
    const { root, seen } = await observer({ liveWriteMs: 60_000 });
    const requests = async (): Promise<number | undefined> => {
      const text = await readFile(join(root, RUN_FILE), 'utf8').catch(() => undefined);
      return text === undefined ? undefined : (JSON.parse(text) as RunFile).agents[0]!.requests;
    };
    const call = seen.wrap(async () => answer());
    await call(gpt, request('a'));
    for (let waited = 0; (await requests()) === undefined && waited < 5000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    // The write that the call's start asked for (it may have seen the answer too).
    const first = await requests();
    expect(first).toBeLessThanOrEqual(1);
    for (const id of ['b', 'c', 'd']) await call(gpt, request(id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await requests()).toBe(first);
    await seen.flush();
    expect(await requests()).toBe(4);
  });

  it('passes a call of an agent it does not know straight through', async () => {
    const { seen } = await observer();
    const stranger: ModelAgent = { ...gpt, name: 'stranger' };
    await expect(seen.wrap(async () => answer())(stranger, request('t'))).resolves.toMatchObject({
      text: 'ok',
    });
    expect((await seen.finish(1)).agents.map((agent) => agent.name)).toEqual(['gpt', 'grok-fast']);
  });

  it('carries the last scheduled run over a one-off run', async () => {
    const root = await mkdtemp(join(tmpdir(), 'observer-'));
    const seen = new RunObserver({
      root,
      trigger: 'local',
      replay: true,
      now: () => new Date('2026-12-02T10:00:00.000Z'),
      secrets: SecretGuard.fromEnv({}),
      previous: {
        version: 1,
        trigger: 'schedule',
        replay: false,
        started_at: '2026-12-01T10:00:00.000Z',
        finished_at: '2026-12-01T10:02:00.000Z',
        last_scheduled_at: '2026-12-01T10:00:00.000Z',
        agents: [],
      },
      agents: [gpt],
      env: {},
    });
    const file = await seen.finish(1);
    expect(file).toMatchObject({ last_scheduled_at: '2026-12-01T10:00:00.000Z', replay: true });
    expect(file.agents[0]).toMatchObject({ key_env: null, key_configured: null });
  });
});

describe('readRunFile', () => {
  it('reads none, a good file, and skips a damaged one with a warning naming the file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'run-file-'));
    const warnings: string[] = [];
    expect(await readRunFile(root, (w) => warnings.push(w))).toBeNull();
    await mkdir(join(root, 'shared/status'), { recursive: true });
    await writeFile(join(root, RUN_FILE), '{oops');
    expect(await readRunFile(root, (w) => warnings.push(w))).toBeNull();
    await writeFile(join(root, RUN_FILE), JSON.stringify({ version: 2 }));
    expect(await readRunFile(root, (w) => warnings.push(w))).toBeNull();
    expect(warnings).toEqual([
      `${RUN_FILE} is not valid JSON; skipped (the next run rewrites it)`,
      expect.stringMatching(/^shared\/status\/run\.json: field "version"/),
    ]);
    const { seen } = await observer();
    await writeFile(join(root, RUN_FILE), JSON.stringify(await seen.finish(1)));
    expect(await readRunFile(root, () => undefined)).toMatchObject({ trigger: 'schedule' });
  });

  it('names no key variable for a tool agent, a replay or a local server, which needs none', () => {
    expect(keyEnvOf(gpt, false)).toBe('OPENAI_API_KEY');
    expect(keyEnvOf({ ...gpt, provider: 'local' }, false)).toBeNull();
    expect(keyEnvOf(gpt, true)).toBeNull();
    const tool = defineAgent({ name: 'fmt', role: 'tool', run: async () => ({ text: '' }) });
    expect(keyEnvOf(tool, false)).toBeNull();
  });
});
