import { describe, expect, it } from 'vitest';
import { FactoryError, isTransient } from '../../../../scripts/core/errors.ts';
import { controlPlaneChanges } from '../../../../scripts/core/protocol/control-plane.ts';
import { permissionFor, toFactoryError } from '../../../../scripts/forge/github/client.ts';
import { githubConfigFromEnv } from '../../../../scripts/forge/github/config.ts';
import { limitEnd } from '../../../../scripts/forge/github/write-stop.ts';
import { createForge } from '../../../../scripts/forge/index.ts';
import { gpt, push, secondForge, useGitHubForge } from './github-harness.ts';

const start = useGitHubForge();

async function classOf(promise: Promise<unknown>): Promise<FactoryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  return error as FactoryError;
}

describe('github forge: faults and limits', () => {
  it('waits out a secondary rate limit as long as retry-after says, then retries', async () => {
    // Throttling on, as in production; one retry-after second is 200 ms here.
    const { github, forge } = await start({}, { client: { retryAfterBaseValue: 200 } });
    github.inject({ kind: 'secondary-rate-limit', retryAfter: 1 }, { operationId: 'repos/get-content' });
    const began = Date.now();
    expect(await forge.readFile('README.md')).toBe('# demo\n');
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    expect(github.calls('repos/get-content').map((call) => call.status)).toEqual([403, 200]);
    expect(github.invalid).toEqual([]);
  });

  it('stops every later write when a secondary limit asks for longer than a run waits', async () => {
    // Throttling on, as in production: its onSecondaryRateLimit does not wait an hour.
    const { github, forge } = await start({}, { client: { retryAfterBaseValue: 1 } });
    github.inject({ kind: 'secondary-rate-limit', retryAfter: 3600 }, { operationId: 'git/create-tree' });
    const began = Date.now();
    const first = await classOf(push(forge, 'one\n'));
    expect(first.errorClass).toBe('rate_limit');
    const again = Date.parse(/allows requests again at (\S+?);/.exec(first.message)?.[1] ?? '');
    expect(again - began).toBeGreaterThanOrEqual(3_599_000);
    // Another task's push, and a forge of its own in the same process (the run's state commit).
    const second = await classOf(push(forge, 'two\n', 'aifactory/u'));
    expect(second.message).toContain("rate limit stopped the factory's writes until");
    const other = secondForge(github);
    const third = await classOf(
      other.commitToDefaultBranch({
        changes: [{ path: 'shared/x.json', content: '{}' }],
        message: 'm',
        author: gpt,
      }),
    );
    expect(third.errorClass).toBe('rate_limit');
    const limited = github.requests.findIndex((request) => request.fault === 'secondary-rate-limit');
    expect(github.requests.slice(limited + 1).filter((request) => request.method !== 'GET')).toEqual([]);
    // Reads go on: a paused task still sees where it is.
    expect(await forge.readFile('README.md')).toBe('# demo\n');
    expect(Date.now() - began).toBeLessThan(5000);
    expect(github.invalid).toEqual([]);
  });

  it('re-reads and retries a ref update that GitHub answers 409 once, and pauses on a second', async () => {
    const { github, forge } = await start();
    await push(forge, 'one\n');
    github.inject({ kind: 'conflict' }, { operationId: 'git/update-ref' });
    const head = await push(forge, 'two\n');
    expect(await github.branch('aifactory/t')).toBe(head);
    expect(await github.readFile('aifactory/t', 'src/a.txt')).toBe('two\n');
    expect(github.calls('git/update-ref').map((call) => call.status)).toEqual([409, 200]);
    github.inject({ kind: 'conflict' }, { operationId: 'git/update-ref', times: 2 });
    const error = await classOf(push(forge, 'three\n'));
    expect(error.errorClass).toBe('race');
    expect(isTransient(error)).toBe(true);
    expect(await github.branch('aifactory/t')).toBe(head);
    expect(github.invalid).toEqual([]);
  });

  it('turns a 429 that does not clear into a rate_limit error that pauses the task', async () => {
    const { github, forge } = await start({}, { client: { retryAfterBaseValue: 1 } });
    github.inject(
      { kind: 'too-many-requests', retryAfter: 1 },
      { operationId: 'repos/get-content', times: 100 },
    );
    const error = await classOf(forge.readFile('README.md'));
    expect(error.errorClass).toBe('rate_limit');
    expect(isTransient(error)).toBe(true);
    expect(github.invalid).toEqual([]);
  });

  it('turns a 502 that does not clear into a transient server error', async () => {
    const { github, forge } = await start();
    github.inject({ kind: 'server-error', status: 502 }, { operationId: 'repos/get-content', times: 10 });
    const error = await classOf(forge.readFile('README.md'));
    expect(error.errorClass).toBe('server');
    expect(isTransient(error)).toBe(true);
    expect(error.message).toContain('502');
    expect(github.invalid).toEqual([]);
  });

  it('retries a dropped connection and a 503 once each', async () => {
    const { github, forge } = await start();
    github.inject({ kind: 'drop' }, { operationId: 'repos/get-content' });
    expect(await forge.readFile('README.md')).toBe('# demo\n');
    github.inject({ kind: 'server-error', status: 503 }, { operationId: 'repos/get-content' });
    expect(await forge.readFile('README.md')).toBe('# demo\n');
    expect(github.invalid).toEqual([]);
  });

  it('gives up on a request that never answers with a transient timeout', async () => {
    const { github, forge } = await start(
      {},
      { client: { throttle: false, retryAfterBaseValue: 1, timeoutMs: 150 } },
    );
    github.inject({ kind: 'hang' }, { operationId: 'repos/get-content', times: 10 });
    const error = await classOf(forge.readFile('README.md'));
    expect(error.errorClass).toBe('timeout');
    expect(isTransient(error)).toBe(true);
    expect(github.invalid).toEqual([]);
  });

  it('turns connections that keep dropping into a transient network error naming the API root', async () => {
    const { github, forge } = await start();
    github.inject({ kind: 'drop' }, { operationId: 'repos/get-content', times: 10 });
    const error = await classOf(forge.readFile('README.md'));
    expect(error.errorClass).toBe('network');
    expect(error.message).toContain(`could not reach GitHub at ${github.url.replace(/\/$/, '')} (`);
    expect(error.message).toContain('GITHUB_API_URL');
    expect(github.invalid).toEqual([]);
  });

  it('once GitHub is out of reach, fails the next calls at once instead of waiting through retries', async () => {
    const { github, forge } = await start();
    github.inject({ kind: 'drop' }, { operationId: 'repos/get-content', times: 10 });
    await classOf(forge.readFile('README.md'));
    const tried = github.requests.length;
    const again = await classOf(forge.readFile('docs/other.md'));
    expect(again.errorClass).toBe('network');
    expect(github.requests.length).toBe(tried);
  });

  it('names the missing permission when GitHub refuses one', async () => {
    const { github, forge } = await start(
      { permissions: { author: { statuses: 'read' } } },
      { oneToken: true },
    );
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const review = {
      agent: 'g',
      verdict: 'approve' as const,
      summary: 's',
      comments: [],
      commit: pr.head,
      iteration: 1,
    };
    const error = await classOf(forge.addReview(pr, review));
    expect(error.errorClass).toBe('auth');
    expect(error.message).toContain('statuses=write');
    // Nothing a rerun would take for a finished review.
    expect(github.pull(pr.number)?.reviews).toEqual([]);
    expect(github.invalid).toEqual([]);
  });

  it('stops at the write budget with a rate_limit error', async () => {
    const { github, forge } = await start({}, { writeBudget: 2 });
    const error = await classOf(push(forge, 'one\n'));
    expect(error.errorClass).toBe('rate_limit');
    expect(error.message).toContain('write budget of 2 per run');
    expect(forge.writes.used).toBe(2);
    expect(github.calls('git/create-ref')).toHaveLength(0);
    expect(github.invalid).toEqual([]);
  });

  it('counts a retried write once', async () => {
    const { github, forge } = await start({}, { writeBudget: 3 });
    github.inject({ kind: 'server-error', status: 502 }, { operationId: 'git/create-tree' });
    await push(forge, 'one\n');
    expect(github.calls('git/create-tree').map((call) => call.status)).toEqual([502, 201]);
    expect(forge.writes.used).toBe(3);
    expect(github.invalid).toEqual([]);
  });

  it('refuses a bad token as auth', async () => {
    const { github, forge } = await start({}, { authorToken: 'ghs_wrong' });
    const error = await classOf(forge.readFile('README.md'));
    expect(error.errorClass).toBe('auth');
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: a change longer than GitHub lists', () => {
  /** 3,001 files under src/many/ and a task file, which sorts after them: past GitHub's 3,000. */
  const bigChange = () => ({
    ...Object.fromEntries(
      Array.from({ length: 3001 }, (_, index) => [`src/many/f${String(index).padStart(4, '0')}.txt`, 'x\n']),
    ),
    'tasks/zz-late.json': '{}\n',
    'README.md': null,
  });

  it('compares a change of more than 3,000 files whole, so a control-plane file past them is seen', async () => {
    const { github, forge } = await start();
    await github.push('aifactory/t', bigChange());
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const changed = await forge.changedFiles(pr);
    // GitHub's list: 30 pages of 100, then no more.
    expect(github.calls('pulls/list-files')).toHaveLength(30);
    expect(changed).toHaveLength(3003);
    expect(changed).toContainEqual({ path: 'tasks/zz-late.json', status: 'added' });
    expect(changed).toContainEqual({ path: 'README.md', status: 'deleted' });
    const hits = controlPlaneChanges(
      changed.map((file) => file.path),
      { plugins: [] },
    );
    expect(hits.map((hit) => hit.path)).toContain('tasks/zz-late.json');
    expect(github.invalid).toEqual([]);
  });

  it('says a person must decide when GitHub cuts the tree of such a change short', async () => {
    const { github, forge } = await start({ treeEntryLimit: 1000 });
    await github.push('aifactory/t', bigChange());
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const error = await classOf(forge.changedFiles(pr));
    expect(error.errorClass).toBe('control_plane');
    expect(error.message).toContain(`pull request #${pr.number} changes more than 3000 files`);
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: permission errors', () => {
  const refusal = (
    method: string,
    url: string,
    message = 'Resource not accessible by personal access token',
  ) =>
    toFactoryError(
      { status: 403, request: { method, url }, response: { headers: {}, data: { message } } },
      'doing it',
    );

  it('names the permission from the path when GitHub does not send x-accepted-github-permissions', () => {
    const base = 'https://api.github.com/repos/o/r';
    expect(refusal('POST', `${base}/git/trees`).message).toContain('"contents=write" permission');
    expect(refusal('PUT', `${base}/pulls/7/merge`).message).toContain('"contents=write" permission');
    expect(refusal('GET', `${base}/pulls?head=o:b`).message).toContain('"pull_requests=read" permission');
    expect(refusal('POST', `${base}/issues/7/comments`).message).toContain('"issues=write" permission');
    expect(refusal('POST', `${base}/statuses/abc`).message).toContain('"statuses=write" permission');
    expect(refusal('GET', `${base}/commits/abc/status`).message).toContain('"statuses=read" permission');
    expect(refusal('GET', `${base}/commits/abc/check-runs`).message).toContain('"checks=read" permission');
    expect(refusal('GET', `${base}/actions/runs`).message).toContain('"actions=read" permission');
    expect(refusal('GET', 'https://ghe.example/api/v3/repos/o/r/tarball/abc').message).toContain(
      '"contents=read" permission',
    );
    expect(refusal('GET', `${base}/unknown`).message).not.toContain('permission;');
    expect(permissionFor(undefined)).toBeUndefined();
  });

  it('names the repository setting when Actions may not open pull requests', () => {
    const error = refusal(
      'POST',
      'https://api.github.com/repos/o/r/pulls',
      'GitHub Actions is not permitted to create or approve pull requests.',
    );
    expect(error.errorClass).toBe('auth');
    expect(error.message).toContain('Allow GitHub Actions to create and approve pull requests');
  });
});

describe('github forge: configuration from the environment', () => {
  it('names each missing variable', async () => {
    expect(() => githubConfigFromEnv({ GITHUB_TOKEN: 't' })).toThrow('GITHUB_REPOSITORY');
    expect(() => githubConfigFromEnv({ GITHUB_REPOSITORY: 'o/r' })).toThrow('AIFACTORY_GITHUB_TOKEN');
    expect(() => githubConfigFromEnv({ GITHUB_REPOSITORY: 'o', GITHUB_TOKEN: 't' })).toThrow('owner/name');
    const error = await createForge('github', { root: '.', defaultBranch: 'main', env: {} }).catch((e) => e);
    expect(error).toMatchObject({ errorClass: 'config' });
  });

  it('turns write spacing off only for AIFACTORY_GITHUB_THROTTLE=off, and refuses other values', () => {
    const env = { GITHUB_REPOSITORY: 'o/r', GITHUB_TOKEN: 't' };
    expect(githubConfigFromEnv({ ...env, AIFACTORY_GITHUB_THROTTLE: 'off' }).throttle).toBe(false);
    expect(githubConfigFromEnv({ ...env, AIFACTORY_GITHUB_THROTTLE: 'on' })).not.toHaveProperty('throttle');
    expect(() => githubConfigFromEnv({ ...env, AIFACTORY_GITHUB_THROTTLE: 'fast' })).toThrow(
      'AIFACTORY_GITHUB_THROTTLE is "fast"; it must be on or off',
    );
  });

  it('reviews with GITHUB_TOKEN only when it differs from the author token', () => {
    expect(githubConfigFromEnv({ GITHUB_REPOSITORY: 'o/r', GITHUB_TOKEN: 't' })).toEqual({
      apiUrl: 'https://api.github.com',
      graphqlUrl: 'https://api.github.com/graphql',
      owner: 'o',
      repo: 'r',
      authorToken: 't',
    });
    expect(
      githubConfigFromEnv({
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_TOKEN: 't',
        AIFACTORY_GITHUB_TOKEN: 'a',
        GITHUB_API_URL: 'http://ghe/api/v3/',
        GITHUB_GRAPHQL_URL: 'http://ghe/api/graphql',
      }),
    ).toMatchObject({
      apiUrl: 'http://ghe/api/v3',
      graphqlUrl: 'http://ghe/api/graphql',
      authorToken: 'a',
      reviewerToken: 't',
    });
  });
});

describe('github forge: when a rate limit ends', () => {
  const now = Date.parse('2026-05-04T10:00:00Z');
  const answer = (status: number, headers: Record<string, string>, message = 'Forbidden') => ({
    status,
    message,
    response: { headers },
  });

  it('reads retry-after, else the primary reset, else waits a minute', () => {
    expect(limitEnd(answer(403, { 'retry-after': '90' }), now)).toBe(now + 90_000);
    const reset = String(now / 1000 + 600);
    expect(limitEnd(answer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), now)).toBe(
      now + 600_000,
    );
    expect(limitEnd(answer(429, {}), now)).toBe(now + 60_000);
    expect(limitEnd(answer(403, {}, 'You have exceeded a secondary rate limit'), now)).toBe(now + 60_000);
  });

  it('is no limit for other refusals, and never ends in the past or more than an hour away', () => {
    expect(
      limitEnd(answer(403, { 'x-ratelimit-remaining': '12' }, 'Resource not accessible'), now),
    ).toBeUndefined();
    expect(limitEnd(answer(500, { 'retry-after': '5' }), now)).toBeUndefined();
    // A hostile or broken header: huge, negative, a date, a reset in the past.
    expect(limitEnd(answer(429, { 'retry-after': '9'.repeat(400) }), now)).toBe(now + 3_600_000);
    expect(limitEnd(answer(429, { 'retry-after': '-5' }), now)).toBe(now + 60_000);
    expect(limitEnd(answer(429, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), now)).toBe(now + 60_000);
    expect(limitEnd(answer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' }), now)).toBe(now);
  });
});
