import { describe, expect, it } from 'vitest';
import { createForge, type ForgeChecks } from '../../../../scripts/forge/index.ts';
import { gpt, push, trailers, useGitHubForge } from './github-harness.ts';

const start = useGitHubForge();

/** A check that fails on a line "BROKEN" in src/a.txt, and prints its environment's names either way. */
const CHECK = `env | cut -d= -f1 | sort | tr '\\n' ' '; echo; if grep -q BROKEN src/a.txt; then echo "src/a.txt:1: BROKEN is not allowed"; exit 1; fi; echo all good`;

describe('github forge: checks', () => {
  it('adds the end of a failed Actions job log to the check output', async () => {
    const { github, forge } = await start({
      ci: () => ({
        conclusion: 'failure',
        title: 'tests failed',
        text: 'FAIL src/a.test.ts\nexpected 1 to be 2',
      }),
    });
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const report = await forge.readChecks(pr);
    expect(report.state).toBe('failed');
    expect(report.output).toContain('ci: failure\ntests failed');
    // The log's tail, without GitHub's timestamps.
    expect(report.output).toContain('##[error]Process completed with exit code 1.');
    expect(report.output).not.toMatch(/\d{4}-\d\d-\d\dT[\d:]+Z ##\[error\]/);
    expect(github.calls('actions/download-job-logs-for-workflow-run')).toHaveLength(1);
    expect(github.invalid).toEqual([]);
  });

  it('leaves the log out when the token may not read it, and still reports the failure', async () => {
    const { github, forge } = await start({
      ci: () => ({ conclusion: 'failure', title: 'tests failed', text: 'expected 1 to be 2' }),
      permissions: { author: { actions: 'none' } },
    });
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const report = await forge.readChecks(pr);
    expect(report).toMatchObject({ state: 'failed' });
    expect(report.output).toContain('expected 1 to be 2');
    expect(report.output).not.toContain('##[error]');
    expect(github.invalid).toEqual([]);
  });

  it('says that no check has appeared when branch protection requires one, even when the config expects none', async () => {
    const { github, forge } = await start(
      { settings: { required_status_checks: ['ci'] } },
      { checksExpected: false },
    );
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const report = await forge.readChecks(pr);
    expect(report.state).toBe('missing');
    expect(report.output).toContain(`no checks reported for ${pr.head}; branch protection requires "ci"`);
    // The protection is read once per run.
    await forge.readChecks(pr);
    expect(github.calls('repos/get-branch')).toHaveLength(1);
    expect(github.invalid).toEqual([]);
  });

  it('runs checks.command itself on the head GitHub holds, posts aifactory/checks, and never runs it twice for one head', async () => {
    const { github, forge } = await start(
      {},
      { oneToken: true, selfChecks: { command: CHECK, timeoutSeconds: 60 } },
    );
    await push(forge, 'BROKEN\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const red = await forge.readChecks(pr);
    expect(red.state).toBe('failed');
    expect(red.output).toContain('aifactory/checks: failure');
    expect(red.output).toContain('src/a.txt:1: BROKEN is not allowed');
    // The check ran with the stripped environment: no token or key reached it.
    expect(red.output).toContain('PATH');
    expect(red.output).not.toMatch(/GITHUB_TOKEN|AIFACTORY_GITHUB_TOKEN|_API_KEY/);
    const [status] = github.statuses(pr.head).filter((s) => s.context === 'aifactory/checks');
    expect(status).toMatchObject({ state: 'failure' });
    expect(status!.description!.length).toBeLessThanOrEqual(140);
    expect(status!.description).toContain('BROKEN is not allowed');
    // Read again (a rerun): the status stands, the command does not run again.
    expect((await forge.readChecks(pr)).state).toBe('failed');
    expect(github.calls('repos/download-tarball-archive')).toHaveLength(1);

    const head = await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: 'src/a.txt', content: 'fine\n' }],
      message: 'Write a',
      author: gpt,
      trailers,
    });
    const green = await forge.readChecks({ ...pr, head });
    expect(green).toMatchObject({ state: 'passed' });
    expect(github.statuses(head).map((s) => [s.context, s.state])).toEqual([['aifactory/checks', 'success']]);
    expect(github.invalid).toEqual([]);
  });

  it('dispatches checks.workflow inside Actions with GITHUB_TOKEN alone, and runs checks itself only when checks.self_run asks', async () => {
    const env = { GITHUB_REPOSITORY: 'o/r', GITHUB_TOKEN: 't', GITHUB_ACTIONS: 'true' };
    const { GitHubForge } = await import('../../../../scripts/forge/github/forge.ts');
    const made = async (extra: Record<string, string>, checks: ForgeChecks = { timeoutSeconds: 60 }) => {
      const forge = await createForge('github', {
        root: '.',
        defaultBranch: 'main',
        env: { ...env, ...extra },
        checks,
      });
      expect(forge).toBeInstanceOf(GitHubForge);
      const github = forge as InstanceType<typeof GitHubForge>;
      return { self: github.runsChecksItself, dispatched: github.dispatchedWorkflow };
    };
    const command = { command: 'npm test', timeoutSeconds: 60 };
    // With a command, as without one: the repository's CI runs it, not the factory.
    expect(await made({}, command)).toEqual({ self: false, dispatched: 'ci.yml' });
    expect(await made({}, { timeoutSeconds: 60, workflow: 'test.yaml' })).toEqual({
      self: false,
      dispatched: 'test.yaml',
    });
    expect(await made({}, { ...command, selfRun: true })).toEqual({ self: true, dispatched: undefined });
    // An App or personal token's pushes start CI; outside Actions the token is a person's.
    for (const extra of [{ AIFACTORY_GITHUB_TOKEN: 'app' }, { GITHUB_ACTIONS: '' }] as Record<
      string,
      string
    >[]) {
      expect(await made(extra, { ...command, selfRun: true })).toEqual({
        self: false,
        dispatched: undefined,
      });
    }
  });

  it('leaves author and committer to GitHub with signed commits, so GitHub marks the commit verified', async () => {
    const { github, forge } = await start({}, { signedCommits: true });
    const head = await push(forge, 'one\n');
    const commit = await github.git.readCommit(head);
    expect(commit?.author.name).toBe('aifactory-app[bot]');
    expect(commit?.message).toContain('Agent: gpt');
    const { data } = await (
      await import('@octokit/rest').then(
        ({ Octokit }) => new Octokit({ auth: github.authorToken, baseUrl: github.url }),
      )
    ).rest.git.getCommit({ owner: 'aifactory-test', repo: 'demo', commit_sha: head });
    expect(data.verification?.verified).toBe(true);
    // Without the option, the agent is the author and GitHub cannot sign.
    const { forge: plain, github: other } = await start();
    const unsigned = await push(plain, 'one\n');
    expect((await other.git.readCommit(unsigned))?.author.name).toBe('gpt');
    expect(github.invalid).toEqual([]);
  });
});
