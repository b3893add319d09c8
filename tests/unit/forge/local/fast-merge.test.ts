import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lineage, mergeTrees } from '../../../../scripts/forge/local/fast-merge.ts';
import { createLocalForge, type LocalForge } from '../../../../scripts/forge/local/forge.ts';
import { GitObjects } from '../../../../scripts/forge/local/git-objects.ts';
import { createSandboxRepo, git } from '../../../fixtures/sandbox-repo.ts';

let root: string;
let objects: GitObjects;
const who = { name: 'gpt', email: 'gpt@agents.invalid' };

beforeEach(async () => {
  ({ root } = await createSandboxRepo([]));
  objects = new GitObjects(root);
});
afterEach(async () => {
  objects.close();
  await rm(root, { recursive: true, force: true });
});

/** A commit on `parent` with `files` written (content) or deleted (null). */
async function commit(parent: string, files: Record<string, string | null>): Promise<string> {
  const tree = git(root, 'rev-parse', `${parent}^{tree}`);
  const changes = new Map(
    await Promise.all(
      Object.entries(files).map(
        async ([path, content]) =>
          [
            path,
            content === null
              ? undefined
              : { mode: '100644', name: path, oid: await objects.writeBlob(content) },
          ] as const,
      ),
    ),
  );
  const next = await objects.applyChanges(tree, changes);
  return objects.writeCommit({ tree: next!, parents: [parent], author: who, committer: who, message: 'c\n' });
}

/** Git's own merge of two commits: the tree, or undefined on a conflict. */
function gitMerge(ours: string, theirs: string): string | undefined {
  try {
    return execFileSync('git', ['merge-tree', '--write-tree', ours, theirs], {
      cwd: root,
      encoding: 'utf8',
    }).split('\n')[0];
  } catch {
    return undefined;
  }
}

const treeOf = (commitId: string) => git(root, 'rev-parse', `${commitId}^{tree}`);

describe('merging trees without git', () => {
  it('gives the tree git merge-tree gives when the two sides changed different files', async () => {
    const base = git(root, 'rev-parse', 'main');
    const cases: [Record<string, string | null>, Record<string, string | null>][] = [
      [{ 'src/a.txt': 'a\n' }, { 'src/b.txt': 'b\n' }],
      [
        { 'src/deep/x.txt': 'x\n', 'docs/y.md': 'y\n' },
        { 'src/deep/z.txt': 'z\n', 'top.txt': 't\n' },
      ],
      [{ 'README.md': null }, { 'src/c.txt': 'c\n' }],
      [{ 'src/same.txt': 'same\n' }, { 'src/same.txt': 'same\n', 'src/other.txt': 'o\n' }],
    ];
    for (const [mine, theirs] of cases) {
      const ours = await commit(base, mine);
      const head = await commit(base, theirs);
      const merged = await mergeTrees(objects, treeOf(base), treeOf(ours), treeOf(head));
      expect(merged, JSON.stringify([mine, theirs])).toBe(gitMerge(ours, head));
    }
  });

  it('leaves to git what both sides changed differently, and a file where the other side has a folder', async () => {
    const base = git(root, 'rev-parse', 'main');
    const cases: [Record<string, string | null>, Record<string, string | null>][] = [
      [{ 'src/a.txt': 'one\n' }, { 'src/a.txt': 'two\n' }],
      [{ 'src/a': 'file\n' }, { 'src/a/inner.txt': 'folder\n' }],
      [{ 'src/a/inner.txt': 'folder\n' }, { 'src/a': 'file\n' }],
      [{ 'README.md': null }, { 'README.md': 'changed\n' }],
    ];
    for (const [mine, theirs] of cases) {
      const ours = await commit(base, mine);
      const head = await commit(base, theirs);
      expect(await mergeTrees(objects, treeOf(base), treeOf(ours), treeOf(head))).toBeUndefined();
    }
  });

  it('drops a folder the merge empties, as git does', async () => {
    const base = await commit(git(root, 'rev-parse', 'main'), { 'gone/only.txt': 'x\n' });
    const ours = await commit(base, { 'kept.txt': 'k\n' });
    const head = await commit(base, { 'gone/only.txt': null });
    const merged = await mergeTrees(objects, treeOf(base), treeOf(ours), treeOf(head));
    expect(merged).toBe(gitMerge(ours, head));
    expect(git(root, 'ls-tree', '--name-only', merged!)).not.toContain('gone');
  });
});

