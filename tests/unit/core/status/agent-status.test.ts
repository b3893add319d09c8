import { describe, expect, it } from 'vitest';
import { formatUsd, formatUsdTick, spendAgainstCap } from '../../../../scripts/core/money.ts';
import {
  type AgentObservation,
  type AgentProfile,
  AgentStatusFileSchema,
  type AgentStatusInput,
  buildAgentStatus,
  describeAgentState,
  type RunFile,
  RunFileSchema,
  runTrigger,
} from '../../../../scripts/core/status/agent-status.ts';

const profile = (name: string, extra: Partial<AgentProfile> = {}): AgentProfile => ({
  name,
  role: 'coder',
  provider: 'openai',
  model: 'gpt-5-mini',
  key_env: 'OPENAI_API_KEY',
  caps: {},
  ...extra,
});

const seen = (name: string, extra: Partial<AgentObservation> = {}): AgentObservation => ({
  name,
  key_env: 'OPENAI_API_KEY',
  key_configured: true,
  requests: 3,
  tokens: { input: 100, output: 20 },
  working_on: [],
  last_answer: null,
  last_failure: null,
  ...extra,
});

const run = (agents: AgentObservation[], extra: Partial<RunFile> = {}): RunFile => ({
  version: 1,
  trigger: 'local',
  replay: false,
  started_at: '2026-12-02T10:00:00.000Z',
  finished_at: '2026-12-02T10:05:00.000Z',
  last_scheduled_at: null,
  agents,
  ...extra,
});

const failure = (cls: 'auth' | 'budget' | 'rate_limit' | 'server', until: string | null = null) => ({
  class: cls,
  message: `${cls} went wrong`,
  at: '2026-12-02T10:04:00.000Z',
  until,
});

function statusOf(input: Partial<AgentStatusInput> & { agents: AgentProfile[] }) {
  const file = buildAgentStatus({ caps: {}, run: null, spend: null, ...input });
  expect(AgentStatusFileSchema.parse(file)).toEqual(file);
  return file;
}

describe('runTrigger', () => {
  it('names the GitHub event that started a run inside Actions', () => {
    for (const event of ['schedule', 'workflow_dispatch', 'push'] as const) {
      expect(runTrigger({ GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: event }, false)).toBe(event);
    }
    expect(runTrigger({ GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'issue_comment' }, false)).toBe('other');
  });

  it('tells a local watch loop from a one-off local run', () => {
    expect(runTrigger({}, true)).toBe('watch');
    expect(runTrigger({ GITHUB_EVENT_NAME: 'schedule' }, false)).toBe('local');
  });
});

describe('buildAgentStatus', () => {
  it('shows an agent no run has seen as idle, with its caps and nothing spent', () => {
    const file = statusOf({
      agents: [profile('gpt', { caps: { per_task_usd: 2 } })],
      caps: { per_agent_daily_usd: 5, daily_usd: 20 },
    });
    expect(file).toMatchObject({ day: null, spent_today_usd: 0, daily_cap_usd: 20, run: null });
    expect(file.agents[0]).toMatchObject({
      name: 'gpt',
      state: 'idle',
      key_env: 'OPENAI_API_KEY',
      key_configured: null,
      daily_cap_usd: 5,
      per_task_cap_usd: 2,
      last_run: null,
      fallback_model: null,
      last_error: null,
    });
  });

  it('shows a working agent with the task its call is for, and sorts agents by name', () => {
    const file = statusOf({
      agents: [profile('zeta'), profile('gpt')],
      run: run([seen('gpt', { working_on: ['task-b', 'task-a'] })], { finished_at: null }),
    });
    expect(file.agents.map((agent) => agent.name)).toEqual(['gpt', 'zeta']);
    expect(file.agents[0]).toMatchObject({ state: 'working', task: 'task-a' });
    expect(file.run).toEqual({
      trigger: 'local',
      replay: false,
      started_at: '2026-12-02T10:00:00.000Z',
      finished_at: null,
    });
  });

  it('says a key is missing by its variable name', () => {
    const file = statusOf({
      agents: [profile('gpt', { key_env: null })],
      run: run([seen('gpt', { key_configured: false })]),
    });
    expect(file.agents[0]).toMatchObject({ state: 'key_missing', key_env: 'OPENAI_API_KEY' });
  });

  it('tells a refused key, a budget pause, a rate limit and an error apart', () => {
    const until = '2026-12-02T10:06:00.000Z';
    const file = statusOf({
      agents: [profile('a'), profile('b'), profile('c'), profile('d')],
      run: run([
        seen('a', { last_failure: failure('auth') }),
        seen('b', { last_failure: failure('budget') }),
        seen('c', { last_failure: failure('rate_limit', until) }),
        seen('d', { last_failure: failure('server') }),
      ]),
    });
    expect(file.agents.map((agent) => [agent.state, agent.until])).toEqual([
      ['key_refused', null],
      ['budget_paused', null],
      ['rate_limited', until],
      ['erroring', null],
    ]);
    expect(file.agents[3]!.last_error).toBe('server went wrong');
  });

  it('pauses an agent whose daily cap is spent until the next UTC day', () => {
    const file = statusOf({
      agents: [profile('gpt', { caps: { per_agent_daily_usd: 1 } }), profile('gemini-pro')],
      run: run([seen('gpt')]),
      spend: { day: '2026-12-02', total_usd: 1.5, by_agent: { gpt: 1.2, 'gemini-pro': 0.3 } },
    });
    expect(file.day).toBe('2026-12-02');
    expect(file.spent_today_usd).toBe(1.5);
    expect(file.agents[1]).toMatchObject({
      name: 'gpt',
      state: 'budget_paused',
      until: '2026-12-03T00:00:00.000Z',
      spent_today_usd: 1.2,
    });
    expect(file.agents[0]).toMatchObject({ name: 'gemini-pro', state: 'idle', spent_today_usd: 0.3 });
  });

  it('pauses every agent once the daily cap of all agents is spent', () => {
    const file = statusOf({
      agents: [profile('gpt')],
      caps: { daily_usd: 1 },
      spend: { day: '2026-12-02', total_usd: 1, by_agent: {} },
    });
    expect(file.agents[0]).toMatchObject({ state: 'budget_paused', spent_today_usd: 0 });
  });

  it('names the fallback model that last answered, and the last run requests and tokens', () => {
    const answer = { provider: 'openai', model: 'gpt-4.1-mini', at: '2026-12-02T10:03:00.000Z' };
    const file = statusOf({
      agents: [profile('gpt'), profile('grok-fast')],
      run: run([
        seen('gpt', { last_answer: { ...answer, fallback: true } }),
        seen('grok-fast', { last_answer: { ...answer, fallback: false } }),
      ]),
    });
    expect(file.agents[0]).toMatchObject({
      fallback_model: 'openai:gpt-4.1-mini',
      last_run: { requests: 3, tokens: { input: 100, output: 20 } },
    });
    expect(file.agents[1]!.fallback_model).toBeNull();
  });

  it('has a run file schema that refuses a field it does not know', () => {
    expect(RunFileSchema.safeParse({ ...run([]), extra: 1 }).success).toBe(false);
  });
});

