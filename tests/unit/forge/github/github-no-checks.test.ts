import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { ChecksConfigSchema } from '../../../../scripts/core/config.ts';
import { GitHubForge } from '../../../../scripts/forge/github/forge.ts';
import type { GitHubFixture, GitHubFixtureOptions } from '../../../fixtures/github/fixture.ts';
import { gpt, push, trailers, useGitHubForge } from './github-harness.ts';

const start = useGitHubForge();
const repo = { owner: 'aifactory-test', repo: 'demo' };
const OTHER_CI = 'ghs_otherCiToken';

describe('github forge: every page of the checks', () => {
  it('blocks on a failing status that GitHub lists on the second page of the statuses', async () => {
    const { github, forge } = await start({
      identities: [{ token: OTHER_CI, login: 'other-ci[bot]', kind: 'app' }],
    });
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const ci = new Octokit({ auth: OTHER_CI, baseUrl: github.url });
    // The newest status comes first: the oldest, the failure, is the 101st.
    await ci.rest.repos.createCommitStatus({ ...repo, sha: pr.head, state: 'failure', context: 'lint' });
    for (let i = 0; i < 100; i += 1) {
      const context = `shard-${String(i).padStart(3, '0')}`;
      await ci.rest.repos.createCommitStatus({ ...repo, sha: pr.head, state: 'success', context });
    }
    const report = await forge.readChecks(pr);
    expect(report.state).toBe('failed');
    expect(report.output).toContain('lint: failure');
    const pages = github.calls('repos/list-commit-statuses-for-ref').map((call) => call.query);
    expect(pages).toHaveLength(2);
    expect(pages[1]).toContain('page=2');
    expect(github.invalid).toEqual([]);
  });

  it('blocks on a failing check run that GitHub lists on the second page', async () => {
    const names = Array.from({ length: 101 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    // Runs are listed newest first: the first job created is the last one listed.
    const { github, forge } = await start({
      ci: () => ({ conclusion: 'success', byCheck: { 'job-000': 'failure' } }),
      ciChecks: names,
    });
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const report = await forge.readChecks(pr);
    expect(report.state).toBe('failed');
    expect(report.output).toContain('job-000: failure');
    expect(github.calls('checks/list-for-ref')).toHaveLength(2);
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: starting CI with workflow_dispatch when pushes start none', () => {
  const dispatches = (github: GitHubFixture) => github.calls('actions/create-workflow-dispatch');

  /** A pull request opened with GITHUB_TOKEN alone, whose pushes start no workflow. */
  async function openedWithGitHubToken(options: GitHubFixtureOptions) {
    const started = await start({ ...options, settings: { can_approve_pull_request_reviews: true } });
    const forge = forgeOn(started.github);
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    return { ...started, app: started.forge, forge, pr };
  }

  it('dispatches the workflow on the task branch once per head, across runs, and reads its check runs', async () => {
    const { github, app, forge, pr } = await openedWithGitHubToken({
      ci: () => 'success',
      // Each read of the checks is two reads (statuses and check runs): pending for two reads.
      ciReads: 4,
      permissions: { actions: { actions: 'write' } },
    });
    expect(github.workflowRuns).toHaveLength(0);
    expect(await forge.readChecks(pr)).toMatchObject({ state: 'pending' });
    expect(await forge.readChecks(pr)).toMatchObject({ state: 'pending' });
    // A later run (a new forge) finds the workflow run of this head and does not dispatch again.
    const later = forgeOn(github);
    expect(await later.readChecks(pr)).toEqual({ state: 'passed', output: '' });
    expect(dispatches(github).map((call) => [call.path, call.status])).toEqual([
      ['/repos/aifactory-test/demo/actions/workflows/ci.yml/dispatches', 204],
    ]);
    expect(github.workflowRuns.map((run) => [run.event, run.headBranch, run.headSha])).toEqual([
      ['workflow_dispatch', 'aifactory/t', pr.head],
    ]);
    // A new head gets its own run.
    const head = await push(later, 'two\n');
    expect((await later.readChecks({ ...pr, head })).state).toBe('pending');
    expect(dispatches(github)).toHaveLength(2);
    expect(github.workflowRuns.at(-1)).toMatchObject({ headBranch: 'aifactory/t', headSha: head });
    // The App's pushes start CI by themselves: its forge never dispatches.
    await push(app, 'three\n', 'aifactory/u');
    await app.readChecks(await app.openPullRequest({ branch: 'aifactory/u', title: 'U', body: 'b' }));
    expect(dispatches(github)).toHaveLength(2);
    expect(github.invalid).toEqual([]);
  });

  it('says why no check may come when GitHub refuses to start the workflow, and never calls the head green', async () => {
    const { github, forge, pr } = await openedWithGitHubToken({
      ci: () => 'success',
      ciDispatch: false,
      permissions: { actions: { actions: 'write' } },
    });
    const report = await forge.readChecks(pr);
    expect(report.state).toBe('missing');
    expect(report.output).toContain(`no checks reported for ${pr.head}`);
    expect(report.output).toContain("Workflow does not have 'workflow_dispatch' trigger");
    expect(report.output).toContain('on: workflow_dispatch');
    const unknown = await forgeOn(github, 'tests.yml').readChecks(pr);
    expect(unknown).toMatchObject({ state: 'missing' });
    expect(unknown.output).toContain('tests.yml on aifactory/t (404 Not Found)');
    expect(github.invalid).toEqual([]);
  });

  it('never dispatches a workflow on a branch that changes .github/, whose own workflow files would run with the secrets', async () => {
    const { github, forge } = await openedWithGitHubToken({
      ci: () => 'success',
      permissions: { actions: { actions: 'write' } },
    });
    const head = await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: '.github/workflows/ci.yml', content: 'on: workflow_dispatch\n' }],
      message: 'Change CI',
      author: gpt,
      trailers,
    });
    const pr = (await forge.findPullRequest('aifactory/t'))!;
    expect(pr.head).toBe(head);
    const report = await forge.readChecks(pr);
    expect(report).toMatchObject({ state: 'missing' });
    expect(report.output).toContain('aifactory/t changes .github/');
    expect(dispatches(github)).toHaveLength(0);
    expect(github.invalid).toEqual([]);
  });

  it('names the actions: write permission the token lacks', async () => {
    const { github, forge, pr } = await openedWithGitHubToken({ ci: () => 'success' });
    await expect(forge.readChecks(pr)).rejects.toMatchObject({
      errorClass: 'auth',
      message: expect.stringContaining('actions=write'),
    });
    expect(github.invalid).toEqual([]);
  });
});

