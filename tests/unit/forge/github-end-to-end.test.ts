import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CiRun } from '../../../scripts/core/snapshot-schema.ts';
import { runFactory } from '../../../scripts/engine/factory.ts';
import { writeSnapshots } from '../../../scripts/engine/snapshot-writer.ts';
import { GitHubFixture } from '../../fixtures/github/fixture.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { githubRunOptions } from './github-harness.ts';

let github: GitHubFixture | undefined;
let root: string | undefined;

afterEach(async () => {
  await github?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  github = undefined;
  root = undefined;
});

const quiet = { step: () => undefined, done: () => undefined };

describe('the factory on the github forge, end to end', () => {
  it('takes tasks to merged through GitHub, and a rerun makes no second pull request, review or commit', async () => {
    const stories = [simpleStory('gh-one'), simpleStory('gh-two', {}, 2)];
    const sandbox = await createSandboxRepo(stories);
    root = sandbox.root;
    github = await GitHubFixture.start({ seed: root, ci: () => 'success', mergeableAfterReads: 0 });
    const options = githubRunOptions(github, sandbox.replayDir);
    const { env } = options;
    const summary = await runFactory(root, options, quiet);
    const states = Object.fromEntries([...summary.records].map(([id, record]) => [id, record.state]));
    expect(states).toEqual({ 'gh-one': 'merged', 'gh-two': 'merged' });
    expect(await github.readFile('main', 'src/gh-one.txt')).toBe('gh-one v1\n');
    expect(await github.readFile('main', 'src/gh-two.txt')).toBe('gh-two v2\n');
    expect(github.pulls.map((pr) => [pr.head, pr.merged]).sort()).toEqual([
      ['aifactory/gh-one', true],
      ['aifactory/gh-two', true],
    ]);
    const counts = () =>
      ['pulls/create', 'pulls/create-review', 'git/create-commit', 'pulls/merge'].map(
        (operation) => github!.calls(operation).filter((call) => call.status < 300).length,
      );
    // The clone's ignore rules hold: the sandbox ignores .replay/, so a write there is refused.
    const { createForge } = await import('../../../scripts/forge/index.ts');
    const forge = await createForge('github', { root, defaultBranch: 'main', env });
    expect(await forge.ignoredPaths(['.replay/x.json', 'src/x.ts'])).toEqual(['.replay/x.json']);
    const before = counts();
    // Two pull requests, three reviews (one asks for changes), three iterations, two merges.
    expect(before).toEqual([2, 3, 3, 2]);
    // GITHUB_TOKEN may not approve here, so approvals are COMMENT reviews plus the aifactory/review status.
    expect(github.statuses().filter((status) => status.context === 'aifactory/review')).toHaveLength(2);
    await runFactory(root, options, quiet);
    expect(counts()).toEqual(before);
    expect(github.invalid).toEqual([]);
  });

  it('waits for CI and mergeability across runs, then merges, with one pull request and one review per iteration', async () => {
    const sandbox = await createSandboxRepo([simpleStory('gh-wait')]);
    root = sandbox.root;
    github = await GitHubFixture.start({
      seed: root,
      settings: { required_status_checks: ['ci'] },
      ci: () => 'success',
      ciReads: 3,
    });
    const env = {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: 'aifactory-test/demo',
      GITHUB_TOKEN: github.authorToken,
    };
    const options = {
      forge: 'github' as const,
      replayDir: sandbox.replayDir,
      env,
      github: { client: { throttle: false, retryAfterBaseValue: 10 } },
    };
    let state: string | undefined;
    let runs = 0;
    for (; runs < 6 && state !== 'merged'; runs += 1) {
      const summary = await runFactory(root, options, quiet);
      state = summary.records.get('gh-wait')?.state;
    }
    expect(state).toBe('merged');
    // Pending checks and a mergeability still being computed pause the task; a later run finishes it.
    expect(runs).toBeGreaterThan(1);
    expect(github.pulls).toHaveLength(1);
    expect(github.calls('pulls/create-review').filter((call) => call.status < 300)).toHaveLength(1);
    // One token: the approval is a COMMENT review plus the aifactory/review status.
    expect(github.statuses().map((status) => [status.context, status.state])).toEqual([
      ['aifactory/review', 'success'],
    ]);
    expect(await github.readFile('main', 'src/gh-wait.txt')).toBe('gh-wait v1\n');
    expect(github.invalid).toEqual([]);
  });

  it('with GITHUB_TOKEN alone inside Actions, runs the checks itself, repairs a red iteration and merges', async () => {
    const story = {
      task: {
        task_id: 'gh-self',
        description: 'Write src/gh-self.txt',
        assignee: 'gpt',
        files: ['src/gh-self.txt'],
      },
      iterations: [
        { files: [{ path: 'src/gh-self.txt', content: 'BROKEN\n' }], verdict: 'approve' as const },
        { files: [{ path: 'src/gh-self.txt', content: 'repaired\n' }], verdict: 'approve' as const },
      ],
    };
    const command = `if grep -q BROKEN src/gh-self.txt; then echo "src/gh-self.txt:1: BROKEN is not allowed"; exit 1; fi`;
    const sandbox = await createSandboxRepo([story], {
      config: `export default { checks: { command: ${JSON.stringify(command)} } };\n`,
    });
    root = sandbox.root;
    // The repository's CI would pass anything, but GITHUB_TOKEN's pushes start no workflow.
    // "Allow GitHub Actions to create and approve pull requests" is on, as the README asks.
    github = await GitHubFixture.start({
      seed: root,
      ci: () => 'success',
      mergeableAfterReads: 0,
      settings: { can_approve_pull_request_reviews: true, required_status_checks: ['aifactory/checks'] },
    });
    const options = {
      forge: 'github' as const,
      replayDir: sandbox.replayDir,
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: 'aifactory-test/demo',
        GITHUB_TOKEN: github.actionsToken,
        GITHUB_ACTIONS: 'true',
      },
      github: { client: { throttle: false, retryAfterBaseValue: 10 } },
    };
    const summary = await runFactory(root, options, quiet);
    const record = summary.records.get('gh-self')!;
    expect(record.state, JSON.stringify([record.last_error, github.invalid])).toBe('merged');
    expect(record.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`)).toEqual([
      '1:code:proposed',
      '1:checks:failed',
      '2:code:proposed',
      '2:checks:passed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    expect(record.attempts[1]?.output).toContain('src/gh-self.txt:1: BROKEN is not allowed');
    expect(github.workflowRuns).toHaveLength(0);
    expect(
      github
        .statuses()
        .filter((status) => status.context === 'aifactory/checks')
        .map((status) => status.state)
        .sort(),
    ).toEqual(['failure', 'success']);
    expect(await github.readFile('main', 'src/gh-self.txt')).toBe('repaired\n');
    expect(github.invalid).toEqual([]);
  });
});

describe('CI state for the dashboard', () => {
  const run = async (permissions?: { author?: Record<string, 'none'> }) => {
    const sandbox = await createSandboxRepo([simpleStory('gh-ci')]);
    root = sandbox.root;
    github = await GitHubFixture.start({
      seed: root,
      ci: () => 'success',
      mergeableAfterReads: 0,
      ...(permissions ? { permissions } : {}),
    });
    const warnings: string[] = [];
    const summary = await runFactory(
      root,
      {
        forge: 'github',
        replayDir: sandbox.replayDir,
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: 'aifactory-test/demo',
          AIFACTORY_GITHUB_TOKEN: github.authorToken,
          GITHUB_TOKEN: github.actionsToken,
        },
        github: { client: { throttle: false, retryAfterBaseValue: 10 } },
      },
      { ...quiet, warn: (message: string) => warnings.push(message) },
    );
    return { summary, warnings };
  };

  it('gathers the latest workflow run and each task check, with their links, into ci.json', async () => {
    const { summary, warnings } = await run();
    expect(warnings).toEqual([]);
    const runs = summary.ci ?? [];
    const workflow = runs.find((entry) => entry.name === 'CI');
    expect(workflow).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(workflow?.url).toMatch(/^https?:\/\//);
    const checks = runs.filter((entry) => entry.name.endsWith(' · gh-ci'));
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((entry) => entry.url !== null && entry.head_sha !== null)).toBe(true);
    // The snapshot keeps them, and a later snapshot from the records alone does not lose them.
    // Commit counts come from GitHub's history of main, which the local clone never saw.
    // Its first-parent line: a merged pull request counts once.
    const line = await github!.git.run(['rev-list', '--first-parent', (await github!.branch('main'))!]);
    const onMain = line.stdout.toString().split('\n').filter(Boolean);
    const counted = Object.values(summary.commitsPerDay ?? {}).reduce((sum, count) => sum + count, 0);
    expect(counted).toBe(onMain.length);
    await writeSnapshots(root!, { ci: runs });
    const written = async () =>
      JSON.parse(await readFile(join(root!, 'shared/status/ci.json'), 'utf8')) as { runs: CiRun[] };
    const first = await written();
    expect(first.runs.map((entry) => entry.name)).toEqual(expect.arrayContaining(['CI', checks[0]!.name]));
    await writeSnapshots(root!);
    expect((await written()).runs).toEqual(first.runs);
    expect(github!.invalid).toEqual([]);
  });

  it('without actions: read, leaves the workflow runs out with a warning that names the permission', async () => {
    const { summary, warnings } = await run({ author: { actions: 'none' } });
    expect(summary.records.get('gh-ci')?.state).toBe('merged');
    expect(github!.invalid).toEqual([]);
    expect(summary.ci?.some((entry) => entry.name === 'CI')).toBe(false);
    expect(summary.ci?.some((entry) => entry.name.endsWith(' · gh-ci'))).toBe(true);
    expect(warnings.join('\n')).toMatch(/no workflow runs.*actions/);
  });
});
