import { describe, expect, it } from 'vitest';
import { operationById } from '../../fixtures/github/openapi.ts';
import { checkRequest, checkResponse } from '../../fixtures/github/validate.ts';
import { commitFiles, failure, openPull, owner, repo, untyped, useGitHub } from './harness.ts';

describe('GitHub fixture: requests are checked against GitHub’s OpenAPI description', () => {
  const h = useGitHub();

  it('refuses and records a misspelt body field (bodies are closed)', async () => {
    await commitFiles(h.author, 'feature', { 'a.txt': 'a\n' });
    const refused = await failure(
      untyped(h.author, 'POST /repos/{owner}/{repo}/pulls', {
        owner,
        repo,
        titel: 'x',
        head: 'feature',
        base: 'main',
      }),
    );
    expect(refused.status).toBe(422);
    expect(refused.data.message).toBe('Invalid request.\n\n"titel" is not a permitted key.');
    expect(refused.data.errors).toEqual([
      { code: 'invalid', field: 'titel', message: '"titel" is not a permitted key.' },
    ]);
    expect(h.github.takeInvalid()).toEqual([
      {
        method: 'POST',
        path: `/repos/${owner}/${repo}/pulls`,
        reason: 'Invalid request. "titel" is not a permitted key.',
      },
    ]);
    expect(h.github.pulls).toEqual([]);
  });

  it('closes nested objects too: a misspelt key inside a tree entry or a review comment', async () => {
    const main = (await h.github.branch('main')) ?? '';
    const tree = await failure(
      untyped(h.author, 'POST /repos/{owner}/{repo}/git/trees', {
        owner,
        repo,
        base_tree: main,
        tree: [{ path: 'a', mode: '100644', type: 'blob', contnet: 'x' }],
      }),
    );
    expect(tree.status).toBe(422);
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const review = await failure(
      untyped(h.author, 'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
        owner,
        repo,
        pull_number: number,
        event: 'COMMENT',
        body: 'x',
        comments: [{ path: 'a.txt', lin: 1, body: 'x' }],
      }),
    );
    expect(review.data.message).toBe('Invalid request.\n\n"lin" is not a permitted key.');
    expect(h.github.takeInvalid().map((entry) => entry.reason)).toEqual([
      'Invalid request. "contnet" is not a permitted key.',
      'Invalid request. "lin" is not a permitted key.',
    ]);
  });

  it('refuses a missing required field, a wrong type and a value outside an enum', async () => {
    const sha = (await h.github.branch('main')) ?? '';
    const missing = await failure(
      untyped(h.author, 'PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        owner,
        repo,
        ref: 'heads/main',
        force: true,
      }),
    );
    expect(missing.data.message).toBe('Invalid request.\n\n"sha" wasn\'t supplied.');
    const type = await failure(
      untyped(h.author, 'PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        owner,
        repo,
        ref: 'heads/main',
        sha,
        force: 'yes',
      }),
    );
    expect(type.data.message).toBe('Invalid request.\n\nFor \'force\', "yes" is not boolean.');
    const state = await failure(
      untyped(h.author, 'POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha, state: 'green' }),
    );
    expect(state.status).toBe(422);
    expect(h.github.takeInvalid()).toHaveLength(3);
  });

  it('answers 404 for a route GitHub does not have and records it', async () => {
    const refused = await failure(
      untyped(h.author, 'GET /repos/{owner}/{repo}/pulls/{pull_number}/merge-status', {
        owner,
        repo,
        pull_number: 1,
      }),
    );
    expect(refused).toMatchObject({
      status: 404,
      data: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
    });
    const method = await failure(
      untyped(h.author, 'DELETE /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: 1 }),
    );
    expect(method.status).toBe(404);
    expect(h.github.takeInvalid().map((entry) => [entry.method, entry.reason])).toEqual([
      ['GET', 'no such operation in the OpenAPI subset'],
      ['DELETE', 'no such operation in the OpenAPI subset'],
    ]);
  });

  it('answers 404 for a path parameter of the wrong type, and 422 for a bad query value', async () => {
    expect(
      (
        await failure(
          untyped(h.author, 'GET /repos/{owner}/{repo}/pulls/{pull_number}', {
            owner,
            repo,
            pull_number: 'abc',
          }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await failure(untyped(h.author, 'GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'merged' })))
        .status,
    ).toBe(422);
    expect(h.github.takeInvalid()).toHaveLength(2);
  });

  it('serves a request with an unknown query parameter, as GitHub ignores it, but records it', async () => {
    const listed = (await untyped(h.author, 'GET /repos/{owner}/{repo}/pulls', {
      owner,
      repo,
      branch: 'x',
    })) as {
      status: number;
    };
    expect(listed.status).toBe(200);
    expect(h.github.takeInvalid()).toEqual([
      {
        method: 'GET',
        path: `/repos/${owner}/${repo}/pulls`,
        reason: 'query parameter "branch" is not in the spec (GitHub ignores it)',
      },
    ]);
  });

  it('records a body that is not JSON', async () => {
    const response = await fetch(`${h.github.url}/repos/${owner}/${repo}/git/blobs`, {
      method: 'POST',
      headers: { authorization: `token ${h.github.authorToken}`, 'content-type': 'application/json' },
      body: '{"content": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe('Problems parsing JSON');
    expect(h.github.takeInvalid().map((entry) => entry.reason)).toEqual(['request body is not JSON']);
  });

  it('validates GraphQL documents against GitHub’s schema and records invalid ones', async () => {
    const refused = await h.author
      .graphql(
        'query { repository(owner: "aifactory-test", name: "demo") { pullRequest(number: 1) { idd } } }',
      )
      .catch((error: { errors: Array<{ message: string }> }) => error);
    expect(refused).toMatchObject({
      errors: [{ message: 'Cannot query field "idd" on type "PullRequest". Did you mean "id"?' }],
    });
    const mutation = await h.author
      .graphql(
        'mutation { enablePullRequestAutoMerge(input: { pullRequestId: "x", mergeMethod: SQUISH }) { clientMutationId } }',
      )
      .catch((error: { errors: unknown[] }) => error);
    expect(mutation).toHaveProperty('errors');
    const reasons = h.github.takeInvalid().map((entry) => entry.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^GraphQL: Cannot query field "idd" on type "PullRequest"/);
    expect(reasons[1]).toMatch(/^GraphQL: Value "SQUISH" does not exist in "PullRequestMergeMethod" enum/);
  });
});

describe('GitHub fixture: the validators themselves', () => {
  it('accept a GitHub-shaped response and name what is wrong with a broken one', () => {
    const getRef = operationById('git/get-ref');
    const good = {
      ref: 'refs/heads/main',
      node_id: 'REF_x',
      url: 'https://x.invalid/r',
      object: { type: 'commit', sha: 'a'.repeat(40), url: 'https://x.invalid/c' },
    };
    expect(checkResponse(getRef, 200, good)).toBeUndefined();
    expect(checkResponse(getRef, 200, { ...good, object: { ...good.object, sha: 'short' } })).toMatch(
      /\/object\/sha/,
    );
    expect(checkResponse(getRef, 201, good)).toBe('status 201 is not a documented response of git/get-ref');
  });

  it('fill query defaults and coerce query types as GitHub reads them', () => {
    const checked = checkRequest(operationById('pulls/list'), { owner, repo }, { per_page: '5' }, undefined);
    expect(checked.refusal).toBeUndefined();
    expect(checked.query).toMatchObject({ per_page: 5, state: 'open' });
  });
});
