import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CiRun } from '../../../../scripts/core/status/snapshot-schema.ts';
import { forgeSnapshotInputs, writeSnapshots } from '../../../../scripts/engine/report/snapshot-writer.ts';
import { runFactory } from '../../../../scripts/engine/run/factory.ts';
import { HOLD_LABEL } from '../../../../scripts/forge/labels.ts';
import { GitHubFixture } from '../../../fixtures/github/fixture.ts';
import { githubRunOptions } from '../../../fixtures/github-env.ts';
import { createSandboxRepo, simpleStory } from '../../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../../fixtures/silent-progress.ts';

let github: GitHubFixture | undefined;
let root: string | undefined;

afterEach(async () => {
  await github?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  github = undefined;
  root = undefined;
});

/** The options of `aifactory run --forge github` on `sandbox`, against the fixture, with `env` added. */
function runOptions(sandbox: { replayDir: string }, fixture: GitHubFixture, env: Record<string, string>) {
  return {
    forge: 'github' as const,
    replayDir: sandbox.replayDir,
    env: { GITHUB_API_URL: fixture.url, GITHUB_REPOSITORY: 'aifactory-test/demo', ...env },
    github: { client: { throttle: false, retryAfterBaseValue: 10 } },
  };
}

/** GITHUB_TOKEN alone inside Actions: the factory's pushes start no workflow. */
const insideActions = (fixture: GitHubFixture) => ({
  GITHUB_TOKEN: fixture.actionsToken,
  GITHUB_ACTIONS: 'true',
});

/** A task whose first iteration writes BROKEN into its file, and whose second repairs it. */
function redThenRepaired(id: string) {
  const path = `src/${id}.txt`;
  return {
    task: { task_id: id, description: `Write ${path}`, assignee: 'gpt', files: [path] },
    iterations: [
      { files: [{ path, content: 'BROKEN\n' }], verdict: 'approve' as const },
      { files: [{ path, content: 'repaired\n' }], verdict: 'approve' as const },
    ],
  };
}

