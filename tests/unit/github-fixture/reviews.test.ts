import { describe, expect, it } from 'vitest';
import { client, failure, openPull, owner, repo, useGitHub } from './harness.ts';

const reviewer = { token: 'ghp_fixtureReviewer', login: 'octo-reviewer' };

describe('GitHub fixture: reviews', () => {
  const h = useGitHub({
    seed: {
      'src/app.ts': Array.from({ length: 30 }, (_, i) => `line ${i + 1}`)
        .join('\n')
        .concat('\n'),
    },
    identities: [reviewer],
  });
  const changeLine20 = () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    lines[19] = 'line twenty';
    return { 'src/app.ts': `${lines.join('\n')}\n` };
  };

  it('records an approval from another identity, with line comments inside the diff', async () => {
    const number = await openPull(h, 'feature', changeLine20());
    const person = client(h.github, reviewer.token);
    const review = await person.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      event: 'APPROVE',
      body: 'Looks right.',
      comments: [
        { path: 'src/app.ts', line: 20, side: 'RIGHT', body: 'Good name.' },
        { path: 'src/app.ts', line: 18, body: 'Context line.' },
      ],
    });
    expect(review.data).toMatchObject({
      state: 'APPROVED',
      body: 'Looks right.',
      commit_id: await h.github.branch('feature'),
    });
    expect(review.data.user?.login).toBe('octo-reviewer');
    const listed = await h.author.pulls.listReviews({ owner, repo, pull_number: number });
    expect(listed.data.map((r) => [r.user?.login, r.state])).toEqual([['octo-reviewer', 'APPROVED']]);
    expect(h.github.pull(number)?.reviews[0]?.comments.map((c) => c.line)).toEqual([20, 18]);
  });

  it('refuses approval and change requests from the pull request author', async () => {
    const number = await openPull(h, 'feature', changeLine20());
    const approve = await failure(
      h.author.pulls.createReview({ owner, repo, pull_number: number, event: 'APPROVE' }),
    );
    expect(approve).toMatchObject({
      status: 422,
      data: { message: 'Unprocessable Entity', errors: ['Can not approve your own pull request'] },
    });
    const changes = await failure(
      h.author.pulls.createReview({
        owner,
        repo,
        pull_number: number,
        event: 'REQUEST_CHANGES',
        body: 'Fix it.',
      }),
    );
    expect(changes.data.errors).toEqual(['Can not request changes on your own pull request']);
    const comment = await h.author.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      event: 'COMMENT',
      body: 'Note.',
    });
    expect(comment.data.state).toBe('COMMENTED');
  });

  it('refuses an approval by GITHUB_TOKEN until the repository allows Actions to approve', async () => {
    const number = await openPull(h, 'feature', changeLine20());
    const refused = await failure(
      h.actions.pulls.createReview({ owner, repo, pull_number: number, event: 'APPROVE' }),
    );
    expect(refused.data.errors).toEqual(['GitHub Actions is not permitted to approve pull requests.']);
    const setting = await failure(
      h.actions.actions.getGithubActionsDefaultWorkflowPermissionsRepository({ owner, repo }),
    );
    expect(setting.status).toBe(403);
    h.github.settings.can_approve_pull_request_reviews = true;
    const approved = await h.actions.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      event: 'APPROVE',
    });
    expect(approved.data.state).toBe('APPROVED');
    const read = await h.author.actions.getGithubActionsDefaultWorkflowPermissionsRepository({ owner, repo });
    expect(read.data).toEqual({
      default_workflow_permissions: 'read',
      can_approve_pull_request_reviews: true,
    });
  });

  it('refuses a line comment outside the diff, and a comment on a file the pull request does not touch', async () => {
    const number = await openPull(h, 'feature', changeLine20());
    const person = client(h.github, reviewer.token);
    const outside = await failure(
      person.pulls.createReview({
        owner,
        repo,
        pull_number: number,
        event: 'COMMENT',
        body: 'x',
        comments: [{ path: 'src/app.ts', line: 2, side: 'RIGHT', body: 'far away' }],
      }),
    );
    expect(outside).toMatchObject({
      status: 422,
      data: { errors: ['Pull request review thread line must be part of the diff'] },
    });
    const otherFile = await failure(
      person.pulls.createReview({
        owner,
        repo,
        pull_number: number,
        event: 'COMMENT',
        body: 'x',
        comments: [{ path: 'README.md', line: 1, body: 'x' }],
      }),
    );
    expect(otherFile.data.errors).toContain('Pull request review thread path is invalid');
    expect(h.github.pull(number)?.reviews).toEqual([]);
  });

  it('requires a body for REQUEST_CHANGES and for a COMMENT without line comments', async () => {
    const number = await openPull(h, 'feature', changeLine20());
    const person = client(h.github, reviewer.token);
    const changes = await failure(
      person.pulls.createReview({ owner, repo, pull_number: number, event: 'REQUEST_CHANGES' }),
    );
    expect(changes.status).toBe(422);
    const comment = await failure(
      person.pulls.createReview({ owner, repo, pull_number: number, event: 'COMMENT' }),
    );
    expect(comment.status).toBe(422);
    const inline = await person.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      event: 'COMMENT',
      comments: [{ path: 'src/app.ts', line: 20, body: 'inline only' }],
    });
    expect(inline.data.state).toBe('COMMENTED');
    const requested = await person.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      event: 'REQUEST_CHANGES',
      body: 'Please rename.',
    });
    expect(requested.data.state).toBe('CHANGES_REQUESTED');
  });

  it('keeps a review without an event pending and visible only to its author', async () => {
    const number = await openPull(h, 'feature', changeLine20());
    const person = client(h.github, reviewer.token);
    const pending = await person.pulls.createReview({ owner, repo, pull_number: number, body: 'draft' });
    expect(pending.data.state).toBe('PENDING');
    expect((await h.author.pulls.listReviews({ owner, repo, pull_number: number })).data).toEqual([]);
    expect((await person.pulls.listReviews({ owner, repo, pull_number: number })).data).toHaveLength(1);
  });
});
