import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunRecord, RunRecordSchema } from '../../../../scripts/core/record/run-record.ts';
import { type RunOptions, runFactory } from '../../../../scripts/engine/run/factory.ts';
import { GitHubFixture } from '../../../fixtures/github/fixture.ts';
import { githubRunOptions } from '../../../fixtures/github-env.ts';
import { createSandboxRepo, simpleStory, type TaskStory } from '../../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../../fixtures/silent-progress.ts';

/**
 * The real engine against the GitHub fixture, scenario by scenario, in one sandbox: each phase runs
 * some tasks (`only`), then checks what GitHub holds and what the run records say.
 */

const CI_FAILURE = 'src/s-ci.txt:1: BROKEN is not allowed here';

function story(
  id: string,
  path: string,
  versions: string[],
  extra: Partial<TaskStory['task']> = {},
): TaskStory {
  return {
    task: { task_id: id, description: `Write ${path}`, assignee: 'gpt', files: [path], ...extra },
    iterations: versions.map((content) => ({ files: [{ path, content }], verdict: 'approve' as const })),
  };
}

const STORIES: TaskStory[] = [
  simpleStory('s-plain'),
  simpleStory('s-changes', {}, 2),
  story('s-ci', 'src/s-ci.txt', ['BROKEN\n', 'repaired\n']),
  simpleStory('s-a'),
  simpleStory('s-b', { depends_on: ['s-a'] }),
  // Proposes a file outside the allowed folders: the protocol refuses it before any push.
  {
    task: {
      task_id: 's-reject',
      description: 'Write src/s-reject.txt',
      assignee: 'gpt',
      files: ['src/s-reject.txt'],
    },
    iterations: [{ files: [{ path: 'secrets/s-reject.txt', content: 'no\n' }], verdict: 'approve' }],
  },
  // A workflow change: the reviewer approves, but only a person may merge it.
  story('s-hold', '.github/workflows/x.yml', ['name: x\non: push\n'], { assignee: 'grok-fast' }),
  simpleStory('s-auto'),
  // Both write the same file; whichever merges second conflicts and starts over.
  story('s-c1', 'src/shared.txt', ['from c1\n', 'from c1 again\n']),
  story('s-c2', 'src/shared.txt', ['from c2\n', 'from c2 again\n']),
];

let github: GitHubFixture;
let root: string;
let options: RunOptions;
beforeAll(async () => {
  const sandbox = await createSandboxRepo(STORIES);
  root = sandbox.root;
  github = await GitHubFixture.start({
    seed: root,
    settings: { allow_auto_merge: true },
    mergeableAfterReads: 0,
    ci: (_sha, files) =>
      Object.values(files).some((content) => content?.includes('BROKEN'))
        ? { conclusion: 'failure', title: 'lint failed', summary: 'one error', text: CI_FAILURE }
        : 'success',
  });
  options = {
    ...githubRunOptions(github, sandbox.replayDir),
    github: { client: { throttle: false, retryAfterBaseValue: 10, timeoutMs: 5000 } },
  };
});

