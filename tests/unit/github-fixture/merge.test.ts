import { describe, expect, it } from 'vitest';
import { commitFiles, failure, openPull, owner, repo, useGitHub } from './harness.ts';

const SEED = { 'src/app.ts': 'one\ntwo\nthree\n' };

describe('GitHub fixture: merging', () => {
  const h = useGitHub({ seed: SEED });

  /** Reads the pull request until GitHub has computed mergeability, as a careful client does. */
  const settle = async (number: number) => {
    await h.author.pulls.get({ owner, repo, pull_number: number });
    return (await h.author.pulls.get({ owner, repo, pull_number: number })).data;
  };

  it('merges with a merge commit and marks the pull request merged', async () => {
    const number = await openPull(h, 'feature', { 'src/app.ts': 'one\nTWO\nthree\n' });
    const head = (await settle(number)).head.sha;
    const main = await h.github.branch('main');
    const merged = await h.author.pulls.merge({ owner, repo, pull_number: number, sha: head });
    expect(merged.data).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });
    expect(await h.github.branch('main')).toBe(merged.data.sha);
    const commit = await h.github.git.readCommit(merged.data.sha);
    expect(commit?.parents).toEqual([main, head]);
    expect(commit?.message).toBe(
      `Merge pull request #${number} from ${owner}/feature\n\nChange on feature\n`,
    );
    expect(await h.github.readFile('main', 'src/app.ts')).toBe('one\nTWO\nthree\n');
    const pr = await h.author.pulls.get({ owner, repo, pull_number: number });
    expect(pr.data).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha });
    expect(pr.data.merged_at).not.toBeNull();
    expect(pr.data.merged_by?.login).toBe('aifactory-app[bot]');
  });

  it('squashes into one commit on the base', async () => {
    await commitFiles(h.author, 'feature', { 'a.txt': 'a\n' }, 'first');
    await commitFiles(h.author, 'feature', { 'b.txt': 'b\n' }, 'second');
    const pr = await h.author.pulls.create({
      owner,
      repo,
      title: 'Two files',
      head: 'feature',
      base: 'main',
    });
    await settle(pr.data.number);
    const main = await h.github.branch('main');
    const merged = await h.author.pulls.merge({
      owner,
      repo,
      pull_number: pr.data.number,
      merge_method: 'squash',
    });
    const commit = await h.github.git.readCommit(merged.data.sha);
    expect(commit?.parents).toEqual([main]);
    expect(commit?.message).toBe('Two files (#1)\n\n* first\n* second\n');
    expect(await h.github.readFile('main', 'b.txt')).toBe('b\n');
  });

  it('rebases each commit onto the moved base', async () => {
    await commitFiles(h.author, 'feature', { 'src/app.ts': 'one\nTWO\nthree\n' }, 'first');
    await commitFiles(h.author, 'feature', { 'src/app.ts': 'one\nTWO!\nthree\n' }, 'second');
    const pr = await h.author.pulls.create({
      owner,
      repo,
      title: 'Rebase me',
      head: 'feature',
      base: 'main',
    });
    await commitFiles(h.author, 'main', { 'other.txt': 'other\n' });
    await settle(pr.data.number);
    const base = await h.github.branch('main');
    const merged = await h.author.pulls.merge({
      owner,
      repo,
      pull_number: pr.data.number,
      merge_method: 'rebase',
    });
    const tip = await h.github.git.readCommit(merged.data.sha);
    const below = await h.github.git.readCommit(tip?.parents[0] ?? '');
    expect([below?.message, tip?.message]).toEqual(['first', 'second']);
    expect(below?.parents).toEqual([base]);
    expect(await h.github.readFile('main', 'src/app.ts')).toBe('one\nTWO!\nthree\n');
    expect(await h.github.readFile('main', 'other.txt')).toBe('other\n');
  });

  it('answers 409 when the head moved since the given sha', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const old = (await settle(number)).head.sha;
    await commitFiles(h.author, 'feature', { 'b.txt': 'b\n' });
    await settle(number);
    const refused = await failure(h.author.pulls.merge({ owner, repo, pull_number: number, sha: old }));
    expect(refused).toMatchObject({
      status: 409,
      data: { message: 'Head branch was modified. Review and try the merge again.' },
    });
  });

  it('answers 405 while mergeability is not computed yet', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const refused = await failure(h.author.pulls.merge({ owner, repo, pull_number: number }));
    expect(refused).toMatchObject({ status: 405, data: { message: 'Pull Request is not mergeable' } });
    await settle(number);
    expect((await h.author.pulls.merge({ owner, repo, pull_number: number })).status).toBe(200);
  });

  it('answers 405 for a conflict, with mergeable false', async () => {
    const number = await openPull(h, 'feature', { 'src/app.ts': 'one\nfeature\nthree\n' });
    await commitFiles(h.author, 'main', { 'src/app.ts': 'one\nmain\nthree\n' });
    expect(await settle(number)).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    const refused = await failure(h.author.pulls.merge({ owner, repo, pull_number: number }));
    expect(refused).toMatchObject({ status: 405, data: { message: 'Pull Request is not mergeable' } });
  });

  it('answers 405 for a merge method the repository does not allow', async () => {
    h.github.settings.allow_merge_commit = false;
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    await settle(number);
    const refused = await failure(
      h.author.pulls.merge({ owner, repo, pull_number: number, merge_method: 'merge' }),
    );
    expect(refused).toMatchObject({
      status: 405,
      data: { message: 'Merge commits are not allowed on this repository.' },
    });
    const repository = await h.author.repos.get({ owner, repo });
    expect(repository.data).toMatchObject({
      allow_merge_commit: false,
      allow_squash_merge: true,
      allow_rebase_merge: true,
    });
  });

  it('calls a pull request with a failing check that is not required unstable, and merges it', async () => {
    h.github.ci = () => 'failure';
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    expect(await settle(number)).toMatchObject({ mergeable: true, mergeable_state: 'unstable' });
    expect((await h.author.pulls.merge({ owner, repo, pull_number: number })).status).toBe(200);
  });

  it('answers 405 for an already merged pull request', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    await settle(number);
    await h.author.pulls.merge({ owner, repo, pull_number: number });
    expect((await failure(h.author.pulls.merge({ owner, repo, pull_number: number }))).status).toBe(405);
  });
});

