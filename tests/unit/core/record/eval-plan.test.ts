import { describe, expect, it } from 'vitest';
import { ConfigSchema, DEFAULT_EVAL_DAILY_USD } from '../../../../scripts/core/config.ts';
import {
  evalRunId,
  evalTotals,
  isTestPath,
  numstatLines,
  parseModelRef,
  parseSpan,
  selectEvalTasks,
} from '../../../../scripts/core/record/eval-plan.ts';
import { EVAL_RUN_ID, type EvalCase, type EvalRun } from '../../../../scripts/core/record/eval-record.ts';
import { record } from '../../../fixtures/run-records.ts';

const merged = (id: string, at: string) =>
  record(id, { state: 'merged', merged_at: at, merge_commit: 'a'.repeat(40), updated_at: at });
const NOW = new Date('2026-12-10T12:00:00Z');

describe('eval task selection', () => {
  const records = [
    merged('old', '2026-10-01T00:00:00Z'),
    merged('mid', '2026-12-01T00:00:00Z'),
    merged('new', '2026-12-09T00:00:00Z'),
    record('failed', { state: 'failed' }),
    record('no-commit', { state: 'merged', merged_at: '2026-12-02T00:00:00Z', merge_commit: null }),
  ];

  it('takes every merged task with a merge commit, oldest merge first', () => {
    expect(selectEvalTasks(records, { now: NOW })).toEqual({ taskIds: ['old', 'mid', 'new'], problems: [] });
  });

  it('keeps those merged within --since, and the most recent --limit', () => {
    expect(selectEvalTasks(records, { now: NOW, sinceMs: 30 * 86_400_000 }).taskIds).toEqual(['mid', 'new']);
    expect(selectEvalTasks(records, { now: NOW, limit: 1 }).taskIds).toEqual(['new']);
  });

  it('never replays a record whose merge commit is not a commit id, which git could read as an option', () => {
    const forged = record('forged', {
      state: 'merged',
      merged_at: '2026-12-03T00:00:00Z',
      merge_commit: '--output=/tmp/pwned',
    });
    expect(selectEvalTasks([...records, forged], { now: NOW }).taskIds).toEqual(['old', 'mid', 'new']);
    expect(selectEvalTasks([forged], { now: NOW, ids: ['forged'] }).problems).toEqual([
      'forged: is merged, not merged with a merge commit; only merged tasks replay',
    ]);
  });

  it('names each asked-for task that cannot be replayed, and why', () => {
    const picked = selectEvalTasks(records, {
      now: NOW,
      ids: ['new', 'failed', 'ghost', 'no-commit', 'new'],
    });
    expect(picked.taskIds).toEqual(['new']);
    expect(picked.problems).toEqual([
      'failed: is failed, not merged with a merge commit; only merged tasks replay',
      'ghost: no run record in shared/runs/',
      'no-commit: is merged, not merged with a merge commit; only merged tasks replay',
    ]);
  });

  it('orders tasks merged at the same time by id, and falls back to the last update without a merge time', () => {
    const same = [merged('b', '2026-12-01T00:00:00Z'), merged('a', '2026-12-01T00:00:00Z')];
    expect(selectEvalTasks(same, { now: NOW }).taskIds).toEqual(['a', 'b']);
    const untimed = { ...merged('u', '2026-12-05T00:00:00Z'), merged_at: null };
    expect(selectEvalTasks([untimed], { now: NOW, sinceMs: 86_400_000 }).taskIds).toEqual([]);
    expect(selectEvalTasks([untimed], { now: NOW, sinceMs: 10 * 86_400_000 }).taskIds).toEqual(['u']);
  });
});

