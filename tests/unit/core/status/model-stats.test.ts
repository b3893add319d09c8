import { describe, expect, it } from 'vitest';
import type { EvalCase, EvalRun } from '../../../../scripts/core/record/eval-record.ts';
import { codedBy } from '../../../../scripts/core/record/record-ops.ts';
import type { Attempt, RunRecord } from '../../../../scripts/core/record/run-record.ts';
import {
  buildModels,
  causesByWeek,
  evalFigures,
  mondayOf,
  revertedIn,
  revertedTasks,
} from '../../../../scripts/core/status/model-stats.ts';
import { ModelsSchema, type Revert } from '../../../../scripts/core/status/snapshot-schema.ts';
import { attempt, record } from '../../../fixtures/run-records.ts';

const code = (fields: Partial<Attempt> = {}) => attempt({ kind: 'code', result: 'proposed', ...fields });
const checks = (result: Attempt['result'], iteration = 1) => attempt({ kind: 'checks', result, iteration });

/** A merged task: created at 09:00, merged `minutes` later, after `iterations`, costing `usd`. */
function merged(
  id: string,
  fields: { usd?: number; minutes?: number; iterations?: number; sha?: string } = {},
) {
  const at = new Date(Date.parse('2026-12-01T09:00:00Z') + (fields.minutes ?? 60) * 60_000).toISOString();
  return record(id, {
    state: 'merged',
    iteration: fields.iterations ?? 1,
    merged_at: at,
    merge_commit: fields.sha ?? `${id.charCodeAt(0).toString(16)}`.padEnd(40, '0'),
    attempts: [code({ cost_usd: fields.usd ?? 0 }), checks('passed')],
  });
}

const revert = (commit: string, reverted: string, day = '2026-12-02'): Revert => ({ commit, reverted, day });

function evalCase(task: string, fields: Partial<EvalCase> = {}): EvalCase {
  return {
    task_id: task,
    base_sha: 'abc1234',
    accepted_sha: 'def5678',
    status: 'done',
    own_checks: 'pass',
    hidden_tests: 'pass',
    hidden_test_files: ['tests/a.test.js'],
    diff_lines: 4,
    accepted_diff_lines: 6,
    tokens: { input: 10, output: 5 },
    cost_usd: 0.01,
    duration_ms: 100,
    finished_at: '2026-12-07T10:16:00Z',
    ...fields,
  };
}

function evalRun(fields: Partial<EvalRun> = {}): EvalRun {
  return {
    version: 1,
    run_id: '20261207T101500Z-a1b2',
    agent: 'gpt',
    model: 'openai:gpt-5',
    started_at: '2026-12-07T10:15:00Z',
    finished_at: '2026-12-07T10:30:00Z',
    task_ids: ['t1'],
    cases: [evalCase('t1')],
    stopped_by_cap: false,
    ...fields,
  };
}

describe('who a task counts under', () => {
  it('is the agent and provider:model of the last proposal a model answered', () => {
    const task = record('t', {
      attempts: [
        code({ agent: 'gpt', provider: 'openai', model: 'gpt-5' }),
        code({ agent: 'grok-fast', provider: 'xai', model: 'grok-4' }),
        code({ agent: 'grok-fast', provider: null, model: null, result: 'error' }),
      ],
    });
    expect(codedBy(task)).toEqual({ agent: 'grok-fast', model: 'xai:grok-4' });
    expect(codedBy(record('n', { attempts: [checks('passed')] }))).toBeUndefined();
    expect(codedBy(record('p', { attempts: [code({ provider: null })] }))).toEqual({
      agent: 'gpt',
      model: 'unknown:gpt-5',
    });
  });
});

