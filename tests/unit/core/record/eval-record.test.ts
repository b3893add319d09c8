import { describe, expect, it } from 'vitest';
import { type EvalRun, EvalRunSchema } from '../../../../scripts/core/record/eval-record.ts';

const run: EvalRun = {
  version: 1,
  run_id: '20261207T101500Z-a1b2',
  agent: 'gpt',
  model: 'openai:gpt-5',
  started_at: '2026-12-07T10:15:00Z',
  finished_at: null,
  task_ids: ['task_1', 'task_2'],
  cases: [
    {
      task_id: 'task_1',
      base_sha: 'abc1234',
      accepted_sha: 'def5678',
      status: 'done',
      own_checks: 'pass',
      hidden_tests: 'fail',
      hidden_test_files: ['tests/a.test.js'],
      diff_lines: 4,
      accepted_diff_lines: 9,
      tokens: { input: 100, output: 20 },
      cost_usd: 0.01,
      duration_ms: 1200,
      finished_at: '2026-12-07T10:16:00Z',
    },
  ],
  stopped_by_cap: false,
};

describe('eval record', () => {
  it('accepts a run in progress', () => {
    expect(EvalRunSchema.parse(run)).toEqual(run);
  });

  it('refuses a run id that could leave shared/evals', () => {
    const parsed = EvalRunSchema.safeParse({ ...run, run_id: '../../etc/passwd' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('eval run id');
  });

  it('refuses a base that is not a commit id', () => {
    const bad = { ...run, cases: [{ ...run.cases[0], base_sha: 'main; rm -rf /' }] };
    expect(EvalRunSchema.safeParse(bad).success).toBe(false);
  });
});
