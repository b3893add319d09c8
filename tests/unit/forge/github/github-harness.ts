import { rm } from 'node:fs/promises';
import { afterEach } from 'vitest';
import { GitHubForge, type GitHubForgeOptions } from '../../../../scripts/forge/github/forge.ts';
import { forgetWriteStop } from '../../../../scripts/forge/github/write-stop.ts';
import { GitHubFixture, type GitHubFixtureOptions } from '../../../fixtures/github/fixture.ts';

export const gpt = { name: 'gpt', email: 'gpt@agents.aifactory.invalid' };
export const trailers = { 'Task-Id': 't', Agent: 'gpt', Iteration: '1' };

/** AIFACTORY_SIGNING_KEY of the forges the harness makes. */
export const SIGNING_KEY = 'test-signing-key-0123456789';

/** Starts a fixture per test, stopped after it; every test must leave `invalid` empty. */
export function useGitHubForge() {
  const started: GitHubFixture[] = [];
  afterEach(async () => {
    for (const fixture of started.splice(0)) {
      // A later fixture may get the same port: a rate limit this one asked for is not its.
      forgetWriteStop(fixture.url);
      await fixture.stop();
    }
  });
  return async (
    options: GitHubFixtureOptions = {},
    forgeOptions: Partial<GitHubForgeOptions> & { oneToken?: boolean; unsigned?: boolean } = {},
  ): Promise<{ github: GitHubFixture; forge: GitHubForge }> => {
    const github = await GitHubFixture.start(options);
    started.push(github);
    const { oneToken, unsigned, ...rest } = forgeOptions;
    const forge = new GitHubForge({
      apiUrl: github.url,
      graphqlUrl: github.graphqlUrl,
      owner: 'aifactory-test',
      repo: 'demo',
      authorToken: github.authorToken,
      ...(oneToken ? {} : { reviewerToken: github.actionsToken }),
      // Throttling's write spacing (1–3 s) is GitHub's advice, not behaviour under test here.
      client: { throttle: false, retryAfterBaseValue: 10, timeoutMs: 5000 },
      // The recommended set-up: the reviewer writes as GITHUB_TOKEN, whose marks count only signed.
      ...(unsigned ? {} : { signingKey: SIGNING_KEY }),
      ...rest,
    });
    return { github, forge };
  };
}

/** Another forge on the same fixture, with the author's token only: a second run, or a rerun after a crash. */
export function secondForge(github: GitHubFixture, extra: Partial<GitHubForgeOptions> = {}): GitHubForge {
  return new GitHubForge({
    apiUrl: github.url,
    graphqlUrl: github.graphqlUrl,
    owner: 'aifactory-test',
    repo: 'demo',
    authorToken: github.authorToken,
    client: { throttle: false },
    ...extra,
  });
}

/** A test's fixture and sandbox repository, for runs of the whole factory; stopped and removed after it. */
export function useFactorySandbox(): { github?: GitHubFixture; root?: string } {
  const held: { github?: GitHubFixture; root?: string } = {};
  afterEach(async () => {
    await held.github?.stop();
    if (held.root) await rm(held.root, { recursive: true, force: true });
    delete held.github;
    delete held.root;
  });
  return held;
}

/** Pushes `content` to src/a.txt on `branch`. */
export function push(
  forge: GitHubForge,
  content: string,
  branch = 'aifactory/t',
  extra: { restart?: boolean } = {},
) {
  return forge.pushIteration({
    branch,
    changes: [{ path: 'src/a.txt', content }],
    message: 'Write a',
    author: gpt,
    trailers,
    ...extra,
  });
}