describe('GitHub fixture: branch protection and auto-merge', () => {
  const h = useGitHub({
    seed: SEED,
    settings: { required_status_checks: ['ci'], allow_auto_merge: true },
    ci: () => 'success',
    ciReads: 5,
  });

  const settle = async (number: number) => {
    await h.author.pulls.get({ owner, repo, pull_number: number });
    return (await h.author.pulls.get({ owner, repo, pull_number: number })).data;
  };
  const enable = (id: string, headOid?: string) =>
    h.author.graphql<{
      enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: string } | null } };
    }>(
      `mutation($id: ID!, $oid: GitObjectID) {
        enablePullRequestAutoMerge(input: { pullRequestId: $id, mergeMethod: SQUASH, expectedHeadOid: $oid }) {
          pullRequest { number autoMergeRequest { mergeMethod enabledBy { login } } }
        }
      }`,
      { id, oid: headOid },
    );

  it('answers 405 while a required check is pending, and merges once it passed', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    expect(await settle(number)).toMatchObject({ mergeable: true, mergeable_state: 'blocked' });
    const refused = await failure(h.author.pulls.merge({ owner, repo, pull_number: number }));
    expect(refused).toMatchObject({
      status: 405,
      data: { message: 'Required status check "ci" is expected.' },
    });
    await h.github.completeChecks((await h.github.branch('feature')) ?? '');
    expect((await settle(number)).mergeable_state).toBe('clean');
    expect((await h.author.pulls.merge({ owner, repo, pull_number: number })).status).toBe(200);
  });

  it('accepts a commit status as the required check, and calls a failing one failing', async () => {
    h.github.settings.required_status_checks = ['aifactory/review'];
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const sha = (await h.github.branch('feature')) ?? '';
    await h.author.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state: 'failure',
      context: 'aifactory/review',
    });
    await settle(number);
    const refused = await failure(h.author.pulls.merge({ owner, repo, pull_number: number }));
    expect(refused.data.message).toBe('Required status check "aifactory/review" is failing.');
    await h.author.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state: 'success',
      context: 'aifactory/review',
    });
    expect((await h.author.pulls.merge({ owner, repo, pull_number: number })).status).toBe(200);
  });

  it('arms auto-merge while checks are pending and merges when they pass', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const pr = await settle(number);
    const armed = await enable(pr.node_id, pr.head.sha);
    expect(armed.enablePullRequestAutoMerge.pullRequest.autoMergeRequest).toEqual({
      mergeMethod: 'SQUASH',
      enabledBy: { login: 'aifactory-app[bot]' },
    });
    expect(
      (await h.author.pulls.get({ owner, repo, pull_number: number })).data.auto_merge?.merge_method,
    ).toBe('squash');
    // The forge polls the pull request; each read lets the simulated CI move on, and GitHub merges.
    let after = await h.author.pulls.get({ owner, repo, pull_number: number });
    for (let poll = 0; poll < 10 && !after.data.merged; poll += 1) {
      after = await h.author.pulls.get({ owner, repo, pull_number: number });
    }
    expect(after.data).toMatchObject({ state: 'closed', merged: true, auto_merge: null });
    expect(await h.github.readFile('main', 'a.txt')).toBe('a\n');
    expect(h.github.calls('pulls/merge')).toEqual([]);
  });

  it('refuses auto-merge on a pull request that could merge right now ("clean status")', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    await h.github.completeChecks();
    const pr = await settle(number);
    expect(pr.mergeable_state).toBe('clean');
    const refused = await enable(pr.node_id).catch(
      (error: { errors: Array<{ type: string; message: string }> }) => error,
    );
    expect(refused).toMatchObject({
      errors: [
        {
          type: 'UNPROCESSABLE',
          message: 'Pull request Pull request is in clean status',
          path: ['enablePullRequestAutoMerge'],
        },
      ],
    });
  });

  it('refuses auto-merge when the repository does not allow it', async () => {
    h.github.settings.allow_auto_merge = false;
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const pr = await settle(number);
    const refused = await enable(pr.node_id).catch((error: { errors: Array<{ message: string }> }) => error);
    expect(refused).toMatchObject({
      errors: [{ message: 'Pull request Auto merge is not allowed for this repository' }],
    });
  });

  it("reads a pull request's id and auto-merge state through GraphQL", async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const result = await h.author.graphql<{
      repository: {
        pullRequest: { id: string; headRefOid: string; autoMergeRequest: null; mergeStateStatus: string };
      };
    }>(
      `query($owner: String!, $name: String!, $number: Int!) {
        repository(owner: $owner, name: $name) {
          pullRequest(number: $number) { id headRefOid autoMergeRequest { enabledAt } mergeStateStatus }
        }
      }`,
      { owner, name: repo, number },
    );
    const rest = await h.author.pulls.get({ owner, repo, pull_number: number });
    expect(result.repository.pullRequest).toMatchObject({
      id: rest.data.node_id,
      headRefOid: rest.data.head.sha,
      autoMergeRequest: null,
    });
  });
});
