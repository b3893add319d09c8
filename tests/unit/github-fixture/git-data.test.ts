import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitHubFixture } from '../../fixtures/github/fixture.ts';
import { client, commitFiles, failure, owner, repo, useGitHub } from './harness.ts';

describe('GitHub fixture: the Git Data API on a real repository', () => {
  const h = useGitHub({ seed: { 'README.md': '# demo\n', 'src/app.ts': 'export const a = 1;\n' } });

  it('makes a commit in five calls and creates the branch, with real git objects', async () => {
    const sha = await commitFiles(h.author, 'feature', {
      'src/app.ts': 'export const a = 2;\n',
      'docs/new.md': 'hi\n',
    });
    expect(await h.github.branch('feature')).toBe(sha);
    expect(await h.github.readFile('feature', 'src/app.ts')).toBe('export const a = 2;\n');
    expect(await h.github.readFile('feature', 'docs/new.md')).toBe('hi\n');
    const info = await h.github.git.readCommit(sha);
    expect(info?.parents).toEqual([await h.github.branch('main')]);
    expect(info?.author.name).toBe('aifactory-app[bot]');
    const shown = await h.author.git.getCommit({ owner, repo, commit_sha: sha });
    expect(shown.data.verification.verified).toBe(true);
  });

  it('leaves a commit with a custom author unsigned, as GitHub does', async () => {
    const main = (await h.github.branch('main')) ?? '';
    const parent = await h.author.git.getCommit({ owner, repo, commit_sha: main });
    const author = {
      name: 'gemini-pro (agent)',
      email: 'agent@aifactory.invalid',
      date: '2025-01-02T03:04:05Z',
    };
    const commit = await h.author.git.createCommit({
      owner,
      repo,
      message: 'agent work',
      tree: parent.data.tree.sha,
      parents: [main],
      author,
    });
    expect(commit.data.author).toEqual(author);
    expect(commit.data.message).toBe('agent work');
    expect(commit.data.verification).toMatchObject({ verified: false, reason: 'unsigned' });
  });

  it('fast-forwards an existing branch and deletes a file with sha: null', async () => {
    await commitFiles(h.author, 'feature', { 'a.txt': 'one\n' });
    const second = await commitFiles(h.author, 'feature', { 'a.txt': null, 'b.txt': 'two\n' });
    expect(await h.github.branch('feature')).toBe(second);
    expect(await h.github.readFile('feature', 'a.txt')).toBeNull();
    expect(await h.github.readFile('feature', 'b.txt')).toBe('two\n');
  });

  it('refuses an update that is not a fast forward unless forced', async () => {
    const first = await commitFiles(h.author, 'feature', { 'a.txt': 'one\n' });
    const main = (await h.author.git.getRef({ owner, repo, ref: 'heads/main' })).data.object.sha;
    const refused = await failure(
      h.author.git.updateRef({ owner, repo, ref: 'heads/feature', sha: main, force: false }),
    );
    expect(refused.status).toBe(422);
    expect(refused.data.message).toBe('Update is not a fast forward');
    expect(await h.github.branch('feature')).toBe(first);
    await h.author.git.updateRef({ owner, repo, ref: 'heads/feature', sha: main, force: true });
    expect(await h.github.branch('feature')).toBe(main);
  });

  it('answers "Reference already exists" for a second create', async () => {
    const main = (await h.author.git.getRef({ owner, repo, ref: 'heads/main' })).data.object.sha;
    await h.author.git.createRef({ owner, repo, ref: 'refs/heads/twice', sha: main });
    const refused = await failure(
      h.author.git.createRef({ owner, repo, ref: 'refs/heads/twice', sha: main }),
    );
    expect(refused).toMatchObject({ status: 422, data: { message: 'Reference already exists' } });
  });

  it('names refs as GitHub does: `heads/x` in the path, `refs/heads/x` in a body', async () => {
    const main = (await h.github.branch('main')) ?? '';
    const short = await failure(h.author.git.createRef({ owner, repo, ref: 'heads/x', sha: main }));
    expect(short.data.message).toBe('Reference name must contain at least three slash-separated components.');
    const bad = await failure(h.author.git.createRef({ owner, repo, ref: 'refs/heads/a..b', sha: main }));
    expect(bad.data.message).toBe('refs/heads/a..b is not a valid ref name.');
    const prefixed = await failure(
      h.author.git.updateRef({ owner, repo, ref: 'refs/heads/main', sha: main }),
    );
    expect(prefixed).toMatchObject({ status: 422, data: { message: 'Reference does not exist' } });
  });

  it('answers 404 for a missing ref, commit or blob and 422 for an update of a missing ref', async () => {
    expect((await failure(h.author.git.getRef({ owner, repo, ref: 'heads/nope' }))).status).toBe(404);
    expect((await failure(h.author.git.getCommit({ owner, repo, commit_sha: 'f'.repeat(40) }))).status).toBe(
      404,
    );
    expect((await failure(h.author.git.getBlob({ owner, repo, file_sha: 'f'.repeat(40) }))).status).toBe(404);
    const missing = await failure(
      h.author.git.updateRef({ owner, repo, ref: 'heads/nope', sha: 'f'.repeat(40) }),
    );
    expect(missing).toMatchObject({ status: 422, data: { message: 'Reference does not exist' } });
  });

  it('stores base64 blobs and reads them back, and lists trees recursively', async () => {
    const blob = await h.author.git.createBlob({
      owner,
      repo,
      content: Buffer.from([0, 1, 2, 255]).toString('base64'),
      encoding: 'base64',
    });
    const read = await h.author.git.getBlob({ owner, repo, file_sha: blob.data.sha });
    expect(Buffer.from(read.data.content, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
    const tree = await h.author.git.getTree({ owner, repo, tree_sha: 'main', recursive: 'true' });
    expect(tree.data.tree.map((entry) => entry.path)).toEqual(['README.md', 'src', 'src/app.ts']);
  });

  it('writes objects git itself accepts (git fsck)', async () => {
    await commitFiles(h.author, 'feature', {
      'a/b/c.txt': 'deep\n',
      'a/z.txt': 'z\n',
      'a.txt': 'a\n',
      'src/app.ts': null,
    });
    const fsck = await h.github.git.run(['fsck', '--strict', '--no-dangling'], { allow: [1, 2] });
    expect(fsck.stderr + fsck.stdout.toString()).toBe('');
    expect(fsck.code).toBe(0);
    expect(await h.github.readFile('feature', 'a/b/c.txt')).toBe('deep\n');
    expect(await h.github.readFile('feature', 'src/app.ts')).toBeNull();
  });

  it('deletes a branch', async () => {
    await commitFiles(h.author, 'gone', { 'x.txt': 'x\n' });
    await h.author.git.deleteRef({ owner, repo, ref: 'heads/gone' });
    expect(await h.github.branch('gone')).toBeNull();
  });

  it('serves file contents and directory listings at a ref', async () => {
    await commitFiles(h.author, 'feature', { 'src/app.ts': 'changed\n' });
    const file = await h.author.repos.getContent({ owner, repo, path: 'src/app.ts', ref: 'feature' });
    expect(Array.isArray(file.data)).toBe(false);
    expect(Buffer.from((file.data as { content: string }).content, 'base64').toString()).toBe('changed\n');
    const dir = await h.author.repos.getContent({ owner, repo, path: 'src' });
    expect((dir.data as Array<{ name: string; type: string }>).map((e) => [e.name, e.type])).toEqual([
      ['app.ts', 'file'],
    ]);
    expect((await failure(h.author.repos.getContent({ owner, repo, path: 'nope.md' }))).status).toBe(404);
  });

  it('compares two branches with ahead/behind counts and file patches', async () => {
    await commitFiles(h.author, 'feature', { 'src/app.ts': 'export const a = 3;\n' });
    const compare = await h.author.repos.compareCommitsWithBasehead({
      owner,
      repo,
      basehead: 'main...feature',
    });
    expect(compare.data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(compare.data.files?.[0]).toMatchObject({
      filename: 'src/app.ts',
      status: 'modified',
      additions: 1,
      deletions: 1,
    });
    expect(compare.data.files?.[0]?.patch).toContain('+export const a = 3;');
  });

  it('returns the previous value of a ref once after a write when stale reads are on', async () => {
    const main = await h.github.branch('main');
    h.github.staleRefReads = true;
    const moved = await commitFiles(h.author, 'main', { 'z.txt': 'z\n' });
    const first = await h.author.git.getRef({ owner, repo, ref: 'heads/main' });
    const second = await h.author.git.getRef({ owner, repo, ref: 'heads/main' });
    expect(first.data.object.sha).toBe(main);
    expect(second.data.object.sha).toBe(moved);
  });
});

describe('GitHub fixture: seeding', () => {
  it('seeds the default branch from a directory, leaving out .git and node_modules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seed-'));
    await mkdir(join(dir, 'src/deep'), { recursive: true });
    await mkdir(join(dir, '.git'), { recursive: true });
    await mkdir(join(dir, 'node_modules/x'), { recursive: true });
    await writeFile(join(dir, 'README.md'), '# seeded\n');
    await writeFile(join(dir, 'src/deep/a.ts'), 'export {};\n');
    await writeFile(join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(dir, 'node_modules/x/index.js'), '');
    const github = await GitHubFixture.start({ seed: dir, owner: 'octo-org', repo: 'site' });
    try {
      const tree = await github.git.readTree((await github.branch('main')) ?? '', true);
      expect(tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path)).toEqual([
        'README.md',
        'src/deep/a.ts',
      ]);
      const repository = await client(github).repos.get({ owner: 'octo-org', repo: 'site' });
      expect(repository.data).toMatchObject({ full_name: 'octo-org/site', default_branch: 'main' });
      expect(github.takeInvalid()).toEqual([]);
    } finally {
      await github.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
