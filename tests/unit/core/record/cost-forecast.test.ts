import { describe, expect, it } from 'vitest';
import {
  costFigures,
  forecastCost,
  forecastLines,
  type PlannedTask,
} from '../../../../scripts/core/record/cost-forecast.ts';
import { attempt, costedRecord, record } from '../../../fixtures/run-records.ts';

const now = new Date('2026-12-07T12:00:00Z');
const nothingSpent = { total_usd: 0, by_agent: new Map<string, number>() };

/** A merged task coded by `agent` on `day` (December). */
const costed = (id: string, agent: string, day: number, costs: readonly (number | 'request')[]) =>
  costedRecord(id, agent, `2026-12-${String(day).padStart(2, '0')}T10:00:00Z`, costs);

const planned = (
  id: string,
  agent: string,
  state: PlannedTask['state'] = 'fresh',
  spent = 0,
): PlannedTask => ({
  id,
  agent,
  state,
  spent_usd: spent,
});

describe('costFigures', () => {
  it('takes the middle value, the mean of the two middle ones, and p90 by nearest rank', () => {
    expect(costFigures([])).toEqual({ tasks: 0, median_usd: null, p90_usd: null });
    expect(costFigures([3, 1, 2])).toEqual({ tasks: 3, median_usd: 2, p90_usd: 3 });
    expect(costFigures([4, 1, 3, 2])).toEqual({ tasks: 4, median_usd: 2.5, p90_usd: 4 });
    const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(costFigures(ten)).toEqual({ tasks: 10, median_usd: 5.5, p90_usd: 9 });
  });
});

