import { describe, expect, it } from 'vitest';
import { GitHubFixture } from '../../fixtures/github/fixture.ts';
import { client, commitFiles, failure, owner, repo, useGitHub } from './harness.ts';

describe('GitHub fixture: commit statuses', () => {
  const h = useGitHub();

  it('reports pending with total_count 0 when a commit has no status at all', async () => {
    const sha = (await h.github.branch('main')) ?? '';
    const combined = await h.author.repos.getCombinedStatusForRef({ owner, repo, ref: sha });
    expect(combined.data).toMatchObject({ state: 'pending', total_count: 0, statuses: [], sha });
  });

  it('combines the latest status per context', async () => {
    const sha = (await h.github.branch('main')) ?? '';
    await h.author.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state: 'pending',
      context: 'aifactory/review',
    });
    await h.author.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state: 'success',
      context: 'aifactory/review',
      description: 'approved',
    });
    await h.author.repos.createCommitStatus({ owner, repo, sha, state: 'success', context: 'lint' });
    const combined = await h.author.repos.getCombinedStatusForRef({ owner, repo, ref: 'main' });
    expect(combined.data.state).toBe('success');
    expect(combined.data.total_count).toBe(2);
    expect(combined.data.statuses.map((s) => [s.context, s.state])).toEqual([
      ['lint', 'success'],
      ['aifactory/review', 'success'],
    ]);
    await h.author.repos.createCommitStatus({ owner, repo, sha, state: 'failure', context: 'lint' });
    expect((await h.author.repos.getCombinedStatusForRef({ owner, repo, ref: sha })).data.state).toBe(
      'failure',
    );
  });

  it('refuses a status for an unknown commit', async () => {
    const refused = await failure(
      h.author.repos.createCommitStatus({ owner, repo, sha: 'a'.repeat(40), state: 'success' }),
    );
    expect(refused).toMatchObject({
      status: 422,
      data: { message: `No commit found for SHA: ${'a'.repeat(40)}` },
    });
  });
});

describe('GitHub fixture: a token without a permission', () => {
  const h = useGitHub({ permissions: { actions: { statuses: 'read' } } });

  it('answers 403 "Resource not accessible by integration" naming the permission needed', async () => {
    const sha = (await h.github.branch('main')) ?? '';
    const refused = await failure(
      h.actions.repos.createCommitStatus({ owner, repo, sha, state: 'success', context: 'ci' }),
    );
    expect(refused).toMatchObject({
      status: 403,
      data: { message: 'Resource not accessible by integration' },
    });
    expect(refused.headers['x-accepted-github-permissions']).toBe('statuses=write');
    const read = await h.actions.repos.getCombinedStatusForRef({ owner, repo, ref: sha });
    expect(read.status).toBe(200);
  });
});

describe('GitHub fixture: simulated CI', () => {
  const h = useGitHub({
    ci: (_sha, files) =>
      Object.values(files).some((content) => content?.includes('FAIL')) ? 'failure' : 'success',
    ciChecks: ['build', 'test'],
  });

  it('runs checks for a push by the author and decides them from the changed files', async () => {
    const green = await commitFiles(h.author, 'green', { 'a.txt': 'fine\n' });
    const red = await commitFiles(h.author, 'red', { 'a.txt': 'FAIL\n' });
    const runs = await h.author.checks.listForRef({ owner, repo, ref: green });
    expect(runs.data.total_count).toBe(2);
    expect(runs.data.check_runs.map((run) => [run.name, run.status, run.conclusion]).sort()).toEqual([
      ['build', 'completed', 'success'],
      ['test', 'completed', 'success'],
    ]);
    const failed = await h.author.checks.listForRef({ owner, repo, ref: 'red' });
    expect(failed.data.check_runs.every((run) => run.conclusion === 'failure' && run.head_sha === red)).toBe(
      true,
    );
    expect(failed.data.check_runs[0]?.output.summary).toBe(
      `The ${failed.data.check_runs[0]?.name} job ended with failure.`,
    );
    const workflows = await h.author.actions.listWorkflowRunsForRepo({ owner, repo, branch: 'red' });
    expect(
      workflows.data.workflow_runs.map((run) => [run.event, run.status, run.conclusion, run.actor?.login]),
    ).toEqual([['push', 'completed', 'failure', 'aifactory-app[bot]']]);
  });

  it('starts no workflow for a push made with GITHUB_TOKEN', async () => {
    const sha = await commitFiles(h.actions, 'bot-branch', { 'a.txt': 'from actions\n' });
    const runs = await h.author.checks.listForRef({ owner, repo, ref: sha });
    expect(runs.data).toMatchObject({ total_count: 0, check_runs: [] });
    expect((await h.author.actions.listWorkflowRunsForRepo({ owner, repo })).data.total_count).toBe(0);
    await h.github.push('bot-branch', { 'b.txt': 'pushed by a person\n' }, { as: h.github.author });
    expect(h.github.workflowRuns).toHaveLength(1);
  });

  it('paginates check runs with Link headers', async () => {
    h.github.ci = () => 'success';
    const sha = await commitFiles(h.author, 'many', { 'a.txt': 'a\n' });
    const first = await h.author.checks.listForRef({ owner, repo, ref: sha, per_page: 1 });
    expect(first.data).toMatchObject({ total_count: 2 });
    expect(first.data.check_runs).toHaveLength(1);
    expect(first.headers.link).toMatch(/page=2.*rel="next"/);
    const all = await h.author.paginate(h.author.checks.listForRef, { owner, repo, ref: sha, per_page: 1 });
    expect(all.map((run) => run.name).sort()).toEqual(['build', 'test']);
  });
});

describe('GitHub fixture: CI that takes a few reads to finish', () => {
  it('shows queued, then in_progress, then completed', async () => {
    const github = await GitHubFixture.start({
      ci: () => ({ conclusion: 'success', summary: 'All 12 tests passed.' }),
      ciReads: 2,
    });
    try {
      const octokit = client(github);
      const sha = await commitFiles(octokit, 'slow', { 'a.txt': 'a\n' });
      const seen = [];
      for (let read = 0; read < 3; read += 1) {
        const run = (await octokit.checks.listForRef({ owner, repo, ref: sha })).data.check_runs[0];
        seen.push([run?.status, run?.conclusion, run?.output.summary]);
      }
      expect(seen).toEqual([
        ['queued', null, null],
        ['in_progress', null, null],
        ['completed', 'success', 'All 12 tests passed.'],
      ]);
      expect(github.takeInvalid()).toEqual([]);
    } finally {
      await github.stop();
    }
  });

  it('can be finished by the test, with another conclusion', async () => {
    const github = await GitHubFixture.start({ ci: () => 'success', ciReads: 100 });
    try {
      const octokit = client(github);
      const sha = await commitFiles(octokit, 'slow', { 'a.txt': 'a\n' });
      await github.completeChecks(sha, 'timed_out');
      const run = (await octokit.checks.listForRef({ owner, repo, ref: sha })).data.check_runs[0];
      expect([run?.status, run?.conclusion]).toEqual(['completed', 'timed_out']);
      expect(github.takeInvalid()).toEqual([]);
    } finally {
      await github.stop();
    }
  });
});
