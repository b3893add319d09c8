// People act on the factory's pull requests on GitHub: merged by hand, closed, or its branch deleted mid-way.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../../scripts/core/record/run-record.ts';
import { runFactory } from '../../../../scripts/engine/run/factory.ts';
import { GitHubFixture, type GitHubFixtureOptions } from '../../../fixtures/github/fixture.ts';
import { createSandboxRepo, simpleStory } from '../../../fixtures/sandbox-repo.ts';
import { useFactorySandbox } from './github-harness.ts';

const held = useFactorySandbox();

const quiet = { step: () => undefined, done: () => undefined };
const MAINTAINER = { token: 'ghp_maintainerToken00000000', login: 'maria' };
const repo = { owner: 'aifactory-test', repo: 'demo' };
const TASK = 'gh-p';

/** A task left waiting on GitHub (checks pending, or a merge GitHub refuses yet), and a person's client. */
async function waitingTask(options: GitHubFixtureOptions) {
  const sandbox = await createSandboxRepo([simpleStory(TASK)]);
  const root = sandbox.root;
  held.root = root;
  const github = await GitHubFixture.start({
    seed: root,
    ci: () => 'success',
    identities: [MAINTAINER],
    mergeableAfterReads: 0,
    ...options,
  });
  held.github = github;
  const run = async (): Promise<RunRecord> => {
    await runFactory(
      root,
      {
        forge: 'github',
        replayDir: sandbox.replayDir,
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_GRAPHQL_URL: github.graphqlUrl,
          GITHUB_REPOSITORY: 'aifactory-test/demo',
          AIFACTORY_GITHUB_TOKEN: github.authorToken,
          GITHUB_TOKEN: github.actionsToken,
          AIFACTORY_SIGNING_KEY: 'person-test-signing-key',
        },
        github: { client: { throttle: false, retryAfterBaseValue: 10, timeoutMs: 5000 } },
      },
      quiet,
    );
    // From the file: a run that had nothing to do for the task lists no record of it.
    return JSON.parse(await readFile(join(root, 'shared/runs', `${TASK}.json`), 'utf8')) as RunRecord;
  };
  const person = new Octokit({ auth: MAINTAINER.token, baseUrl: github.url });
  return { github, run, person };
}

const reviewsPosted = () =>
  held.github!.calls('pulls/create-review').filter((call) => call.status < 300).length;

describe('people act on the factory’s pull requests on GitHub', () => {
  it('records a merge by hand while checks are pending, and never reviews the merged pull request', async () => {
    const { github, run, person } = await waitingTask({ ciReads: 1000 });
    expect((await run()).state).toBe('reviewing');
    await person.rest.pulls.merge({ ...repo, pull_number: 1 });
    const record = await run();
    expect(record.state).toBe('merged');
    expect(record.attempts.at(-1)).toMatchObject({ kind: 'merge', result: 'merged' });
    expect(reviewsPosted()).toBe(0);
    expect((await run()).state).toBe('merged');
    expect(github.invalid).toEqual([]);
  });

  it('ends the task when a person closes its pull request, and later runs leave it alone', async () => {
    const { github, run, person } = await waitingTask({ ciReads: 1000 });
    expect((await run()).state).toBe('reviewing');
    await person.rest.pulls.update({ ...repo, pull_number: 1, state: 'closed' });
    const record = await run();
    expect(record.state).toBe('failed');
    expect(record.last_error?.message).toMatch(/#1 was closed by a person without merging.*retry/);
    expect(record.attempts.at(-1)).toMatchObject({ kind: 'merge', result: 'closed' });
    const requests = github.requests.length;
    expect((await run()).state).toBe('failed');
    expect(github.calls('pulls/update').filter((call) => call.login !== 'maria')).toEqual([]);
    expect(reviewsPosted()).toBe(0);
    expect(github.requests.length - requests).toBeLessThan(10);
    expect(github.invalid).toEqual([]);
  });

  it('stops waiting for the checks of a head whose branch a person deleted', async () => {
    const { github, run, person } = await waitingTask({ ciReads: 1000 });
    expect((await run()).state).toBe('reviewing');
    await person.rest.git.deleteRef({ ...repo, ref: `heads/aifactory/${TASK}` });
    const record = await run();
    expect(record.state).toBe('failed');
    expect(record.last_error?.message).toMatch(/branch of pull request #1 was deleted by a person/);
    expect(record.attempts.at(-1)).toMatchObject({ kind: 'merge', result: 'branch_gone' });
    expect(reviewsPosted()).toBe(0);
    expect(github.invalid).toEqual([]);
  });

  it('ends an approved task whose merge waits when a person closes the pull request, without failing the run', async () => {
    const { github, run, person } = await waitingTask({ settings: { required_approving_review_count: 1 } });
    const approved = await run();
    expect(approved.state).toBe('approved');
    expect(approved.last_error?.message).toMatch(/not mergeable yet/);
    await person.rest.pulls.update({ ...repo, pull_number: 1, state: 'closed' });
    const record = await run();
    expect(record.state).toBe('failed');
    expect(record.attempts.at(-1)).toMatchObject({ kind: 'merge', result: 'closed' });
    expect((await run()).state).toBe('failed');
    expect(github.calls('pulls/merge').filter((call) => call.status < 300)).toEqual([]);
    expect(github.invalid).toEqual([]);
  });
});
