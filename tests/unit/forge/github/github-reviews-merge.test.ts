import { describe, expect, it } from 'vitest';
import type { PostedReview } from '../../../../scripts/forge/types.ts';
import { push, SIGNING_KEY, secondForge, useGitHubForge } from './github-harness.ts';

const start = useGitHubForge();

function review(commit: string, extra: Partial<PostedReview> = {}): PostedReview {
  return {
    agent: 'gemini-pro',
    verdict: 'approve',
    summary: 'Looks right.',
    comments: [],
    commit,
    iteration: 1,
    ...extra,
  };
}

async function opened(forge: Awaited<ReturnType<typeof start>>['forge'], content = 'one\n') {
  await push(forge, content);
  return forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'Task t by gpt' });
}

describe('github forge: reviews', () => {
  it('approves with the reviewer identity, once per commit and iteration, and finds it again after a crash', async () => {
    const { github, forge } = await start({ settings: { can_approve_pull_request_reviews: true } });
    const pr = await opened(forge);
    await forge.addReview(pr, review(pr.head));
    await forge.addReview(pr, review(pr.head));
    const reviews = github.pull(pr.number)?.reviews ?? [];
    expect(reviews.map((r) => [r.state, r.user.login])).toEqual([['APPROVED', 'github-actions[bot]']]);
    expect(github.calls('pulls/create-review')).toHaveLength(1);
    // A new forge, as a rerun after a crash would make, finds the verdict without asking a model.
    const again = secondForge(github, { reviewerToken: github.actionsToken, signingKey: SIGNING_KEY });
    expect(await again.findReview(pr, { commit: pr.head, iteration: 1 })).toEqual(review(pr.head));
    expect(await again.findReview(pr, { commit: pr.head, iteration: 2 })).toBeUndefined();
    expect(github.invalid).toEqual([]);
  });

  it('requests changes with line comments in the diff, and moves the others into the body', async () => {
    const { github, forge } = await start();
    const pr = await opened(forge, 'one\ntwo\n');
    const verdict = review(pr.head, {
      verdict: 'request_changes',
      summary: 'Fix it.',
      comments: [
        { path: 'src/a.txt', line: 2, body: 'wrong line' },
        { path: 'README.md', line: 1, body: 'not in the diff' },
        { path: 'src/a.txt', body: 'no line' },
      ],
    });
    await forge.addReview(pr, verdict);
    const [posted] = github.pull(pr.number)?.reviews ?? [];
    expect(posted?.state).toBe('CHANGES_REQUESTED');
    expect(posted?.body).toContain('not in the diff');
    expect(posted?.body).toContain('no line');
    expect(await forge.findReview(pr, { commit: pr.head, iteration: 1 })).toEqual(verdict);
    expect(github.invalid).toEqual([]);
  });

  it('retries with every comment in the body when GitHub says a line is not part of the diff', async () => {
    const { github, forge } = await start();
    const pr = await opened(forge, 'one\n');
    const verdict = review(pr.head, {
      verdict: 'request_changes',
      summary: 'Fix it.',
      comments: [{ path: 'src/a.txt', line: 40, body: 'past the end' }],
    });
    await forge.addReview(pr, verdict);
    expect(github.calls('pulls/create-review').map((call) => call.status)).toEqual([422, 200]);
    expect(github.pull(pr.number)?.reviews[0]?.body).toContain('past the end');
    expect(github.invalid).toEqual([]);
  });

  it('with one token posts a COMMENT review and the verdict as the aifactory/review status', async () => {
    const { github, forge } = await start({}, { oneToken: true });
    const pr = await opened(forge);
    await forge.addReview(pr, review(pr.head));
    expect(github.pull(pr.number)?.reviews.map((r) => r.state)).toEqual(['COMMENTED']);
    expect(github.statuses(pr.head).map((s) => [s.context, s.state])).toEqual([
      ['aifactory/review', 'success'],
    ]);
    // The factory's own status is not a check: no check was seen.
    expect((await forge.readChecks(pr)).state).toBe('missing');
    expect(await forge.findReview(pr, { commit: pr.head, iteration: 1 })).toMatchObject({
      verdict: 'approve',
    });
    expect(github.invalid).toEqual([]);
  });

  it('falls back to COMMENT + status when GitHub Actions may not approve', async () => {
    const { github, forge } = await start();
    const pr = await opened(forge);
    await forge.addReview(pr, review(pr.head));
    expect(github.calls('pulls/create-review').map((call) => call.status)).toEqual([422, 200]);
    expect(github.pull(pr.number)?.reviews.map((r) => r.state)).toEqual(['COMMENTED']);
    expect(github.statuses(pr.head).map((s) => s.state)).toEqual(['success']);
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: checks', () => {
  it('reads pending, then passed, from check runs', async () => {
    const { github, forge } = await start({ ci: () => 'success', ciReads: 100 });
    const pr = await opened(forge);
    expect((await forge.readChecks(pr)).state).toBe('pending');
    await github.completeChecks(pr.head);
    expect(await forge.readChecks(pr)).toEqual({ state: 'passed', output: '' });
    expect(github.invalid).toEqual([]);
  });

  it('reads a failure with the failing run output', async () => {
    const { github, forge } = await start({
      ci: () => ({
        conclusion: 'failure',
        title: 'tests failed',
        summary: '1 failing',
        text: 'x'.repeat(9000),
      }),
    });
    const pr = await opened(forge);
    const report = await forge.readChecks(pr);
    expect(report.state).toBe('failed');
    expect(report.output).toContain('tests failed');
    expect(report.output).toContain('1 failing');
    expect(report.output.length).toBeLessThanOrEqual(4000);
    expect(github.invalid).toEqual([]);
  });

  it('reads missing when nothing reports on the head, and none when the config says the repository has no checks', async () => {
    const { github, forge } = await start();
    const pr = await opened(forge);
    expect(await forge.readChecks(pr)).toMatchObject({
      state: 'missing',
      output: expect.stringContaining(`no checks reported for ${pr.head}`),
    });
    const { forge: unchecked } = await start({}, { checksExpected: false });
    const bare = await opened(unchecked);
    expect(await unchecked.readChecks(bare)).toEqual({ state: 'none', output: '' });
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: merge', () => {
  it('waits while GitHub computes mergeability, then merges the approved head', async () => {
    const { github, forge } = await start();
    const pr = await opened(forge);
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'waiting',
      reason: 'GitHub is computing mergeability',
    });
    const outcome = await forge.merge(pr, { message: 'Merge t\n\nbody', head: pr.head });
    expect(outcome).toEqual({ kind: 'merged', commit: await github.branch('main') });
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual(outcome);
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ state: 'merged' });
    expect(github.invalid).toEqual([]);
  });

  it('says head_moved when the head is not the approved one', async () => {
    const { github, forge } = await start({ mergeableAfterReads: 0 });
    const pr = await opened(forge);
    const moved = await github.push('aifactory/t', { 'b.txt': 'b\n' });
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'head_moved',
      head: moved,
    });
    expect(github.invalid).toEqual([]);
  });

  it('says conflict when the branch cannot merge', async () => {
    const { github, forge } = await start({ mergeableAfterReads: 0 });
    const pr = await opened(forge);
    await github.push('main', { 'src/a.txt': 'theirs\n' });
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'conflict',
      paths: [],
    });
    // Disarmed: armed, GitHub would merge the next iteration's head, unreviewed, once it is green.
    expect(github.pull(pr.number)!.autoMerge).toBeNull();
    expect(github.invalid).toEqual([]);
  });

  it('arms auto-merge when a required check is pending, and GitHub merges when it passes', async () => {
    const { github, forge } = await start({
      settings: { required_status_checks: ['ci'], allow_auto_merge: true },
      ci: () => 'success',
      ciReads: 100,
      mergeableAfterReads: 0,
    });
    const pr = await opened(forge);
    const outcome = await forge.merge(pr, { message: 'Merge t', head: pr.head });
    expect(outcome).toMatchObject({ kind: 'queued' });
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toMatchObject({ kind: 'queued' });
    await github.completeChecks(pr.head);
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'merged',
      commit: await github.branch('main'),
    });
    expect(github.invalid).toEqual([]);
  });

  it('says conflict when the branch conflicts after auto-merge was armed, instead of waiting forever', async () => {
    const { github, forge } = await start({
      settings: { required_status_checks: ['ci'], allow_auto_merge: true },
      ci: () => 'success',
      ciReads: 100,
      mergeableAfterReads: 0,
    });
    const pr = await opened(forge);
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toMatchObject({ kind: 'queued' });
    await github.push('main', { 'src/a.txt': 'theirs\n' });
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'conflict',
      paths: [],
    });
    // Disarmed: armed, GitHub would merge the next iteration's head, unreviewed, once it is green.
    expect(github.pull(pr.number)!.autoMerge).toBeNull();
    expect(github.invalid).toEqual([]);
  });

  it('waits with GitHub reason when a required check is pending and auto-merge is off', async () => {
    const { github, forge } = await start({
      settings: { required_status_checks: ['ci'] },
      ci: () => 'success',
      ciReads: 100,
      mergeableAfterReads: 0,
    });
    const pr = await opened(forge);
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'waiting',
      reason: 'Required status check "ci" is expected.',
    });
    expect(github.invalid).toEqual([]);
  });
});
