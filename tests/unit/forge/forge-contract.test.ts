/**
 * One contract for every forge (STYLE.md 1): the same cases and the same expectations, run
 * against the local forge on a real git sandbox, the GitHub forge against the spec-checked fake
 * GitHub, and the in-memory forge the engine tests use.
 * A forge joins by adding a `make` below.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubForge } from '../../../scripts/forge/github/forge.ts';
import { createLocalForge } from '../../../scripts/forge/local/forge.ts';
import type { Forge } from '../../../scripts/forge/types.ts';
import { GitHubFixture } from '../../fixtures/github/fixture.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { createSandboxRepo } from '../../fixtures/sandbox-repo.ts';

interface Made {
  forge: Forge;
  /** Changes the default branch behind the factory's back (a person's push). */
  commitOnMain(path: string, content: string): Promise<void>;
  /** The comments on pull request `number`, as the forge holds them. */
  comments(number: number): Promise<string[]>;
  dispose(): Promise<void>;
}

const FORGES: { name: string; make: () => Promise<Made> }[] = [
  {
    name: 'local',
    make: async () => {
      const { root } = await createSandboxRepo([]);
      const forge = await createLocalForge({ root, defaultBranch: 'main' });
      return {
        forge,
        commitOnMain: async (path, content) => {
          await forge.commitToDefaultBranch({
            changes: [{ path, content }],
            message: 'a person',
            author: { name: 'person', email: 'person@example.invalid' },
          });
        },
        comments: async (number) => {
          const text = await readFile(join(root, '.git/aifactory/pulls', `${number}.json`), 'utf8');
          return (JSON.parse(text) as { comments: { body: string }[] }).comments.map((c) => c.body);
        },
        dispose: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'github',
    make: async () => {
      // Mergeability is computed at once here; waiting for it is the GitHub suite's business.
      const github = await GitHubFixture.start({
        seed: { 'README.md': '# sandbox\n' },
        mergeableAfterReads: 0,
      });
      const forge = new GitHubForge({
        apiUrl: github.url,
        graphqlUrl: github.graphqlUrl,
        owner: 'aifactory-test',
        repo: 'demo',
        authorToken: github.authorToken,
        reviewerToken: github.actionsToken,
        signingKey: 'contract-signing-key',
        client: { throttle: false, retryAfterBaseValue: 10, timeoutMs: 5000 },
      });
      return {
        forge,
        commitOnMain: async (path, content) => {
          await github.push('main', { [path]: content });
        },
        comments: async (number) => github.pull(number)!.comments.map((comment) => comment.body),
        dispose: async () => {
          const invalid = github.invalid.length;
          await github.stop();
          // Every request the forge made is one GitHub's own description allows.
          expect(invalid).toBe(0);
        },
      };
    },
  },
  {
    name: 'memory',
    make: async () => {
      const forge = new MemoryForge();
      forge.main.set('README.md', '# sandbox\n');
      return {
        forge,
        commitOnMain: async (path, content) => {
          forge.main.set(path, content);
        },
        comments: async (number) =>
          forge.pulls.find((pr) => pr.number === number)!.comments.map((comment) => comment.body),
        dispose: async () => undefined,
      };
    },
  },
];

const author = { name: 'gpt', email: 'gpt@agents.aifactory.invalid' };
const review = { agent: 'gemini-pro', verdict: 'approve' as const, summary: 'ok', comments: [] };

describe.each(FORGES)('the $name forge keeps the Forge contract', ({ make }) => {
  let made: Made;
  let forge: Forge;
  const push = (content: string, extra: { restart?: boolean; path?: string } = {}) =>
    forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: extra.path ?? 'src/a.txt', content }],
      message: 'Write a',
      author,
      trailers: { 'Task-Id': 't' },
      ...(extra.restart ? { restart: true } : {}),
    });

  beforeEach(async () => {
    made = await make();
    forge = made.forge;
  });

  afterEach(async () => {
    await made.dispose();
  });

  it('commits an iteration on a new branch, and reads it back at the branch and not on the default branch', async () => {
    const head = await push('one\n');
    expect(head).toBeTruthy();
    expect(await forge.readFile('src/a.txt', 'aifactory/t')).toBe('one\n');
    expect(await forge.readFile('src/a.txt')).toBeUndefined();
    expect(await forge.readFile('README.md')).toBe('# sandbox\n');
  });

  it('deletes a file as a deletion, the change lists it so, and a missing path is left alone', async () => {
    await made.commitOnMain('src/old.txt', 'old\n');
    const head = await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: 'src/a.txt', content: 'one\n' }],
      deletions: ['src/old.txt', 'src/never-there.txt'],
      message: 'Write a, delete old',
      author,
      trailers: { 'Task-Id': 't' },
    });
    expect(await forge.readFile('src/old.txt', 'aifactory/t')).toBeUndefined();
    expect(await forge.readFile('src/old.txt')).toBe('old\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    expect(pr.head).toBe(head);
    const changed = await forge.changedFiles(pr);
    expect(changed.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'src/a.txt', status: 'added' },
      { path: 'src/old.txt', status: 'deleted' },
    ]);
  });

  it('makes no second commit when a rerun pushes the same content', async () => {
    const first = await push('one\n');
    expect(await push('one\n')).toBe(first);
  });

  it('opens one pull request per branch, ever, and finds it again', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const again = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    expect(again.number).toBe(pr.number);
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ number: pr.number, state: 'open' });
    expect(await forge.findPullRequest('aifactory/other')).toBeUndefined();
  });

  it('comments once per key, closes a pull request, and reopens the same one when its branch is proposed again', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    await forge.commentOnce(pr, 'failed-1', 'The task failed.');
    await forge.commentOnce(pr, 'failed-1', 'The task failed again.');
    await forge.commentOnce(pr, 'failed-2', 'Another reason.');
    const comments = await made.comments(pr.number);
    expect(comments).toHaveLength(2);
    expect(comments[0]).toContain('The task failed.');
    expect(comments[1]).toContain('Another reason.');
    await forge.closePullRequest(pr);
    await forge.closePullRequest(pr);
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ number: pr.number, state: 'closed' });
    await push('two\n');
    const reopened = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    expect(reopened).toMatchObject({ number: pr.number, state: 'open' });
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ number: pr.number, state: 'open' });
  });

  it('lists the whole change of the branch over its iterations', async () => {
    await push('one\n');
    await push('two\n', { path: 'docs/b.md' });
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const changed = await forge.changedFiles(pr);
    expect(changed.map((file) => `${file.status} ${file.path}`).sort()).toEqual([
      'added docs/b.md',
      'added src/a.txt',
    ]);
  });

  it('keeps a label once, and a review of one commit and iteration once', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    await forge.labelPullRequest(pr, ['aifactory:needs-human']);
    await forge.labelPullRequest(pr, ['aifactory:needs-human']);
    const at = { commit: pr.head, iteration: 1 };
    expect(await forge.findReview(pr, at)).toBeUndefined();
    await forge.addReview(pr, { ...review, ...at });
    await forge.addReview(pr, { ...review, ...at });
    expect(await forge.findReview(pr, at)).toMatchObject({ verdict: 'approve', summary: 'ok', ...at });
    expect(await forge.findReview(pr, { ...at, iteration: 2 })).toBeUndefined();
  });

  it('merges the approved head, and says so again when asked twice', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const outcome = await forge.merge(pr, { message: 'Merge t', head: pr.head });
    expect(outcome.kind).toBe('merged');
    expect(await forge.readFile('src/a.txt')).toBe('one\n');
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual(outcome);
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ state: 'merged' });
  });

  it('answers closed, and merges nothing, when a person closed the pull request', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    await forge.closePullRequest(pr);
    expect(await forge.merge(pr, { message: 'Merge t', head: pr.head })).toEqual({
      kind: 'closed',
      headGone: false,
    });
    expect(await forge.readFile('src/a.txt')).toBeUndefined();
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ state: 'closed' });
  });

  it('commits to the default branch once, and answers unchanged when it already holds the files', async () => {
    const input = {
      changes: [{ path: 'shared/status/x.json', content: '{}\n' }],
      message: 'State',
      author,
    };
    const first = await forge.commitToDefaultBranch(input);
    expect(first.kind).toBe('committed');
    expect(await forge.readFile('shared/status/x.json')).toBe('{}\n');
    expect(await forge.commitToDefaultBranch(input)).toEqual({ kind: 'unchanged' });
  });

  it('can be closed, and closed again', () => {
    forge.close();
    forge.close();
  });

  it('answers head_moved, and merges nothing, when the head is not the approved one', async () => {
    const approved = await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const moved = await push('two\n');
    expect(await forge.merge(pr, { message: 'Merge t', head: approved })).toEqual({
      kind: 'head_moved',
      head: moved,
    });
    expect(await forge.readFile('src/a.txt')).toBeUndefined();
  });

  it('starts a branch over from the default branch on request', async () => {
    await push('one\n');
    await made.commitOnMain('docs/main.md', 'moved on\n');
    await push('two\n', { restart: true, path: 'src/c.txt' });
    expect(await forge.readFile('docs/main.md', 'aifactory/t')).toBe('moved on\n');
    expect(await forge.readFile('src/a.txt', 'aifactory/t')).toBeUndefined();
    expect(await forge.readFile('src/c.txt', 'aifactory/t')).toBe('two\n');
  });
});
