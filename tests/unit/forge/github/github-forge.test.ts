import { describe, expect, it } from 'vitest';
import { gpt, push, secondForge, useGitHubForge } from './github-harness.ts';

const start = useGitHubForge();

describe('github forge: commits', () => {
  it('commits an iteration with the Git Data API, authored by the agent, and makes no second commit on a rerun', async () => {
    const { github, forge } = await start();
    const main = await github.branch('main');
    const first = await push(forge, 'one\n');
    expect(await github.branch('aifactory/t')).toBe(first);
    const commit = await github.git.readCommit(first);
    expect(commit?.parents).toEqual([main]);
    expect(commit?.author.name).toBe('gpt');
    expect(commit?.committer.name).toBe('AI Factory OS');
    expect(commit?.message).toContain('Write a\n\nTask-Id: t\nAgent: gpt');
    expect(await github.readFile(first, 'src/a.txt')).toBe('one\n');
    expect(await push(forge, 'one\n')).toBe(first);
    expect(github.calls('git/create-commit')).toHaveLength(1);
    const second = await push(forge, 'two\n');
    expect((await github.git.readCommit(second))?.parents).toEqual([first]);
    expect(await forge.readFile('src/a.txt', 'aifactory/t')).toBe('two\n');
    expect(await forge.readFile('src/a.txt')).toBeUndefined();
    expect(await forge.readFile('src')).toBeUndefined();
    expect(github.invalid).toEqual([]);
  });

  it('writes a large iteration in tree chunks of 100 entries, as one commit', async () => {
    const { github, forge } = await start();
    const changes = Array.from({ length: 150 }, (_, index) => ({
      path: `src/f${index}.txt`,
      content: `${index}\n`,
    }));
    const commit = await forge.pushIteration({
      branch: 'aifactory/t',
      changes,
      message: 'Many',
      author: gpt,
      trailers: {},
    });
    expect(github.calls('git/create-tree')).toHaveLength(2);
    expect(github.calls('git/create-commit')).toHaveLength(1);
    expect(await github.readFile(commit, 'src/f149.txt')).toBe('149\n');
    expect(await github.readFile(commit, 'src/f0.txt')).toBe('0\n');
    expect(github.invalid).toEqual([]);
  });

  it('restarts a branch from the default branch with a forced update', async () => {
    const { github, forge } = await start();
    await push(forge, 'one\n');
    const main = await github.push('main', { 'other.txt': 'x\n' });
    const restarted = await push(forge, 'again\n', 'aifactory/t', { restart: true });
    expect((await github.git.readCommit(restarted))?.parents).toEqual([main]);
    expect(await github.branch('aifactory/t')).toBe(restarted);
    expect(github.invalid).toEqual([]);
  });

  it('rebuilds once when another writer moved the branch between its read and its write', async () => {
    const { github, forge } = await start({ staleRefReads: true });
    await push(forge, 'one\n');
    await github.push('aifactory/t', { 'b.txt': 'b\n' });
    // The next read of the ref is stale, so the first update is not a fast forward.
    const head = await push(forge, 'two\n');
    expect(await github.readFile(head, 'b.txt')).toBe('b\n');
    expect(await github.readFile(head, 'src/a.txt')).toBe('two\n');
    expect(github.invalid).toEqual([]);
  });

  it('commits to the default branch, and nothing when the tree is unchanged', async () => {
    const { github, forge } = await start();
    const input = {
      changes: [{ path: 'shared/runs/t.json', content: '{}\n' }],
      message: 'Run records',
      author: gpt,
    };
    const outcome = await forge.commitToDefaultBranch(input);
    expect(outcome).toEqual({ kind: 'committed', commit: await github.branch('main') });
    expect(await forge.commitToDefaultBranch(input)).toEqual({ kind: 'unchanged' });
    expect(github.invalid).toEqual([]);
  });

  it('retries a commit to the default branch that another writer raced', async () => {
    const { github, forge } = await start({ staleRefReads: true });
    // Another run's commit: the next read of main still shows the old head, so the first update is refused.
    const theirs = await forge.commitToDefaultBranch({
      changes: [{ path: 'theirs.txt', content: 't\n' }],
      message: 'Theirs',
      author: gpt,
    });
    if (theirs.kind !== 'committed') throw new Error('their commit made no commit');
    const outcome = await forge.commitToDefaultBranch({
      changes: [{ path: 'shared/runs/t.json', content: '{}\n' }],
      message: 'Run records',
      author: gpt,
    });
    expect(github.calls('git/update-ref').map((call) => call.status)).toEqual([200, 422, 200]);
    if (outcome.kind !== 'committed') throw new Error(`expected a commit, got ${outcome.kind}`);
    expect(await github.branch('main')).toBe(outcome.commit);
    expect((await github.git.readCommit(outcome.commit))?.parents).toEqual([theirs.commit]);
    expect(github.invalid).toEqual([]);
  });

  it('reports tree entry modes for each path and its folders', async () => {
    const { github, forge } = await start({ seed: { 'README.md': 'r\n', 'src/x/y.ts': 'y\n' } });
    const modes = await forge.inspectPaths(['src/x/y.ts', 'src/new.ts', 'README.md/z', 'docs/a.md']);
    expect(Object.fromEntries(modes)).toEqual({
      src: '040000',
      'src/x': '040000',
      'src/x/y.ts': '100644',
      'README.md': '100644',
    });
    expect((await forge.inspectPaths(['src/x/y.ts'], 'nope')).size).toBe(0);
    expect(await forge.ignoredPaths(['a'])).toEqual([]);
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: pull requests', () => {
  it('opens one pull request per branch, ever, and re-checks head.ref', async () => {
    const { github, forge } = await start();
    await push(forge, 'one\n', 'aifactory/other');
    const other = await forge.openPullRequest({ branch: 'aifactory/other', title: 'O', body: 'b' });
    expect(await forge.findPullRequest('aifactory/t')).toBeUndefined();
    await push(forge, 'one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    expect(pr).toMatchObject({ branch: 'aifactory/t', state: 'open' });
    expect(pr.number).not.toBe(other.number);
    expect((await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' })).number).toBe(
      pr.number,
    );
    expect(github.calls('pulls/create')).toHaveLength(2);
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ number: pr.number, head: pr.head });
    expect(github.invalid).toEqual([]);
  });

  it('retries a 502 on the pull request list and still opens exactly one', async () => {
    const { github, forge } = await start();
    const head = await push(forge, 'one\n');
    github.inject({ kind: 'server-error', status: 502 }, { operationId: 'pulls/list', times: 1 });
    await expect(
      forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' }),
    ).resolves.toMatchObject({
      head,
    });
    expect(github.pulls).toHaveLength(1);
    expect(github.invalid).toEqual([]);
  });

  it('lists changed files with deletions and labels the pull request', async () => {
    const { github, forge } = await start({ seed: { 'README.md': 'r\n', 'old.txt': 'o\n' } });
    await push(forge, 'one\n');
    await github.push('aifactory/t', { 'old.txt': null });
    const pr = (await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' }))!;
    expect(await forge.changedFiles(pr)).toEqual(
      expect.arrayContaining([
        { path: 'src/a.txt', status: 'added' },
        { path: 'old.txt', status: 'deleted' },
      ]),
    );
    await forge.labelPullRequest(pr, ['aifactory:needs-human']);
    await forge.labelPullRequest(pr, ['aifactory:needs-human']);
    expect(github.pull(pr.number)?.labels).toEqual(['aifactory:needs-human']);
    expect(github.invalid).toEqual([]);
  });
});

describe('github forge: racing runs', () => {
  it('opens one pull request when two runs race to open it (422 "already exists")', async () => {
    const { github, forge } = await start();
    await push(forge, 'one\n');
    const other = secondForge(github);
    const input = { branch: 'aifactory/t', title: 'T', body: 'b' };
    const [a, b] = await Promise.all([forge.openPullRequest(input), other.openPullRequest(input)]);
    expect(a.number).toBe(b.number);
    expect(github.pulls).toHaveLength(1);
    expect(github.calls('pulls/create').map((call) => call.status)).toEqual([201, 422]);
    expect(github.invalid).toEqual([]);
  });
});
