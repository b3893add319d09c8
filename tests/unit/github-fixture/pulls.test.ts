import { describe, expect, it } from 'vitest';
import { commitFiles, failure, openPull, owner, repo, useGitHub } from './harness.ts';

describe('GitHub fixture: pull requests', () => {
  const h = useGitHub({ seed: { 'README.md': '# demo\n', 'src/app.ts': 'one\ntwo\nthree\n' } });

  it('opens a pull request and refuses a second one for the same head', async () => {
    await commitFiles(h.author, 'feature', { 'src/app.ts': 'one\nTWO\nthree\n' });
    const created = await h.author.pulls.create({
      owner,
      repo,
      title: 'Change',
      head: 'feature',
      base: 'main',
      body: 'Why',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      number: 1,
      state: 'open',
      title: 'Change',
      body: 'Why',
      merged: false,
    });
    expect(created.data.head).toMatchObject({
      ref: 'feature',
      sha: await h.github.branch('feature'),
      label: `${owner}:feature`,
    });
    expect(created.data.user?.login).toBe('aifactory-app[bot]');
    const again = await failure(
      h.author.pulls.create({ owner, repo, title: 'Again', head: 'feature', base: 'main' }),
    );
    expect(again.status).toBe(422);
    expect(again.data.message).toBe('Validation Failed');
    expect((again.data.errors as Array<{ message: string }>)[0]?.message).toBe(
      `A pull request already exists for ${owner}:feature.`,
    );
    expect(h.github.calls('pulls/create').map((call) => call.status)).toEqual([201, 422]);
  });

  it('refuses a pull request whose head has no commits beyond the base, or does not exist', async () => {
    const main = await h.github.branch('main');
    await h.author.git.createRef({ owner, repo, ref: 'refs/heads/empty', sha: main ?? '' });
    const empty = await failure(
      h.author.pulls.create({ owner, repo, title: 'x', head: 'empty', base: 'main' }),
    );
    expect((empty.data.errors as Array<{ message: string }>)[0]?.message).toBe(
      'No commits between main and empty',
    );
    const missing = await failure(
      h.author.pulls.create({ owner, repo, title: 'x', head: 'nope', base: 'main' }),
    );
    expect(missing.data.errors).toEqual([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
  });

  it('filters by head only in the owner:branch form; a bare branch name is ignored', async () => {
    await openPull(h, 'one', { 'a.txt': 'a\n' });
    await openPull(h, 'two', { 'b.txt': 'b\n' });
    const byOwner = await h.author.pulls.list({ owner, repo, head: `${owner}:two`, state: 'all' });
    expect(byOwner.data.map((pr) => pr.head.ref)).toEqual(['two']);
    const bare = await h.author.pulls.list({ owner, repo, head: 'two', state: 'all' });
    expect(bare.data.map((pr) => pr.head.ref).sort()).toEqual(['one', 'two']);
    const otherOwner = await h.author.pulls.list({ owner, repo, head: 'someone-else:two', state: 'all' });
    expect(otherOwner.data).toEqual([]);
  });

  it('lists open pull requests by default and closed ones with state=closed or all', async () => {
    const first = await openPull(h, 'one', { 'a.txt': 'a\n' });
    await openPull(h, 'two', { 'b.txt': 'b\n' });
    await h.author.pulls.update({ owner, repo, pull_number: first, state: 'closed' });
    expect((await h.author.pulls.list({ owner, repo })).data.map((pr) => pr.number)).toEqual([2]);
    expect((await h.author.pulls.list({ owner, repo, state: 'closed' })).data.map((pr) => pr.number)).toEqual(
      [1],
    );
    expect((await h.author.pulls.list({ owner, repo, state: 'all' })).data.map((pr) => pr.number)).toEqual([
      2, 1,
    ]);
  });

  it('shows mergeable null on the first read after a change, then computes it', async () => {
    const number = await openPull(h, 'feature', { 'src/app.ts': 'one\nTWO\nthree\n' });
    const first = await h.author.pulls.get({ owner, repo, pull_number: number });
    expect(first.data).toMatchObject({ mergeable: null, mergeable_state: 'unknown' });
    const second = await h.author.pulls.get({ owner, repo, pull_number: number });
    expect(second.data).toMatchObject({
      mergeable: true,
      mergeable_state: 'clean',
      changed_files: 1,
      additions: 1,
      deletions: 1,
      commits: 1,
    });
    await commitFiles(h.author, 'feature', { 'more.txt': 'more\n' });
    expect((await h.author.pulls.get({ owner, repo, pull_number: number })).data.mergeable).toBeNull();
    expect((await h.author.pulls.get({ owner, repo, pull_number: number })).data.mergeable).toBe(true);
  });

  it('reports a conflict with the base as mergeable false and dirty', async () => {
    const number = await openPull(h, 'feature', { 'src/app.ts': 'one\nfeature\nthree\n' });
    await commitFiles(h.author, 'main', { 'src/app.ts': 'one\nmain\nthree\n' });
    await h.author.pulls.get({ owner, repo, pull_number: number });
    const seen = await h.author.pulls.get({ owner, repo, pull_number: number });
    expect(seen.data).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
  });

  it('lists the changed files with patches', async () => {
    const number = await openPull(h, 'feature', { 'src/app.ts': 'one\nTWO\nthree\n', 'new.md': 'new\n' });
    const files = await h.author.pulls.listFiles({ owner, repo, pull_number: number });
    expect(files.data.map((file) => [file.filename, file.status])).toEqual([
      ['new.md', 'added'],
      ['src/app.ts', 'modified'],
    ]);
    expect(files.data[1]?.patch).toBe('@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three');
  });

  it('updates the title and body, closes and reopens', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const updated = await h.author.pulls.update({
      owner,
      repo,
      pull_number: number,
      title: 'New title',
      body: 'New body',
    });
    expect(updated.data).toMatchObject({ title: 'New title', body: 'New body' });
    const closed = await h.author.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
    expect(closed.data.state).toBe('closed');
    expect(closed.data.closed_at).not.toBeNull();
    const reopened = await h.author.pulls.update({ owner, repo, pull_number: number, state: 'open' });
    expect(reopened.data).toMatchObject({ state: 'open', closed_at: null });
  });

  it('closes the pull request when its head branch is deleted', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    await h.author.git.deleteRef({ owner, repo, ref: 'heads/feature' });
    expect((await h.author.pulls.get({ owner, repo, pull_number: number })).data.state).toBe('closed');
  });

  it('adds labels (creating unknown ones) and issue comments', async () => {
    const number = await openPull(h, 'feature', { 'a.txt': 'a\n' });
    const labels = await h.author.issues.addLabels({
      owner,
      repo,
      issue_number: number,
      labels: ['aifactory', 'needs-human'],
    });
    expect(labels.data.map((label) => label.name)).toEqual(['aifactory', 'needs-human']);
    await h.author.issues.addLabels({ owner, repo, issue_number: number, labels: ['aifactory'] });
    const pr = await h.author.pulls.get({ owner, repo, pull_number: number });
    expect(pr.data.labels.map((label) => label.name)).toEqual(['aifactory', 'needs-human']);
    const comment = await h.author.issues.createComment({
      owner,
      repo,
      issue_number: number,
      body: 'Run 42 started.',
    });
    expect(comment.status).toBe(201);
    const listed = await h.actions.issues.listComments({ owner, repo, issue_number: number });
    expect(listed.data.map((c) => [c.user?.login, c.body])).toEqual([
      ['aifactory-app[bot]', 'Run 42 started.'],
    ]);
  });

  it('paginates pull requests with Link headers that octokit.paginate follows', async () => {
    for (const branch of ['p1', 'p2', 'p3']) await openPull(h, branch, { [`${branch}.txt`]: `${branch}\n` });
    const page = await h.author.pulls.list({ owner, repo, per_page: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.headers.link).toContain('rel="next"');
    const all = await h.author.paginate(h.author.pulls.list, { owner, repo, per_page: 2 });
    expect(all.map((pr) => pr.number)).toEqual([3, 2, 1]);
  });

  it('refuses a pull request opened with GITHUB_TOKEN while Actions may not create pull requests', async () => {
    await commitFiles(h.author, 'feature', { 'a.txt': 'a\n' });
    const refused = await failure(
      h.actions.pulls.create({ owner, repo, title: 'x', head: 'feature', base: 'main' }),
    );
    expect(refused).toMatchObject({
      status: 403,
      data: { message: 'GitHub Actions is not permitted to create or approve pull requests.' },
    });
    h.github.settings.can_approve_pull_request_reviews = true;
    const created = await h.actions.pulls.create({ owner, repo, title: 'x', head: 'feature', base: 'main' });
    expect(created.data.user?.login).toBe('github-actions[bot]');
  });
});
