import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, ConfigSchema, DEFAULT_CAPS } from '../../../scripts/core/config.ts';
import { capsLine } from '../../../scripts/core/money.ts';

describe('the config caps', () => {
  it('default to a daily and a per-task cap, with no per-agent daily cap', () => {
    expect(DEFAULT_CAPS).toEqual({ per_task_usd: 2, daily_usd: 10 });
    expect(ConfigSchema.parse({}).caps).toEqual({ per_task_usd: 2, daily_usd: 10, eval_daily_usd: 5 });
    expect(ConfigSchema.parse({ caps: { per_agent_daily_usd: 3 } }).caps).toEqual({
      per_task_usd: 2,
      per_agent_daily_usd: 3,
      daily_usd: 10,
      eval_daily_usd: 5,
    });
  });

  it('are none only where written as null', () => {
    expect(ConfigSchema.parse({ caps: { daily_usd: null } }).caps).toEqual({
      per_task_usd: 2,
      eval_daily_usd: 5,
    });
    expect(
      ConfigSchema.parse({ caps: { daily_usd: null, per_task_usd: null, per_agent_daily_usd: null } }).caps,
    ).toEqual({ eval_daily_usd: 5 });
  });

  it('refuse zero, a negative cap, a string and an unknown key', () => {
    for (const caps of [{ daily_usd: 0 }, { per_task_usd: -1 }, { daily_usd: '5' }, { weekly_usd: 5 }])
      expect(ConfigSchema.safeParse({ caps }).success).toBe(false);
  });

  it("leave an agent's own caps as written: they only narrow the config's", () => {
    expect(AgentConfigSchema.parse({ name: 'a', caps: {} }).caps).toEqual({});
    expect(AgentConfigSchema.safeParse({ name: 'a', caps: { per_task_usd: null } }).success).toBe(false);
  });
});

describe('capsLine', () => {
  it('names each cap in force, and each that is none', () => {
    expect(capsLine({ per_task_usd: 2, daily_usd: 10 })).toBe(
      'Spending caps: $10.00 a day for all agents, $2.00 per task, no per-agent daily cap.',
    );
    expect(capsLine({ per_agent_daily_usd: 0.5 })).toBe(
      'Spending caps: no daily cap (daily_usd: null), no per-task cap (per_task_usd: null), $0.50 a day per agent.',
    );
  });
});
