import { describe, expect, it } from 'vitest';
import {
  CAUSE_CLASSES,
  causeNote,
  causesBy,
  failureCause,
} from '../../../../scripts/core/record/failure-cause.ts';
import { attempt, record } from '../../../fixtures/run-records.ts';
import { sampleData } from '../../../fixtures/sample-data.ts';

const failed = (fields: Parameters<typeof record>[1]) =>
  failureCause(record('t', { state: 'failed', ...fields }));
const exhausted = {
  class: 'checks' as const,
  message: 'not approved with green checks after 3 iterations; raise max_iterations or refine the task',
};

describe('failureCause', () => {
  it('gives no class to a task that did not end failed, rejected or blocked', () => {
    for (const state of ['pending', 'merged', 'changes_requested', 'needs_human'] as const) {
      expect(failureCause(record('t', { state, last_error: exhausted }))).toBeUndefined();
    }
  });

  it('protocol: names the rule broken and the path', () => {
    const rejection = {
      rule: 'github_permission',
      path: '.github/x.yml',
      message: 'may not write under .github/',
    };
    expect(failureCause(record('t', { state: 'rejected', rejection }))).toEqual({
      class: 'protocol',
      detail: 'github_permission (.github/x.yml): may not write under .github/',
    });
    expect(
      failureCause(record('t', { state: 'rejected', rejection: { ...rejection, path: null } }))?.detail,
    ).toBe('github_permission: may not write under .github/');
    expect(failed({ last_error: { class: 'protocol', message: 'wrote outside files' } })).toEqual({
      class: 'protocol',
      detail: 'wrote outside files',
    });
  });

  it('review: changes requested until the iterations ran out, with the last review', () => {
    const attempts = [
      attempt({ kind: 'checks', result: 'passed' }),
      attempt({ kind: 'review', result: 'changes_requested', summary: 'first' }),
      attempt({ kind: 'checks', result: 'failed', output: 'later red' }),
      attempt({ kind: 'review', result: 'changes_requested', summary: 'still no tests' }),
    ];
    expect(failed({ last_error: exhausted, attempts })).toEqual({
      class: 'review',
      detail: 'still no tests',
    });
    const noSummary = [attempt({ kind: 'review', result: 'changes_requested' })];
    expect(failed({ last_error: exhausted, attempts: noSummary })?.detail).toBe(exhausted.message);
  });

  it('checks: never green, with the last failing output', () => {
    const attempts = [
      attempt({ kind: 'checks', result: 'failed', output: 'first red' }),
      attempt({ kind: 'review', result: 'changes_requested', summary: 'fix the tests' }),
      attempt({ kind: 'checks', result: 'failed', output: 'FAIL tests/a.test.ts' }),
    ];
    expect(failed({ last_error: exhausted, attempts })).toEqual({
      class: 'checks',
      detail: 'FAIL tests/a.test.ts',
    });
    const bare = [attempt({ kind: 'checks', result: 'failed', summary: 'exit 1' })];
    expect(failed({ last_error: exhausted, attempts: bare })?.detail).toBe('exit 1');
    const silent = [attempt({ kind: 'checks', result: 'failed' })];
    expect(failed({ last_error: exhausted, attempts: silent })?.detail).toBe(exhausted.message);
    const pending = {
      class: 'checks' as const,
      message: 'the checks of abc were still pending after 60 minutes',
    };
    expect(failed({ last_error: pending })).toEqual({ class: 'checks', detail: pending.message });
  });

  it('reads as one line, class first', () => {
    expect(causeNote({ class: 'budget', detail: 'per-task cap $1 reached' })).toBe(
      'budget: per-task cap $1 reached',
    );
  });

  it('budget', () => {
    expect(failed({ last_error: { class: 'budget', message: 'per-task cap $1 reached' } })?.class).toBe(
      'budget',
    );
  });

  it('provider: errors, timeouts, rate limits and refused keys', () => {
    for (const errorClass of ['auth', 'rate_limit', 'server', 'timeout', 'network'] as const) {
      expect(failed({ last_error: { class: errorClass, message: 'm' } })).toEqual({
        class: 'provider',
        detail: `${errorClass}: m`,
      });
    }
  });

  it('bad_output: no usable answer', () => {
    expect(failed({ last_error: { class: 'bad_output', message: 'no file blocks' } })?.class).toBe(
      'bad_output',
    );
  });

  it('dependency: a blocked task, with or without its message', () => {
    const last_error = { class: 'dependency' as const, message: 'dependency "a" ended failed' };
    expect(failureCause(record('t', { state: 'blocked', last_error }))).toEqual({
      class: 'dependency',
      detail: last_error.message,
    });
    expect(failureCause(record('t', { state: 'blocked' }))?.class).toBe('dependency');
  });

  it('person: a pull request closed or its branch deleted by a person', () => {
    const message = 'pull request #4 was closed by a person without merging; `retry` the task';
    for (const result of ['closed', 'branch_gone'] as const) {
      const attempts = [attempt({ kind: 'merge', result, output: message })];
      expect(failed({ last_error: { class: 'forge', message }, attempts })).toEqual({
        class: 'person',
        detail: message,
      });
    }
    const noOutput = [attempt({ kind: 'merge', result: 'closed' })];
    expect(failed({ last_error: { class: 'forge', message }, attempts: noOutput })?.detail).toBe(message);
    expect(failed({ last_error: null, attempts: noOutput })?.detail).toBe('closed by a person');
    const held = 'pull request #4 was closed by a person without merging';
    for (const errorClass of ['control_plane', 'checks'] as const) {
      expect(failed({ last_error: { class: errorClass, message: held } })?.class).toBe('person');
    }
    expect(
      failed({
        last_error: {
          class: 'control_plane',
          message: 'pull request was closed by a person without merging',
        },
      })?.class,
    ).toBe('person');
  });

  it('a model cannot pick "person" by the words of an error it caused', () => {
    const words = 'pull request #4 was closed by a person without merging';
    expect(failed({ last_error: { class: 'bad_output', message: words } })?.class).toBe('bad_output');
    expect(failed({ last_error: { class: 'checks', message: `${words}\nFAIL` } })?.class).toBe('checks');
  });

  it("forge and internal: not the agent's fault", () => {
    expect(failed({ last_error: { class: 'forge', message: 'the pull request is gone' } })?.class).toBe(
      'forge',
    );
    expect(failed({ last_error: { class: 'race', message: 'moved' } })?.class).toBe('forge');
    expect(failed({ last_error: { class: 'internal', message: 'bug' } })?.class).toBe('internal');
    expect(failed({ last_error: { class: 'control_plane', message: 'held' } })?.class).toBe('internal');
    expect(failed({ last_error: null })).toEqual({
      class: 'internal',
      detail: 'the record ends without an error',
    });
  });

  it('classes every failed, rejected or blocked task of the sample data', () => {
    const { records } = sampleData(200);
    const ended = records.filter((r) => ['failed', 'rejected', 'blocked'].includes(r.state));
    expect(ended.length).toBeGreaterThan(0);
    const seen = new Set(ended.map((r) => failureCause(r)?.class));
    expect(seen.has(undefined)).toBe(false);
    expect([...seen].every((c) => CAUSE_CLASSES.includes(c!))).toBe(true);
  });
});

