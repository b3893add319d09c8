import { describe, expect, it } from 'vitest';
import { judgeChecks } from '../../../../scripts/forge/github/checks.ts';
import { parseReviewBody, reviewBody } from '../../../../scripts/forge/github/reviews.ts';
import type { PostedReview } from '../../../../scripts/forge/types.ts';

const review: PostedReview = {
  agent: 'gemini-pro',
  verdict: 'request_changes',
  summary: 'Closes the comment early? --> no <!-- nor this',
  comments: [{ path: 'src/a.ts', line: 3, body: 'a --> b' }],
  commit: 'a'.repeat(40),
  iteration: 2,
};

describe('github forge: the review marker', () => {
  it('survives a summary and comments that look like HTML comment ends', () => {
    const body = reviewBody(review, review.comments);
    expect(body.match(/-->/g)).toHaveLength(3); // the summary's, the comment's, and the marker's own
    expect(parseReviewBody(body)).toEqual(review);
  });

  it('ignores reviews without a marker or with a damaged one', () => {
    expect(parseReviewBody('LGTM')).toBeUndefined();
    expect(parseReviewBody(null)).toBeUndefined();
    expect(parseReviewBody('<!-- aifactory:review {"commit":1} -->')).toBeUndefined();
    expect(parseReviewBody('<!-- aifactory:review {not json} -->')).toBeUndefined();
  });
});

describe('github forge: judging checks', () => {
  const run = (conclusion: string | null, status = 'completed') => ({
    name: 'ci',
    status,
    conclusion,
    output: { title: `ci ${conclusion}`, summary: null },
  });

  it('is missing without checks unless the config expects none, and ignores the factory own review status', () => {
    expect(judgeChecks([], [], { head: 'abc' })).toMatchObject({
      state: 'missing',
      output: expect.stringMatching(/^no checks reported for abc; /),
    });
    expect(judgeChecks([], [], { expected: false })).toEqual({ state: 'none', output: '' });
    const review = [{ context: 'aifactory/review', state: 'failure', description: null }];
    expect(judgeChecks([], review).state).toBe('missing');
    expect(judgeChecks([], review, { expected: false }).state).toBe('none');
    // Checks branch protection requires are expected whatever the config says.
    expect(judgeChecks([], [], { expected: false, required: ['ci'] })).toMatchObject({
      state: 'missing',
      output: expect.stringContaining('branch protection requires "ci"'),
    });
  });

  it('is green when every run succeeded, was neutral or skipped, and every status is success', () => {
    expect(judgeChecks([run('success'), run('neutral'), run('skipped')], []).state).toBe('passed');
    expect(
      judgeChecks([run('success')], [{ context: 'lint', state: 'pending', description: null }]).state,
    ).toBe('pending');
    expect(judgeChecks([run(null, 'in_progress')], []).state).toBe('pending');
  });

  it('is red on any failed, cancelled or timed-out run, or a failed status, with what failed', () => {
    for (const conclusion of ['failure', 'cancelled', 'timed_out', 'action_required'])
      expect(judgeChecks([run('success'), run(conclusion)], []).state).toBe('failed');
    const report = judgeChecks([], [{ context: 'lint', state: 'error', description: 'eslint crashed' }]);
    expect(report).toEqual({ state: 'failed', output: 'lint: error eslint crashed' });
  });
});