describe('reverts', () => {
  it("reads git's own revert lines, and no mention of one inside a line", () => {
    const message = [
      'Revert "Merge task a: x"',
      '',
      'This reverts commit 0123456789abcdef0123456789abcdef01234567, reversing',
      'changes made to 1111111.',
      'This reverts commit abcdef1',
      'It is said: This reverts commit 2222222',
    ].join('\n');
    expect(revertedIn(message)).toEqual(['0123456789abcdef0123456789abcdef01234567', 'abcdef1']);
    expect(revertedIn('This reverts commit xyz1234567')).toEqual([]);
  });

  it('counts a reverted merge as reverted, and a reverted revert as merged again', () => {
    const a = merged('a', { sha: 'a'.repeat(40) });
    const b = merged('b', { sha: 'b'.repeat(40) });
    const c = merged('c', { sha: 'c'.repeat(40) });
    const reverts = [
      revert('1'.repeat(40), 'a'.repeat(40)),
      revert('2'.repeat(40), 'b'.repeat(7)), // abbreviated by hand
      revert('3'.repeat(40), '2'.repeat(40)), // reverts the revert of b
      revert('4'.repeat(40), '9'.repeat(40)), // no factory merge
    ];
    expect([...revertedTasks([a, b, c], reverts)]).toEqual(['a']);
    // One commit that reverts two reverts (its message names both) gives both merges back.
    const both = [
      revert('1'.repeat(40), 'a'.repeat(40)),
      revert('2'.repeat(40), 'b'.repeat(40)),
      revert('3'.repeat(40), '1'.repeat(40)),
      revert('3'.repeat(40), '2'.repeat(40)),
    ];
    expect(revertedTasks([a, b, c], both).size).toBe(0);
  });

  it("never counts a factory merge as a revert, whatever its task's title says", () => {
    const victim = merged('v', { sha: 'a'.repeat(40) });
    // The attacker's merge commit carries its title; a revert line there must not count.
    const attacker = merged('x', { sha: 'e'.repeat(40) });
    expect(revertedTasks([victim, attacker], [revert('e'.repeat(40), 'a'.repeat(40))]).size).toBe(0);
  });

  it('ends a cycle forged into a file instead of looping', () => {
    const a = merged('a', { sha: 'a'.repeat(40) });
    const reverts = [
      revert('1'.repeat(40), 'a'.repeat(40)),
      revert('2'.repeat(40), '1'.repeat(40)),
      revert('1'.repeat(40), '2'.repeat(40)),
      revert('5'.repeat(40), '5'.repeat(40)),
    ];
    expect(() => revertedTasks([a], reverts)).not.toThrow();
    expect(
      revertedTasks([a], [revert('5'.repeat(40), 'a'.repeat(40)), revert('5'.repeat(40), '5'.repeat(40))]),
    ).toEqual(new Set(['a']));
  });
});

describe('the Models table', () => {
  it('gives each figure with its count, as a hand computation from the records does', () => {
    const records: RunRecord[] = [
      merged('a', { usd: 0.1, minutes: 30, iterations: 1 }),
      merged('b', { usd: 0.3, minutes: 90, iterations: 2 }),
      merged('c', { usd: 0.2, minutes: 60, iterations: 3 }),
      merged('d', { usd: 9, minutes: 5, sha: 'd'.repeat(40) }), // reverted later
      record('e', {
        state: 'failed',
        last_error: { class: 'checks', message: 'never green' },
        attempts: [code(), checks('failed'), code({ iteration: 2 }), checks('passed', 2)],
      }),
      // The forge lost it: not the agent's fault, so not counted in its merged rate.
      record('f', {
        state: 'failed',
        last_error: { class: 'forge', message: 'the pull request is gone' },
        attempts: [code(), checks('error')],
      }),
      record('g', { state: 'needs_human', attempts: [code(), checks('passed', 2)] }),
      record('h', {
        state: 'merged',
        iteration: 1,
        merged_at: null,
        merge_commit: null,
        attempts: [code({ cost_usd: 0.4 })],
      }),
    ];
    const models = buildModels({
      records,
      evals: [],
      reverts: [revert('1'.repeat(40), 'd'.repeat(40))],
    });
    expect(ModelsSchema.parse(models)).toEqual(models);
    expect(models.rows).toEqual([
      {
        agent: 'gpt',
        model: 'openai:gpt-5',
        tasks: 8,
        small_sample: true,
        // a, b, c, d passed first; e failed first; g's first checks ran on iteration 2; f errored.
        first_try_green: { count: 4, of: 6 },
        // Kept merges a, b, c, h: iterations 1, 2, 3, 1.
        iterations_to_merge: { median: 1.5, of: 4 },
        // Ended: a, b, c, d, e, h (f is the forge's); kept: a, b, c, h; d reverted.
        merged: { count: 4, of: 6, reverted: 1 },
        cost_per_merged_usd: { median: 0.25, of: 4 },
        // h has no merge time.
        minutes_to_merge: { median: 60, of: 3 },
        eval: null,
      },
    ]);
  });

  it('marks ten tasks or more as enough, and rows only known from an eval', () => {
    const records = Array.from({ length: 10 }, (_, i) => merged(`t${i}`));
    const models = buildModels({
      records,
      evals: [evalRun({ agent: 'gpt', model: 'xai:grok-4' })],
      reverts: [],
    });
    expect(models.rows.map((row) => [row.model, row.tasks, row.small_sample])).toEqual([
      ['openai:gpt-5', 10, false],
      ['xai:grok-4', 0, true],
    ]);
    expect(models.rows[1]).toMatchObject({
      first_try_green: { count: 0, of: 0 },
      merged: { count: 0, of: 0, reverted: 0 },
      cost_per_merged_usd: { median: null, of: 0 },
      eval: { tasks: 1 },
    });
  });

  it('sorts rows by agent, then model, and keeps each revert once, by day', () => {
    const records = [
      record('z', { attempts: [code({ agent: 'zeta' })] }, 'zeta'),
      record('y', { attempts: [code({ model: 'gpt-4' })] }),
      record('x', { attempts: [code()] }),
    ];
    const reverts = [
      revert('2'.repeat(40), '9'.repeat(40), '2026-12-03'),
      revert('1'.repeat(40), '8'.repeat(40)),
    ];
    const models = buildModels({ records, evals: [], reverts: [...reverts, reverts[0]!] });
    expect(models.rows.map((row) => `${row.agent} ${row.model}`)).toEqual([
      'gpt openai:gpt-4',
      'gpt openai:gpt-5',
      'zeta openai:gpt-5',
    ]);
    expect(models.reverts).toEqual([reverts[1], reverts[0]]);
    const same = [revert('2'.repeat(40), '9'.repeat(40)), revert('1'.repeat(40), '8'.repeat(40))];
    expect(buildModels({ records, evals: [], reverts: same }).reverts.map((r) => r.commit[0])).toEqual([
      '1',
      '2',
    ]);
  });
});