describe('forecastCost', () => {
  const records = [
    costed('a', 'gpt', 1, [0.1, 0.02]), // fresh 0.12
    costed('b', 'gpt', 2, [0.2, 'request', 0.05, 0.01]), // fresh 0.26, changes requested 0.06
    costed('c', 'gpt', 3, [0.3]), // fresh 0.3
    costed('old', 'gpt', 1, [9]), // moved out of the window below
    costed('g', 'grok-fast', 4, [0.01]),
    // A code attempt without an agent counts for the assignee.
    record(
      'unnamed',
      {
        state: 'failed',
        attempts: [
          attempt({
            kind: 'code',
            result: 'error',
            agent: null,
            cost_usd: 0.04,
            started_at: '2026-12-05T00:00:00Z',
          }),
        ],
      },
      'zed',
    ),
    record('blocked', { state: 'blocked' }),
    // Under way: it has not spent all it will, so it is no sample.
    { ...costed('open', 'gpt', 5, [7]), state: 'changes_requested' as const },
    { ...costed('held', 'grok-fast', 5, [0.01]), state: 'needs_human' as const },
  ];
  records[3]!.attempts[0]!.started_at = '2026-10-01T00:00:00Z';

  it('figures per agent and state over the last 30 days, and the run from them', () => {
    const forecast = forecastCost({
      records,
      planned: [planned('n1', 'gpt'), planned('n2', 'gpt', 'changes_requested'), planned('n3', 'gemini-pro')],
      caps: {},
      spent: nothingSpent,
      now,
    });
    expect(forecast.history).toEqual([
      { agent: 'gpt', state: 'changes_requested', figures: { tasks: 1, median_usd: 0.06, p90_usd: 0.06 } },
      { agent: 'gpt', state: 'fresh', figures: { tasks: 3, median_usd: 0.26, p90_usd: 0.3 } },
      { agent: 'grok-fast', state: 'fresh', figures: { tasks: 2, median_usd: 0.01, p90_usd: 0.01 } },
      { agent: 'zed', state: 'fresh', figures: { tasks: 1, median_usd: 0.04, p90_usd: 0.04 } },
    ]);
    // gemini-pro has no history: every agent's fresh tasks stand in (0.01, 0.01, 0.04, 0.12, 0.26, 0.3).
    expect(forecast.tasks[2]).toMatchObject({
      from_all_agents: true,
      figures: { tasks: 6, median_usd: 0.08, p90_usd: 0.3 },
    });
    expect(forecast.median_usd).toBe(0.4); // 0.26 + 0.06 + 0.08
    expect(forecast.p90_usd).toBe(0.66); // 0.3 + 0.06 + 0.3
    expect(forecast.worst_case_usd).toBeNull();
    expect(forecast.left_for_tomorrow).toEqual([]);
    expect(forecast.unpriced).toEqual([]);
  });

  it('names a task with no history in its state at all as unpriced', () => {
    const forecast = forecastCost({
      records: [costed('a', 'gpt', 1, [0.1])],
      planned: [planned('n', 'gpt', 'changes_requested')],
      caps: {},
      spent: nothingSpent,
      now,
    });
    expect(forecast.unpriced).toEqual(['n']);
    expect(forecast.median_usd).toBe(0);
    expect(forecastLines(forecast)).toContain('  no history yet (not counted above): n');
  });

  it('bounds the worst case by the per-task, per-agent daily and daily caps', () => {
    const spent = { total_usd: 1, by_agent: new Map([['gpt', 0.5]]) };
    const tasks = [planned('x', 'gpt', 'fresh', 0.4), planned('y', 'gpt'), planned('z', 'grok-fast')];
    const base = { records: [], planned: tasks, spent, now };
    // Per task only: (1 − 0.4) + 1 + 1.
    expect(forecastCost({ ...base, caps: { per_task_usd: 1 } }).worst_case_usd).toBe(2.6);
    // A task already past its cap has no room left.
    expect(
      forecastCost({ ...base, planned: [planned('x', 'gpt', 'fresh', 3)], caps: { per_task_usd: 1 } })
        .worst_case_usd,
    ).toBe(0);
    // gpt: min(1.6, 2 − 0.5) = 1.5; grok-fast: min(1, 2) = 1.
    expect(forecastCost({ ...base, caps: { per_task_usd: 1, per_agent_daily_usd: 2 } }).worst_case_usd).toBe(
      2.5,
    );
    // Per agent only: (2 − 0.5) + 2.
    expect(forecastCost({ ...base, caps: { per_agent_daily_usd: 2 } }).worst_case_usd).toBe(3.5);
    // The day's cap: 3 − 1 left, below the rest; alone it is the bound.
    expect(forecastCost({ ...base, caps: { per_task_usd: 1, daily_usd: 3 } }).worst_case_usd).toBe(2);
    expect(forecastCost({ ...base, caps: { daily_usd: 3 } }).worst_case_usd).toBe(2);
    expect(forecastCost({ ...base, caps: { per_task_usd: 1, daily_usd: 10 } }).worst_case_usd).toBe(2.6);
    // One agent unbounded makes the sum unbounded.
    const mixed = [planned('y', 'gpt'), planned('z', 'grok-fast')];
    expect(forecastCost({ ...base, planned: mixed, caps: {} }).worst_case_usd).toBeNull();
  });

  it('leaves for tomorrow the tasks past the remaining daily cap, and says so', () => {
    const history = [costed('a', 'gpt', 1, [0.5]), costed('b', 'grok-fast', 1, [0.2])];
    const forecast = forecastCost({
      records: history,
      planned: [planned('first', 'gpt'), planned('second', 'gpt'), planned('small', 'grok-fast')],
      caps: { daily_usd: 1 },
      spent: { total_usd: 0.3, by_agent: new Map() },
      now,
    });
    expect(forecast.remaining_daily_usd).toBe(0.7);
    expect(forecast.left_for_tomorrow).toEqual(['second']);
    expect(forecastLines(forecast).at(-1)).toBe(
      "  the forecast passes the remaining daily cap ($0.7000 left today) or an agent's: left for tomorrow: second",
    );
  });

  it("leaves for tomorrow the tasks past their agent's daily cap", () => {
    const forecast = forecastCost({
      records: [costed('a', 'gpt', 1, [0.5]), costed('b', 'grok-fast', 1, [0.5])],
      planned: [planned('first', 'gpt'), planned('second', 'gpt'), planned('other', 'grok-fast')],
      caps: { per_agent_daily_usd: 1 },
      spent: { total_usd: 0.2, by_agent: new Map([['gpt', 0.2]]) },
      now,
    });
    expect(forecast.left_for_tomorrow).toEqual(['second']);
    expect(forecastLines(forecast).at(-1)).toContain(
      "passes an agent's daily cap: left for tomorrow: second",
    );
  });

  it('prints the figures, the run and the worst case', () => {
    const forecast = forecastCost({
      records,
      planned: [planned('n1', 'gpt')],
      caps: { per_task_usd: 2 },
      spent: nothingSpent,
      now,
    });
    expect(forecastLines(forecast)).toEqual([
      'Forecast for 1 task, from the last 30 days of run records:',
      '  gpt (changes_requested): median $0.0600, p90 $0.0600 over 1 task',
      '  gpt (fresh): median $0.2600, p90 $0.3000 over 3 tasks',
      '  grok-fast (fresh): median $0.0100, p90 $0.0100 over 2 tasks',
      '  zed (fresh): median $0.0400, p90 $0.0400 over 1 task',
      '  this run: median $0.2600, p90 $0.3000',
      '  worst case the caps allow: $2.0000',
    ]);
    const idle = forecastLines(
      forecastCost({ records: [], planned: [], caps: {}, spent: nothingSpent, now }),
    );
    expect(idle).toContain('  this run: median $0.0000, p90 $0.0000');
    expect(idle.at(-1)).toBe('  worst case the caps allow: $0.0000');
    const uncapped = forecastLines(
      forecastCost({ records: [], planned: [planned('n', 'gpt')], caps: {}, spent: nothingSpent, now }),
    );
    expect(uncapped.at(-1)).toContain('unbounded');
  });
});
