import { describe, expect, it } from 'vitest';
import { branchFor, taskOfBranch } from '../../../../scripts/core/record/record-ops.ts';
import {
  ciRunFrom,
  ciRunFromStatus,
  mergeCiRuns,
  recordChecksBeside,
} from '../../../../scripts/core/status/ci-runs.ts';
import type { CiRun } from '../../../../scripts/core/status/snapshot-schema.ts';

const base = {
  name: 'CI',
  url: 'https://github.test/run/1',
  head_sha: 'abc',
  started_at: '2026-12-01T10:00:00Z',
};

describe('ciRunFrom', () => {
  it.each([
    ['completed', 'success', 'completed', 'success'],
    ['completed', 'cancelled', 'completed', 'cancelled'],
    ['completed', 'skipped', 'completed', 'skipped'],
    ['completed', 'neutral', 'completed', 'skipped'],
    ['completed', 'timed_out', 'completed', 'failure'],
    ['completed', 'action_required', 'completed', 'failure'],
    ['completed', null, 'completed', 'failure'],
    ['in_progress', null, 'in_progress', null],
    ['waiting', null, 'queued', null],
    [null, null, 'queued', null],
  ] as const)('reads GitHub status %s and conclusion %s as %s / %s', (status, conclusion, shown, verdict) => {
    expect(ciRunFrom({ ...base, status, conclusion })).toEqual({
      ...base,
      status: shown,
      conclusion: verdict,
    });
  });

  it('keeps only http(s) links: a hostile target_url never reaches the dashboard', () => {
    for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,x', '//evil.test/x']) {
      expect(ciRunFrom({ ...base, status: 'completed', conclusion: 'success', url }).url).toBeNull();
    }
    expect(ciRunFrom({ ...base, status: 'completed', conclusion: 'success', url: null }).url).toBeNull();
    expect(ciRunFrom({ ...base, status: 'completed', conclusion: 'success' }).url).toBe(base.url);
  });

  it('reads a commit status: pending is in progress, error is a failure', () => {
    const status = { name: 'lint', url: null, head_sha: 'abc', started_at: base.started_at };
    expect(ciRunFromStatus({ ...status, state: 'pending' })).toMatchObject({
      status: 'in_progress',
      conclusion: null,
    });
    expect(ciRunFromStatus({ ...status, state: 'error' })).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
    });
    expect(ciRunFromStatus({ ...status, state: 'success' })).toMatchObject({ conclusion: 'success' });
  });
});

describe('mergeCiRuns', () => {
  const run = (name: string, started_at: string, conclusion: CiRun['conclusion'] = 'success'): CiRun => ({
    name,
    status: 'completed',
    conclusion,
    url: null,
    head_sha: null,
    started_at,
  });

  it('replaces a run by name, keeps the others, and sorts newest first with ties by name', () => {
    const previous = [
      run('checks · a', '2026-12-01T00:00:00Z', 'failure'),
      run('factory', '2026-12-01T01:00:00Z'),
    ];
    const fresh = [run('checks · b', '2026-12-02T00:00:00Z'), run('checks · a', '2026-12-02T00:00:00Z')];
    expect(mergeCiRuns(previous, fresh).map((r) => [r.name, r.conclusion])).toEqual([
      ['checks · a', 'success'],
      ['checks · b', 'success'],
      ['factory', 'success'],
    ]);
  });

  it('orders runs that started at the same time by name, whatever order they come in', () => {
    const same = '2026-12-02T00:00:00Z';
    for (const names of [
      ['b', 'a'],
      ['a', 'b'],
    ]) {
      expect(
        mergeCiRuns(
          [],
          names.map((name) => run(name, same)),
        ).map((r) => r.name),
      ).toEqual(['a', 'b']);
    }
  });

  it('keeps only the newest runs', () => {
    const many = Array.from({ length: 5 }, (_, i) => run(`r${i}`, `2026-12-0${i + 1}T00:00:00Z`));
    expect(mergeCiRuns([], many, 2).map((r) => r.name)).toEqual(['r4', 'r3']);
    expect(mergeCiRuns(many, [])).toHaveLength(5);
  });
});

describe('taskOfBranch', () => {
  it('is the inverse of branchFor, and leaves any other branch as it is', () => {
    expect(taskOfBranch(branchFor('task_7'))).toBe('task_7');
    expect(taskOfBranch('feature/x')).toBe('feature/x');
  });
});

describe('recordChecksBeside', () => {
  const run = (name: string, url: string | null): CiRun => ({
    name,
    status: 'completed',
    conclusion: 'success',
    url,
    head_sha: null,
    started_at: '2026-12-01T00:00:00Z',
  });

  it('leaves out a record-made line for a task whose checks the forge reported with links', () => {
    const previous = [
      run('ci · a', 'https://github.test/a'),
      run('checks · b', null),
      run('CI', 'https://github.test/r'),
    ];
    const fromRecords = [run('checks · a', null), run('checks · b', null), run('checks · c', null)];
    expect(recordChecksBeside(previous, fromRecords).map((r) => r.name)).toEqual([
      'checks · b',
      'checks · c',
    ]);
  });
});