describe('eval flags', () => {
  it('reads spans in hours, days and weeks, and refuses anything else', () => {
    expect(parseSpan('30d')).toEqual({ ms: 30 * 86_400_000 });
    expect(parseSpan('12h')).toEqual({ ms: 12 * 3_600_000 });
    expect(parseSpan('2w')).toEqual({ ms: 14 * 86_400_000 });
    for (const bad of ['0d', '30', 'd', '-3d', '30x', '1e3d', '999999d'])
      expect(parseSpan(bad)).toHaveProperty('problem');
  });

  it('reads provider:model, keeping colons in the model name', () => {
    expect(parseModelRef('openai:gpt-5')).toEqual({ ref: { provider: 'openai', model: 'gpt-5' } });
    expect(parseModelRef('local:llama3.1:8b')).toEqual({ ref: { provider: 'local', model: 'llama3.1:8b' } });
    for (const bad of ['gpt-5', ':gpt-5', 'openai:', 'openai: ', 'anthropic:claude', 'constructor:x'])
      expect(parseModelRef(bad)).toHaveProperty('problem');
  });

  it('makes run ids that the record schema accepts', () => {
    const id = evalRunId(new Date('2026-12-07T10:15:00.123Z'), 'a1b2c3');
    expect(id).toBe('20261207T101500Z-a1b2c3');
    expect(EVAL_RUN_ID.test(id)).toBe(true);
  });
});

describe('hidden tests and diff sizes', () => {
  it('knows tests by folder or by name, and not a file that merely holds "test"', () => {
    for (const path of [
      'tests/a.sh',
      'src/__tests__/x.ts',
      'pkg/spec/y.rb',
      'src/a.test.ts',
      'src/a.spec.js',
      'lib/a_spec.rb',
      'test_parser.py',
      'pkg/parse_test.go',
      'src/main/java/FooTest.java',
    ])
      expect(isTestPath(path), path).toBe(true);
    for (const path of ['src/latest.txt', 'src/contest.ts', 'docs/testing.md', 'src/attest.go', 'testdata'])
      expect(isTestPath(path), path).toBe(false);
  });

  it('adds the added and removed lines of numstat, binary files counting none', () => {
    expect(numstatLines('3\t1\tsrc/a.ts\n-\t-\timg.png\n10\t0\tb\n')).toBe(14);
    expect(numstatLines('')).toBe(0);
  });
});

describe('eval totals', () => {
  const base: EvalCase = {
    task_id: 't',
    base_sha: 'abc1234',
    accepted_sha: 'def5678',
    status: 'done',
    own_checks: 'pass',
    hidden_tests: 'pass',
    hidden_test_files: [],
    diff_lines: 1,
    accepted_diff_lines: 1,
    tokens: { input: 1, output: 1 },
    cost_usd: 0.1,
    duration_ms: 1,
    finished_at: '2026-12-07T10:16:00Z',
  };
  it('counts answers, passes, the hidden tests that ran, and the cost', () => {
    const run = {
      cases: [
        base,
        { ...base, hidden_tests: 'fail' },
        { ...base, own_checks: 'fail', hidden_tests: 'none', cost_usd: 0.2 },
        { ...base, status: 'no_answer', own_checks: 'none', hidden_tests: 'none' },
      ],
    } as EvalRun;
    expect(evalTotals(run)).toEqual({
      cases: 4,
      done: 3,
      ownChecksPassed: 2,
      hiddenTestsPassed: 1,
      hiddenTestsRun: 2,
      costUsd: 0.5,
    });
  });
});

describe('the eval cap in the config', () => {
  it('defaults caps.eval_daily_usd beside the factory caps, and refuses a cap that is not above zero', () => {
    expect(ConfigSchema.parse({}).caps).toEqual({
      per_task_usd: 2,
      daily_usd: 10,
      eval_daily_usd: DEFAULT_EVAL_DAILY_USD,
    });
    expect(ConfigSchema.parse({ caps: { daily_usd: 3 } }).caps).toEqual({
      per_task_usd: 2,
      daily_usd: 3,
      eval_daily_usd: 5,
    });
    expect(ConfigSchema.parse({ caps: { eval_daily_usd: 0.5 } }).caps.eval_daily_usd).toBe(0.5);
    const refused = ConfigSchema.safeParse({ caps: { eval_daily_usd: 0 } });
    expect(refused.error?.issues[0]?.path).toEqual(['caps', 'eval_daily_usd']);
    // An agent's caps are the factory's: eval's cap is the repository's alone.
    expect(ConfigSchema.safeParse({ agents: [{ name: 'gpt', caps: { eval_daily_usd: 1 } }] }).success).toBe(
      false,
    );
  });
});