describe('the lineage of the default branch', () => {
  const parentsOf = (commitId: string) => objects.parents(commitId);

  it('finds the fork point of a branch of its own commits, and nothing for any other', async () => {
    const main = git(root, 'rev-parse', 'main');
    const lineage = new Lineage(main);
    const first = await commit(main, { 'a.txt': '1\n' });
    const second = await commit(first, { 'a.txt': '2\n' });
    expect(await lineage.forkPoint(second, parentsOf)).toBeUndefined();
    lineage.made(first);
    lineage.made(second);
    expect(await lineage.forkPoint(second, parentsOf)).toEqual({ base: main, chain: [second, first] });
    const foreign = await commit(main, { 'b.txt': 'b\n' });
    expect(await lineage.forkPoint(foreign, parentsOf)).toBeUndefined();
  });

  it('describes both heads while a move is under way, and the new one after', async () => {
    const main = git(root, 'rev-parse', 'main');
    const lineage = new Lineage(main);
    const next = await commit(main, { 'a.txt': '1\n' });
    lineage.moving(next);
    expect([lineage.describes(main), lineage.describes(next)]).toEqual([true, true]);
    lineage.moved(main, next);
    expect([lineage.describes(main), lineage.describes(next)]).toEqual([false, true]);
    const refused = await commit(next, { 'b.txt': 'b\n' });
    lineage.moving(refused);
    lineage.forget();
    expect([lineage.describes(next), lineage.describes(refused)]).toEqual([false, false]);
  });

  it('forgets when the branch moves from a head it does not describe', async () => {
    const main = git(root, 'rev-parse', 'main');
    const lineage = new Lineage(main);
    const mine = await commit(main, { 'a.txt': '1\n' });
    lineage.made(mine);
    const elsewhere = await commit(main, { 'b.txt': 'b\n' });
    lineage.moved(elsewhere, await commit(elsewhere, { 'c.txt': 'c\n' }));
    expect(lineage.describes(main)).toBe(false);
    expect(await lineage.forkPoint(mine, parentsOf)).toBeUndefined();
  });
});

describe('the local forge with a default branch someone else moves', () => {
  let forge: LocalForge;
  beforeEach(async () => {
    forge = await createLocalForge({ root, defaultBranch: 'main' });
  });
  afterEach(() => forge.close());

  const push = (branch: string, path: string) =>
    forge.pushIteration({
      branch,
      changes: [{ path, content: `${path}\n` }],
      message: 'w',
      author: who,
      trailers: {},
    });

  it('lists the changed files and merges as git would, before and after a person commits to main', async () => {
    await push('aifactory/a', 'src/a.txt');
    const a = await forge.openPullRequest({ branch: 'aifactory/a', title: 'a', body: '' });
    expect(await forge.changedFiles(a)).toEqual([{ path: 'src/a.txt', status: 'added' }]);
    expect(await forge.merge(a, { message: 'Merge a', head: a.head })).toMatchObject({ kind: 'merged' });
    await push('aifactory/b', 'src/b.txt');
    // A person's commit on main: what the forge knew of main's history no longer holds.
    const person = execFileSync('git', ['commit-tree', '-p', 'main', '-m', 'person', 'main^{tree}'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    git(root, 'update-ref', 'refs/heads/main', person);
    git(root, 'read-tree', '-m', '-u', 'HEAD');
    const b = await forge.openPullRequest({ branch: 'aifactory/b', title: 'b', body: '' });
    const gitSays = git(root, 'diff', '--name-status', `main...${b.head}`);
    expect(gitSays).toBe('A\tsrc/b.txt');
    expect(await forge.changedFiles(b)).toEqual([{ path: 'src/b.txt', status: 'added' }]);
    const merged = await forge.merge(b, { message: 'Merge b', head: b.head });
    expect(merged).toMatchObject({ kind: 'merged' });
    expect(git(root, 'rev-parse', 'main^1')).toBe(person);
    expect(git(root, 'ls-tree', '-r', '--name-only', 'main', 'src/').split('\n')).toEqual([
      'src/a.txt',
      'src/b.txt',
    ]);
  });
});