afterAll(async () => {
  await github?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const run = (only: string[], extra: Partial<RunOptions> = {}) =>
  runFactory(root, { ...options, only, ...extra }, silentProgress);

async function record(id: string): Promise<RunRecord> {
  return RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')));
}

const steps = (rec: RunRecord) => rec.attempts.map((a) => `${a.iteration}:${a.kind}:${a.result}`);
const pullOf = (id: string) => github.pulls.filter((pr) => pr.head === `aifactory/${id}`);
const okCalls = (operation: string) => github.calls(operation).filter((call) => call.status < 300).length;

describe('the factory on the github forge, scenario by scenario', () => {
  it('approves and merges, iterates on review, repairs CI, follows a chain, rejects a bad proposal and holds a workflow change', async () => {
    const ids = ['s-plain', 's-changes', 's-ci', 's-a', 's-b', 's-reject', 's-hold'];
    for (let pass = 0; pass < 3; pass += 1) await run(ids);

    // 1. approval and a plain merge.
    const plain = await record('s-plain');
    expect(plain.state).toBe('merged');
    expect(steps(plain)).toEqual([
      '1:code:proposed',
      '1:checks:passed',
      '1:review:approved',
      '1:merge:merged',
    ]);
    const [plainPr] = pullOf('s-plain');
    expect(pullOf('s-plain')).toHaveLength(1);
    expect(plainPr!.merged).toBe(true);
    expect(plainPr!.reviews).toHaveLength(1);
    // GITHUB_TOKEN may not approve here: the approval is a COMMENT review plus the review status.
    expect(plainPr!.reviews[0]!.state).toBe('COMMENTED');
    expect(plainPr!.reviews[0]!.user.login).toBe('github-actions[bot]');
    expect(github.statuses(plainPr!.headSha).map((s) => [s.context, s.state])).toEqual([
      ['aifactory/review', 'success'],
    ]);
    expect(github.checkRuns(plainPr!.headSha).map((c) => [c.name, c.conclusion])).toEqual([
      ['ci', 'success'],
    ]);
    expect(plain.merge_commit).toBeTruthy();
    expect(await github.readFile('main', 'src/s-plain.txt')).toBe('s-plain v1\n');

    // 2. changes requested, then approved: two commits on the branch, two reviews.
    const changes = await record('s-changes');
    expect(changes.state).toBe('merged');
    expect(steps(changes)).toEqual([
      '1:code:proposed',
      '1:checks:passed',
      '1:review:changes_requested',
      '2:code:proposed',
      '2:checks:passed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    const [changesPr] = pullOf('s-changes');
    expect(pullOf('s-changes')).toHaveLength(1);
    expect(changesPr!.reviews.map((review) => review.state)).toEqual(['CHANGES_REQUESTED', 'COMMENTED']);
    const branchLog = await github.git.run([
      'rev-list',
      '--count',
      changesPr!.headSha,
      '--not',
      `${changes.merge_commit}^1`,
    ]);
    expect(Number(branchLog.stdout.toString().trim())).toBe(2);
    expect(await github.readFile('main', 'src/s-changes.txt')).toBe('s-changes v2\n');

    // 3. CI fails the first head; its output reaches the record, and iteration 2 merges.
    const ci = await record('s-ci');
    expect(ci.state).toBe('merged');
    expect(steps(ci)).toEqual([
      '1:code:proposed',
      '1:checks:failed',
      '2:code:proposed',
      '2:checks:passed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    const failed = ci.attempts.find((a) => a.kind === 'checks' && a.result === 'failed')!;
    expect(failed.output).toContain(CI_FAILURE);
    expect(failed.output).toContain('lint failed');
    const [ciPr] = pullOf('s-ci');
    expect(ciPr!.reviews).toHaveLength(1);
    expect(github.checkRuns().filter((c) => c.conclusion === 'failure')).toHaveLength(1);
    expect(await github.readFile('main', 'src/s-ci.txt')).toBe('repaired\n');

    // 4. the chain: b merged after a.
    const [a, b] = [await record('s-a'), await record('s-b')];
    expect([a.state, b.state]).toEqual(['merged', 'merged']);
    expect(a.merged_at! < b.attempts[0]!.started_at).toBe(true);
    expect(pullOf('s-b')[0]!.number).toBeGreaterThan(pullOf('s-a')[0]!.number);

    // 5. a proposal outside the allowed folders: rejected, and no pull request, branch or commit.
    const rejected = await record('s-reject');
    expect(rejected.state).toBe('rejected');
    expect(rejected.last_error?.message).toContain('secrets/s-reject.txt');
    expect(pullOf('s-reject')).toEqual([]);
    expect(await github.branch('aifactory/s-reject')).toBeNull();

    // 8. a workflow change: approved but held for a person, labelled, not merged.
    const hold = await record('s-hold');
    expect(hold.state).toBe('needs_human');
    expect(hold.last_error?.class).toBe('control_plane');
    const [holdPr] = pullOf('s-hold');
    expect(pullOf('s-hold')).toHaveLength(1);
    expect(holdPr!.labels).toContain('aifactory:needs-human');
    expect(holdPr!.merged).toBe(false);
    expect(holdPr!.state).toBe('open');
    expect(await github.readFile('main', '.github/workflows/x.yml')).toBeNull();

    expect(github.invalid).toEqual([]);
  });

  it('arms auto-merge while a required check is missing, and a rerun records the merge', async () => {
    // 6. A required check "deploy" that no workflow reports yet: the checks the engine reads are
    // green, the direct merge is refused (405), and the forge arms auto-merge.
    github.settings.required_status_checks = ['deploy'];
    await run(['s-auto']);
    const waiting = await record('s-auto');
    expect(waiting.state).not.toBe('merged');
    expect(waiting.last_error?.message).toContain('auto-merge');
    const [pr] = pullOf('s-auto');
    expect(pr!.merged).toBe(false);
    expect(pr!.autoMerge).not.toBeNull();

    // The deploy job reports success (a status: the fixture's CI makes only check runs, and a pending
    // one would hold the task before review, never reaching auto-merge); GitHub merges; a rerun records it.
    const deployer = new Octokit({ auth: github.actionsToken, baseUrl: github.url });
    await deployer.rest.repos.createCommitStatus({
      owner: 'aifactory-test',
      repo: 'demo',
      sha: pr!.headSha,
      state: 'success',
      context: 'deploy',
    });
    expect(github.pull(pr!.number)!.merged).toBe(true);
    github.settings.required_status_checks = [];
    await run(['s-auto']);
    const merged = await record('s-auto');
    expect(merged.state).toBe('merged');
    expect(merged.last_error).toBeNull();
    expect(await github.readFile('main', 'src/s-auto.txt')).toBe('s-auto v1\n');
    expect(github.invalid).toEqual([]);
  });

  it('sends a conflicting change back to the coder on a restarted branch', async () => {
    // 7. both branch from the same main; the second to merge conflicts.
    let records: RunRecord[] = [];
    for (
      let pass = 0;
      pass < 4 && !(records.length > 0 && records.every((r) => r.state === 'merged'));
      pass += 1
    ) {
      await run(['s-c1', 's-c2'], { concurrency: 2 });
      records = [await record('s-c1'), await record('s-c2')];
    }
    expect(
      records.map((r) => r.state),
      JSON.stringify(records.map((r) => r.last_error)),
    ).toEqual(['merged', 'merged']);
    const second = records.find((r) => steps(r).includes('1:merge:conflict'));
    const first = records.find((r) => r !== second)!;
    expect(second, JSON.stringify(records.map(steps))).toBeDefined();
    expect(steps(first)).toEqual([
      '1:code:proposed',
      '1:checks:passed',
      '1:review:approved',
      '1:merge:merged',
    ]);
    expect(steps(second!)).toEqual([
      '1:code:proposed',
      '1:checks:passed',
      '1:review:approved',
      '1:merge:conflict',
      '2:code:proposed',
      '2:checks:passed',
      '2:review:approved',
      '2:merge:merged',
    ]);
    expect(second!.attempts.find((a) => a.result === 'conflict')!.output).toMatch(/^conflicts in /);
    const [secondPr] = pullOf(second!.task_id);
    expect(pullOf(second!.task_id)).toHaveLength(1);
    expect(secondPr!.merged).toBe(true);
    const suffix = second!.task_id === 's-c1' ? 'c1' : 'c2';
    expect(await github.readFile('main', 'src/shared.txt')).toBe(`from ${suffix} again\n`);
    expect(github.invalid).toEqual([]);
  });

  it('a rerun after all that makes no second pull request, review, comment or commit', async () => {
    const operations = [
      'pulls/create',
      'pulls/create-review',
      'issues/create-comment',
      'git/create-commit',
      'pulls/merge',
      'issues/add-labels',
    ];
    const counts = () => operations.map(okCalls);
    const before = counts();
    // GraphQL reads (who the factory is) are POSTs too.
    const writes = () =>
      github.requests.filter((r) => r.method !== 'GET' && r.operationId !== 'graphql' && r.status < 300)
        .length;
    const writesBefore = writes();
    const summary = await runFactory(root, options, silentProgress);
    expect(counts()).toEqual(before);
    expect(writes()).toBe(writesBefore);
    expect(summary.records.get('s-hold')?.state ?? 'needs_human').toBe('needs_human');
    expect(github.pulls).toHaveLength(9);
    expect(github.invalid).toEqual([]);
  });
});