describe('eval figures', () => {
  it('shows the newest eval of each agent and model, with its date and counts', () => {
    const old = evalRun({ run_id: '20261201T101500Z-a1b2', started_at: '2026-12-01T10:15:00Z' });
    const tie = evalRun({ run_id: '20261207T101500Z-zzzz', cases: [] });
    const newest = evalRun();
    for (const evals of [
      [old, newest, tie],
      [tie, newest, old],
    ]) {
      const row = buildModels({ records: [], evals, reverts: [] }).rows[0]!;
      expect(row.eval?.run_id).toBe('20261207T101500Z-zzzz');
    }
    expect(buildModels({ records: [], evals: [newest, old], reverts: [] }).rows[0]!.eval).toEqual({
      run_id: '20261207T101500Z-a1b2',
      date: '2026-12-07T10:30:00Z',
      finished: true,
      stopped_by_cap: false,
      tasks: 1,
      own_checks: { count: 1, of: 1 },
      hidden_tests: { count: 1, of: 1 },
    });
  });

  it('counts a case without an answer as failing, and leaves out what had nothing to run', () => {
    const figures = evalFigures(
      evalRun({
        finished_at: null,
        stopped_by_cap: true,
        cases: [
          evalCase('good'),
          evalCase('lazy', { hidden_tests: 'fail' }),
          evalCase('silent', { status: 'no_answer', own_checks: 'none', hidden_tests: 'pass' }),
          evalCase('broken', { status: 'error', own_checks: 'error', hidden_tests: 'none' }),
          evalCase('untested', { own_checks: 'none', hidden_tests: 'none', hidden_test_files: [] }),
          // Written twice by a resumed run: the last case counts, once.
          evalCase('twice', { own_checks: 'fail' }),
          evalCase('twice', { own_checks: 'pass' }),
        ],
      }),
    );
    expect(figures).toEqual({
      run_id: '20261207T101500Z-a1b2',
      date: '2026-12-07T10:15:00Z',
      finished: false,
      stopped_by_cap: true,
      tasks: 6,
      // good, lazy, twice pass; silent and broken count as not passed; untested had no checks.
      own_checks: { count: 3, of: 5 },
      // good and twice pass; lazy fails; silent gave no answer; broken too; untested brought none.
      hidden_tests: { count: 2, of: 5 },
    });
  });
});

describe('causes by week', () => {
  it('counts ended tasks per week, agent and model, newest week first', () => {
    const failed = (id: string, updated: string, fields: Partial<RunRecord> = {}) =>
      record(id, {
        state: 'failed',
        updated_at: updated,
        last_error: { class: 'timeout', message: 'timed out' },
        attempts: [code()],
        ...fields,
      });
    const records = [
      failed('a', '2026-11-29T23:00:00Z'), // a Sunday: the week of Monday 23rd
      failed('b', '2026-11-30T08:00:00Z'),
      failed('c', '2026-12-01T08:00:00Z', { attempts: [code({ agent: 'grok-fast', provider: 'xai' })] }),
      failed('d', '2026-12-02T08:00:00Z', { last_error: { class: 'bad_output', message: 'nothing' } }),
      record('e', { state: 'blocked', updated_at: '2026-12-02T08:00:00Z' }, 'gemini-pro'),
      record('f', { state: 'merged', attempts: [code()] }),
    ];
    expect(causesByWeek(records)).toEqual([
      { week: '2026-11-30', agent: 'gemini-pro', model: '(no model)', counts: { dependency: 1 } },
      { week: '2026-11-30', agent: 'gpt', model: 'openai:gpt-5', counts: { provider: 1, bad_output: 1 } },
      { week: '2026-11-30', agent: 'grok-fast', model: 'xai:gpt-5', counts: { provider: 1 } },
      { week: '2026-11-23', agent: 'gpt', model: 'openai:gpt-5', counts: { provider: 1 } },
    ]);
    expect(mondayOf('2026-12-06T12:00:00Z')).toBe('2026-11-30');
    expect(mondayOf('2026-11-30T00:00:00Z')).toBe('2026-11-30');
  });
});
