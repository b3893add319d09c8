import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { describe, expect, it, vi } from 'vitest';
import { failure, owner, repo, silent, useGitHub } from './harness.ts';

describe('GitHub fixture: rate limits and faults', () => {
  const h = useGitHub({ rateLimit: { author: 3 } });

  it('sends x-ratelimit headers on every answer and spends the budget per identity', async () => {
    const first = await h.author.repos.get({ owner, repo });
    expect(first.headers).toMatchObject({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
    });
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    const other = await h.actions.repos.get({ owner, repo });
    expect(other.headers['x-ratelimit-limit']).toBe('1000');
    await h.author.repos.get({ owner, repo });
    await h.author.repos.get({ owner, repo });
    const spent = await failure(h.author.repos.get({ owner, repo }));
    expect(spent.status).toBe(403);
    expect(String(spent.data.message)).toMatch(/^API rate limit exceeded for installation ID \d+/);
    const limits = await h.author.rateLimit.get();
    expect(limits.data.rate).toMatchObject({ limit: 3, remaining: 0, used: 3 });
  });

  it('answers a secondary rate limit with 403 and retry-after', async () => {
    h.github.inject({ kind: 'secondary-rate-limit', retryAfter: 7 }, { operationId: 'repos/get' });
    const refused = await failure(h.author.repos.get({ owner, repo }));
    expect(refused.status).toBe(403);
    expect(refused.headers['retry-after']).toBe('7');
    expect(String(refused.data.message)).toMatch(/^You have exceeded a secondary rate limit/);
    expect((await h.author.repos.get({ owner, repo })).status).toBe(200);
  });

  it('answers 429 with retry-after', async () => {
    h.github.inject({ kind: 'too-many-requests', retryAfter: 3 });
    const refused = await failure(h.author.repos.get({ owner, repo }));
    expect(refused.status).toBe(429);
  });

  it('answers the primary rate limit with x-ratelimit-remaining 0 and a reset time', async () => {
    h.github.inject({ kind: 'primary-rate-limit', resetInSeconds: 120 });
    const refused = await failure(h.author.repos.get({ owner, repo }));
    expect(refused.status).toBe(403);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 + 100);
  });

  it('answers 500, 502 and 503 for the next requests', async () => {
    h.github.inject({ kind: 'server-error', status: 502 }, { times: 2 });
    h.github.inject({ kind: 'server-error', status: 503 });
    h.github.inject({ kind: 'server-error', status: 500 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await failure(h.author.repos.get({ owner, repo }))).status);
    expect(statuses).toEqual([502, 502, 503, 500]);
  });

  it('drops the connection', async () => {
    h.github.inject({ kind: 'drop' }, { method: 'GET', path: `/repos/${owner}/${repo}` });
    await expect(h.author.repos.get({ owner, repo })).rejects.toThrow();
    expect(h.github.requests.at(-1)).toMatchObject({ fault: 'drop', status: 0 });
  });

  it('hangs until the client gives up, and stop() ends the hanging request', async () => {
    h.github.inject({ kind: 'hang' }, { path: /\/pulls$/ });
    const started = Date.now();
    await expect(
      h.author.pulls.list({ owner, repo, request: { signal: AbortSignal.timeout(200) } }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await h.author.repos.get({ owner, repo })).status).toBe(200);
  });

  it('logs every request with its identity and status, for assertions on what a client did', async () => {
    await h.author.repos.get({ owner, repo });
    await h.actions.pulls.list({ owner, repo });
    expect(
      h.github.requests.map(({ method, operationId, login, status }) => ({
        method,
        operationId,
        login,
        status,
      })),
    ).toEqual([
      { method: 'GET', operationId: 'repos/get', login: 'aifactory-app[bot]', status: 200 },
      { method: 'GET', operationId: 'pulls/list', login: 'github-actions[bot]', status: 200 },
    ]);
  });

  it('refuses a missing or unknown token with 401 Bad credentials', async () => {
    const anonymous = new Octokit({
      baseUrl: h.github.url,
      log: silent,
    });
    expect(await failure(anonymous.repos.get({ owner, repo }))).toMatchObject({
      status: 401,
      data: { message: 'Bad credentials' },
    });
    const stranger = new Octokit({
      auth: 'ghp_nobody',
      baseUrl: h.github.url,
      log: silent,
    });
    expect((await failure(stranger.repos.get({ owner, repo }))).status).toBe(401);
  });

  it('answers 404 for another repository', async () => {
    expect((await failure(h.author.repos.get({ owner, repo: 'elsewhere' }))).status).toBe(404);
  });
});

describe('GitHub fixture: the octokit plugins the forge uses react to its faults', () => {
  const h = useGitHub();
  const Throttled = Octokit.plugin(throttling, retry);

  it('plugin-throttling waits out a secondary limit and a primary limit, then retries', async () => {
    const onSecondaryRateLimit = vi.fn(() => true);
    const onRateLimit = vi.fn(() => true);
    const octokit = new Throttled({
      auth: h.github.authorToken,
      baseUrl: h.github.url,
      log: silent,
      throttle: { onSecondaryRateLimit, onRateLimit, retryAfterBaseValue: 1 },
      retry: { enabled: false },
    });
    h.github.inject({ kind: 'secondary-rate-limit', retryAfter: 2 }, { operationId: 'repos/get' });
    expect((await octokit.repos.get({ owner, repo })).status).toBe(200);
    expect(onSecondaryRateLimit).toHaveBeenCalledWith(2, expect.anything(), expect.anything(), 0);
    h.github.inject({ kind: 'primary-rate-limit', resetInSeconds: 1 }, { operationId: 'repos/get' });
    expect((await octokit.repos.get({ owner, repo })).status).toBe(200);
    expect(onRateLimit).toHaveBeenCalledTimes(1);
    expect(h.github.calls('repos/get').map((call) => call.status)).toEqual([403, 200, 403, 200]);
  });

  it('plugin-retry retries a 502', async () => {
    const octokit = new Throttled({
      auth: h.github.authorToken,
      baseUrl: h.github.url,
      log: silent,
      throttle: { enabled: false },
      retry: { retryAfterBaseValue: 1 },
    });
    h.github.inject({ kind: 'server-error', status: 502 }, { operationId: 'repos/get' });
    expect((await octokit.repos.get({ owner, repo })).status).toBe(200);
    expect(h.github.calls('repos/get').map((call) => call.status)).toEqual([502, 200]);
  });
});