describe('describeAgentState', () => {
  const base = statusOf({ agents: [profile('gpt')] }).agents[0]!;
  it('words each state the same way for the terminal and the dashboard', () => {
    const until = '2026-12-02T10:06:00.000Z';
    const cases: [Partial<typeof base>, string][] = [
      [{ state: 'working', task: 'task-7' }, 'working on task-7'],
      [{ state: 'idle' }, 'idle'],
      [{ state: 'rate_limited', until }, 'rate-limited until 2026-12-02 10:06 UTC'],
      [{ state: 'rate_limited' }, 'rate-limited'],
      [{ state: 'budget_paused', until }, 'paused by budget until 2026-12-02 10:06 UTC'],
      [{ state: 'budget_paused' }, 'paused by budget'],
      [{ state: 'key_missing' }, 'no key: set OPENAI_API_KEY'],
      [{ state: 'key_refused' }, 'key refused (OPENAI_API_KEY)'],
      [{ state: 'erroring', last_error: 'timed out' }, 'erroring: timed out'],
    ];
    for (const [change, words] of cases) expect(describeAgentState({ ...base, ...change })).toBe(words);
  });
});

describe('formatUsd', () => {
  it('shows $0 for nothing, four decimals under a cent and two from a cent up', () => {
    expect([0, 0.00042, 0.01, 1.5, 12.345].map(formatUsd)).toEqual([
      '$0',
      '$0.0004',
      '$0.01',
      '$1.50',
      '$12.35',
    ]);
  });
});

describe('formatUsdTick', () => {
  it('keeps the digits that tell evenly spaced axis steps apart', () => {
    expect([0, 0.005, 0.01, 0.015, 2.5, 1200].map(formatUsdTick)).toEqual([
      '$0',
      '$0.005',
      '$0.01',
      '$0.015',
      '$2.5',
      '$1200',
    ]);
  });
});

describe('spendAgainstCap', () => {
  it('reads spend under a cap as a share of it', () => {
    expect(spendAgainstCap(1.1, 5, 'daily cap')).toBe('$1.10 of $5.00 daily cap');
    expect(spendAgainstCap(0, 25, 'daily cap')).toBe('$0 of $25.00 daily cap');
  });

  it('says by how much a cap was passed, never "$5.20 of $5.00"', () => {
    expect(spendAgainstCap(5.2, 5, 'daily cap')).toBe('$5.00 daily cap passed by $0.20');
  });

  it('reads a rounding speck past the cap as the cap reached', () => {
    expect(spendAgainstCap(5.00001, 5, 'daily cap')).toBe('$5.00 of $5.00 daily cap');
  });

  it('says when there is no cap', () => {
    expect(spendAgainstCap(3, null, 'daily cap')).toBe('$3.00 (no daily cap)');
  });
});