describe('config: checks on GitHub', () => {
  it('expects checks and dispatches ci.yml by default, and takes only a workflow file name', () => {
    expect(ChecksConfigSchema.parse({})).toMatchObject({
      required: true,
      workflow: 'ci.yml',
      self_run: false,
    });
    expect(ChecksConfigSchema.parse({ workflow: 'tests.yaml' }).workflow).toBe('tests.yaml');
    for (const workflow of ['../ci.yml', 'workflows/ci.yml', 'ci', '.yml', 'ci.yml?x=1', 'ci.yml\n']) {
      const parsed = ChecksConfigSchema.safeParse({ workflow });
      expect(parsed.success, workflow).toBe(false);
      expect(parsed.error?.issues[0]?.message).toContain('workflow file name in .github/workflows');
    }
  });
});

/** A forge writing with GITHUB_TOKEN, dispatching `workflow` (one per run: a new one remembers nothing). */
function forgeOn(github: GitHubFixture, workflow = 'ci.yml') {
  return new GitHubForge({
    apiUrl: github.url,
    graphqlUrl: github.graphqlUrl,
    ...repo,
    client: { throttle: false, retryAfterBaseValue: 10, timeoutMs: 5000 },
    authorToken: github.actionsToken,
    dispatchWorkflow: workflow,
  });
}