describe('causesBy', () => {
  const rejected = {
    state: 'rejected' as const,
    rejection: { rule: 'outside_files', path: null, message: 'm' },
  };
  const records = [
    record('a', {
      ...rejected,
      attempts: [attempt({ kind: 'code', result: 'rejected', agent: 'gpt', model: 'gpt-5' })],
    }),
    record(
      'b',
      { ...rejected, attempts: [attempt({ kind: 'code', result: 'rejected', agent: null, model: null })] },
      'grok-fast',
    ),
    record('c', { state: 'blocked' }, 'grok-fast'),
    record('d', { state: 'merged' }),
    record('e', {
      state: 'failed',
      last_error: { class: 'timeout', message: 't' },
      attempts: [attempt({ kind: 'code', result: 'error', agent: 'gpt', model: 'gpt-5' })],
    }),
  ];

  it('counts ended tasks per agent and per class, the assignee standing in for an unnamed coder', () => {
    expect(causesBy(records, 'agent')).toEqual([
      { name: 'gpt', counts: { protocol: 1, provider: 1 } },
      { name: 'grok-fast', counts: { protocol: 1, dependency: 1 } },
    ]);
  });

  it('counts per provider:model, as the Models page names them, a task that never reached one under (no model)', () => {
    expect(causesBy(records, 'model')).toEqual([
      { name: '(no model)', counts: { protocol: 1, dependency: 1 } },
      { name: 'openai:gpt-5', counts: { protocol: 1, provider: 1 } },
    ]);
  });
});