/** Each attempt of `record` as iteration:kind:result. */
const attemptsOf = (record: { attempts: Array<{ iteration: number; kind: string; result: string }> }) =>
  record.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`);

const RED_THEN_GREEN = [
  '1:code:proposed',
  '1:checks:failed',
  '2:code:proposed',
  '2:checks:passed',
  '2:review:approved',
  '2:merge:merged',
];

describe('the factory on the github forge, end to end', () => {
  it('takes tasks to merged through GitHub, and a rerun makes no second pull request, review or commit', async () => {
    const stories = [simpleStory('gh-one'), simpleStory('gh-two', {}, 2)];
    const sandbox = await createSandboxRepo(stories);
    root = sandbox.root;
    github = await GitHubFixture.start({ seed: root, ci: () => 'success', mergeableAfterReads: 0 });
    const options = githubRunOptions(github, sandbox.replayDir);
    const { env } = options;
    const summary = await runFactory(root, options, silentProgress);
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
    const { createForge } = await import('../../../../scripts/forge/index.ts');
    const forge = await createForge('github', { root, defaultBranch: 'main', env });
    expect(await forge.ignoredPaths(['.replay/x.json', 'src/x.ts'])).toEqual(['.replay/x.json']);
    const before = counts();
    // Two pull requests, three reviews (one asks for changes), three iterations, two merges.
    expect(before).toEqual([2, 3, 3, 2]);
    // GITHUB_TOKEN may not approve here, so approvals are COMMENT reviews plus the aifactory/review status.
    expect(github.statuses().filter((status) => status.context === 'aifactory/review')).toHaveLength(2);
    await runFactory(root, options, silentProgress);
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
      const summary = await runFactory(root, options, silentProgress);
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

  it('with GITHUB_TOKEN alone inside Actions and checks.self_run, runs the checks itself, repairs a red iteration and merges', async () => {
    const command = `if grep -q BROKEN src/gh-self.txt; then echo "src/gh-self.txt:1: BROKEN is not allowed"; exit 1; fi`;
    const sandbox = await createSandboxRepo([redThenRepaired('gh-self')], {
      config: `export default { checks: { command: ${JSON.stringify(command)}, self_run: true } };\n`,
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
    const summary = await runFactory(
      root,
      runOptions(sandbox, github, insideActions(github)),
      silentProgress,
    );
    const record = summary.records.get('gh-self')!;
    expect(record.state, JSON.stringify([record.last_error, github.invalid])).toBe('merged');
    expect(attemptsOf(record)).toEqual(RED_THEN_GREEN);
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

  it('with GITHUB_TOKEN alone inside Actions, dispatches the CI workflow on the task branch once per head, repairs a red iteration and merges', async () => {
    // A command is configured, and still the factory never runs it: the repository's CI does.
    const sandbox = await createSandboxRepo([redThenRepaired('gh-dispatch')], {
      config: `export default { checks: { command: "exit 0" } };\n`,
    });
    root = sandbox.root;
    github = await GitHubFixture.start({
      seed: root,
      ci: (_sha, files) =>
        files['src/gh-dispatch.txt']?.includes('BROKEN')
          ? { conclusion: 'failure', title: 'src/gh-dispatch.txt:1: BROKEN is not allowed' }
          : 'success',
      mergeableAfterReads: 0,
      permissions: { actions: { actions: 'write' } },
      settings: { can_approve_pull_request_reviews: true, required_status_checks: ['ci'] },
    });
    const summary = await runFactory(
      root,
      runOptions(sandbox, github, insideActions(github)),
      silentProgress,
    );
    const record = summary.records.get('gh-dispatch')!;
    expect(record.state, JSON.stringify([record.last_error, github.invalid])).toBe('merged');
    expect(attemptsOf(record)).toEqual(RED_THEN_GREEN);
    expect(record.attempts[1]?.output).toContain('src/gh-dispatch.txt:1: BROKEN is not allowed');
    // One dispatch per head, of ci.yml on the task branch, by GITHUB_TOKEN; no check ran in the factory.
    const dispatches = github.requests.filter((r) => r.operationId === 'actions/create-workflow-dispatch');
    expect(dispatches.map((r) => [r.path, r.status, r.login])).toEqual([
      ['/repos/aifactory-test/demo/actions/workflows/ci.yml/dispatches', 204, 'github-actions[bot]'],
      ['/repos/aifactory-test/demo/actions/workflows/ci.yml/dispatches', 204, 'github-actions[bot]'],
    ]);
    const heads = record.attempts.filter((a) => a.kind === 'checks').map((a) => a.commit);
    expect(github.workflowRuns.map((run) => [run.event, run.headBranch, run.headSha])).toEqual(
      heads.map((head) => ['workflow_dispatch', 'aifactory/gh-dispatch', head]),
    );
    expect(github.statuses().filter((status) => status.context === 'aifactory/checks')).toEqual([]);
    expect(github.calls('repos/download-tarball-archive')).toHaveLength(0);
    expect(await github.readFile('main', 'src/gh-dispatch.txt')).toBe('repaired\n');
    expect(github.invalid).toEqual([]);
  });
});

describe('no checks, no automatic merge', () => {
  /** A task on a repository where nothing ever reports on a head (no workflow at all). */
  async function bareRepository(config: string) {
    const sandbox = await createSandboxRepo([simpleStory('gh-bare')], { config });
    root = sandbox.root;
    const fixture = await GitHubFixture.start({ seed: sandbox.root, mergeableAfterReads: 0 });
    github = fixture;
    const options = runOptions(sandbox, fixture, {
      AIFACTORY_GITHUB_TOKEN: fixture.authorToken,
      GITHUB_TOKEN: fixture.actionsToken,
    });
    const run = async (now: Date) =>
      (await runFactory(sandbox.root, { ...options, now: () => now }, silentProgress)).records.get('gh-bare');
    return { fixture, run };
  }

  it('waits with "no checks reported for <sha>", then for a person, and never merges the head itself', async () => {
    const { fixture, run } = await bareRepository(
      `export default { checks: { pending_timeout_minutes: 30 } };\n`,
    );
    const t0 = Date.parse('2030-01-01T10:00:00Z');
    const first = await run(new Date(t0));
    const head = fixture.pulls[0]!.headSha;
    expect(first?.state).toBe('reviewing');
    expect(first?.last_error).toEqual({
      class: 'checks',
      message: expect.stringMatching(new RegExp(`^no checks reported for ${head}`)),
    });
    expect((await run(new Date(t0 + 20 * 60_000)))?.state).toBe('reviewing');
    const held = await run(new Date(t0 + 31 * 60_000));
    expect(held?.state).toBe('needs_human');
    expect(held?.last_error?.message).toContain(`no checks reported for ${head}`);
    expect(held?.last_error?.message).toContain('a person merges or closes pull request #1');
    expect(fixture.pulls[0]!.labels).toContain(HOLD_LABEL);
    // Later runs leave it to the person: no review, no merge.
    await run(new Date(t0 + 90 * 60_000));
    expect(fixture.pulls[0]).toMatchObject({ state: 'open', merged: false });
    expect(fixture.calls('pulls/merge')).toHaveLength(0);
    expect(fixture.calls('pulls/create-review')).toHaveLength(0);
    expect(fixture.invalid).toEqual([]);
  });

  it('merges a head without checks when the config says the repository has none (checks.required: false)', async () => {
    const { fixture, run } = await bareRepository(`export default { checks: { required: false } };\n`);
    const record = await run(new Date('2030-01-01T10:00:00Z'));
    expect(record?.state, JSON.stringify(record?.last_error)).toBe('merged');
    expect(fixture.pulls[0]).toMatchObject({ merged: true });
    expect(fixture.invalid).toEqual([]);
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
      { ...silentProgress, warn: (message: string) => warnings.push(message) },
    );
    // What the after-run step adds to the snapshots, read through the run's forge.
    const inputs = await forgeSnapshotInputs(root, summary.forge, new Date(), (message) =>
      warnings.push(message),
    );
    return { summary, warnings, ...inputs };
  };

  it('gathers the latest workflow run and each task check, with their links, into ci.json', async () => {
    const { warnings, ci, commitsPerDay } = await run();
    expect(warnings).toEqual([]);
    const runs = ci ?? [];
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
    const counted = Object.values(commitsPerDay ?? {}).reduce((sum, count) => sum + count, 0);
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

  it("reports a person's revert of a factory merge on the default branch", async () => {
    const { summary, reverts } = await run();
    const merge = summary.records.get('gh-ci')!.merge_commit!;
    expect(reverts).toEqual([]);
    // A person reverts the merge on GitHub (the revert button writes git's own line).
    const main = (await github!.branch('main'))!;
    const parentTree = (await github!.git.run(['rev-parse', `${merge}^1^{tree}`])).stdout.toString().trim();
    const message = `Revert "Merge task gh-ci"\n\nThis reverts commit ${merge}.\n`;
    const person = { GIT_AUTHOR_NAME: 'P', GIT_AUTHOR_EMAIL: 'p@example.invalid' };
    const made = await github!.git.run(['commit-tree', parentTree, '-p', main, '-m', message], {
      env: { ...person, GIT_COMMITTER_NAME: 'P', GIT_COMMITTER_EMAIL: 'p@example.invalid' },
    });
    const revert = made.stdout.toString().trim();
    await github!.git.run(['update-ref', 'refs/heads/main', revert]);
    const after = await forgeSnapshotInputs(root!, summary.forge, new Date(), () => undefined);
    summary.forge.close?.();
    expect(after.reverts).toEqual([
      { commit: revert, reverted: merge, day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
    ]);
  });

  it('without actions: read, leaves the workflow runs out with a warning that names the permission', async () => {
    const { summary, warnings, ci } = await run({ author: { actions: 'none' } });
    expect(summary.records.get('gh-ci')?.state).toBe('merged');
    expect(github!.invalid).toEqual([]);
    expect(ci?.some((entry) => entry.name === 'CI')).toBe(false);
    expect(ci?.some((entry) => entry.name.endsWith(' · gh-ci'))).toBe(true);
    expect(warnings.join('\n')).toMatch(/no workflow runs.*actions/);
  });
});
