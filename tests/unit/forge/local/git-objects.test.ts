import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitObjects } from '../../../../scripts/forge/local/git-objects.ts';
import { createSandboxRepo, git } from '../../../fixtures/sandbox-repo.ts';

let root: string;
let objects: GitObjects;

beforeAll(async () => {
  ({ root } = await createSandboxRepo([]));
  objects = new GitObjects(root);
});
afterAll(async () => {
  objects.close();
  await rm(root, { recursive: true, force: true });
});

describe('git objects', () => {
  it('writes trees and blobs git names the same, that git fsck --strict accepts', async () => {
    const blob = await objects.writeBlob('x\n');
    expect(blob).toBe(
      execFileSync('git', ['hash-object', '--stdin'], { cwd: root, input: 'x\n', encoding: 'utf8' }).trim(),
    );
    const inner = await objects.writeTree([{ mode: '100755', name: 'run.sh', oid: blob }]);
    const entries = [
      { mode: '100644', name: 'b', oid: blob },
      { mode: '040000', name: 'b-dir', oid: inner },
      { mode: '120000', name: 'link', oid: blob },
      { mode: '040000', name: 'a', oid: inner },
      { mode: '100644', name: 'a.txt', oid: blob },
    ];
    const ours = await objects.writeTree(entries);
    const listing = entries
      .map(
        (entry) => `${entry.mode} ${entry.mode === '040000' ? 'tree' : 'blob'} ${entry.oid}\t${entry.name}\n`,
      )
      .join('');
    const theirs = execFileSync('git', ['mktree'], { cwd: root, input: listing, encoding: 'utf8' }).trim();
    expect(ours).toBe(theirs);
    git(
      root,
      'update-ref',
      'refs/test/tree-check',
      await objects.writeCommit({
        tree: ours,
        parents: [],
        author: { name: 'a', email: 'a@x.invalid' },
        committer: { name: 'c', email: 'c@x.invalid' },
        message: 'm\n',
      }),
    );
    expect(() => git(root, 'fsck', '--strict', '--no-dangling')).not.toThrow();
  });

  it('writes into an object folder that git gc removed after this process made it', async () => {
    const oidOf = (content: string) =>
      createHash('sha1')
        .update(`blob ${Buffer.byteLength(content)}\0${content}`)
        .digest('hex');
    const first = `gc ${Date.now()}\n`;
    let second = '';
    for (let index = 0; oidOf(second).slice(0, 2) !== oidOf(first).slice(0, 2) || !second; index += 1)
      second = `${first}${index}\n`;
    const blob = await objects.writeBlob(first);
    git(
      root,
      'update-ref',
      'refs/test/keep',
      await objects.writeTree([{ mode: '100644', name: 'f', oid: blob }]),
    );
    git(root, 'gc', '-q', '--prune=now');
    expect(existsSync(join(root, '.git/objects', blob.slice(0, 2)))).toBe(false);
    const again = await objects.writeBlob(second);
    expect(execFileSync('git', ['cat-file', '-p', again], { cwd: root, encoding: 'utf8' })).toBe(second);
  });

  it('refuses a tree entry no tree may hold', async () => {
    const blob = await objects.writeBlob('x\n');
    for (const name of ['', '.', '..', 'a/b', 'a\0b']) {
      await expect(objects.writeTree([{ mode: '100644', name, oid: blob }])).rejects.toThrow('cannot hold');
    }
  });

  it('names objects with SHA-256 in a repository made so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aifactory-sha256-'));
    try {
      execFileSync('git', ['init', '-q', '--object-format=sha256', dir]);
      const sha256 = new GitObjects(dir);
      const oid = await sha256.writeBlob('x\n');
      expect(oid).toHaveLength(64);
      expect(oid).toBe(
        execFileSync('git', ['hash-object', '--stdin'], { cwd: dir, input: 'x\n', encoding: 'utf8' }).trim(),
      );
      expect(execFileSync('git', ['cat-file', '-p', oid], { cwd: dir, encoding: 'utf8' })).toBe('x\n');
      sha256.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes the commit git commit-tree writes, byte for byte', async () => {
    const tree = git(root, 'rev-parse', 'HEAD^{tree}');
    const parent = git(root, 'rev-parse', 'HEAD');
    const now = new Date('2026-11-25T10:00:00Z');
    const author = { name: 'gpt', email: 'gpt@agents.invalid' };
    const committer = { name: 'AI Factory OS', email: 'factory@aifactory.invalid' };
    const ours = await objects.writeCommit({
      tree,
      parents: [parent],
      author,
      committer,
      message: 'm\n',
      now,
    });
    const stamp = `${Math.floor(now.getTime() / 1000)} ${git(root, 'log', '-1', '--format=%ad', '--date=format:%z', parent)}`;
    const theirs = execFileSync('git', ['commit-tree', tree, '-p', parent], {
      cwd: root,
      input: 'm\n',
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_AUTHOR_DATE: stamp,
        GIT_COMMITTER_DATE: stamp,
      },
    }).trim();
    expect(ours).toBe(theirs);
  });

  it('builds nested trees over a base, keeping what the changes leave alone', async () => {
    const base = git(root, 'rev-parse', 'HEAD');
    const tree = await objects.treeWith(base, [
      { path: 'src/a/deep.txt', content: 'deep\n' },
      { path: 'src/top.txt', content: 'top\n' },
      { path: 'README.md', content: '# changed\n' },
    ]);
    expect(git(root, 'ls-tree', '-r', '--name-only', tree).split('\n')).toEqual([
      '.gitignore',
      'README.md',
      'src/a/deep.txt',
      'src/top.txt',
    ]);
    expect(git(root, 'show', `${tree}:src/a/deep.txt`)).toBe('deep');
    expect(await objects.entriesAt(base, ['src/x.txt', 'README.md/below'])).toEqual(
      new Map([['README.md', '100644']]),
    );
  });

  it('reads blobs, resolves refs, and says nothing of what is missing', async () => {
    expect((await objects.read('HEAD:README.md'))?.content.toString()).toBe('# sandbox\n');
    expect(await objects.resolve('refs/heads/main^{commit}')).toBe(git(root, 'rev-parse', 'main'));
    expect(await objects.resolve('refs/heads/none^{commit}')).toBeUndefined();
    expect(await objects.read('HEAD:no/such/file')).toBeUndefined();
    // A line break cannot travel in a batch request; such a name is asked of git on its own.
    expect(await objects.resolve('HEAD:a\nb')).toBeUndefined();
  });

  it('starts its processes again after they end', async () => {
    objects.close();
    expect(await objects.resolve('refs/heads/main^{commit}')).toBe(git(root, 'rev-parse', 'main'));
  });
});
