// The repository map's files, read from git's objects at the checked-out commit, and cached per commit.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headCommit } from '../../../../scripts/engine/tools/git-head.ts';
import {
  MAP_FILE_BYTES,
  parseTreeListing,
  repoMapIndex,
  repoMapText,
  withBranchFiles,
} from '../../../../scripts/engine/tools/repo-map.ts';
import { git } from '../../../fixtures/temp-repo.ts';

let root: string;

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

function commit(message: string): void {
  git(root, 'add', '-A');
  git(root, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', message);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-map-'));
  git(root, 'init', '-q', '-b', 'main');
  await put('src/parser.ts', 'export function parseTask() {}\nexport class Parser {}\n');
  await put('docs/guide.md', '# Guide\n\n## Limits\n');
  await put('src/huge.ts', `export const big = 1;\n${'// filler\n'.repeat(MAP_FILE_BYTES / 10)}`);
  await put('src/binary.ts', Buffer.from('export const hidden = 1;\n\u0000\u0001'));
  await put('src/evil\nname.ts', 'export const evil = 1;\n');
  await put('data/blob.bin', Buffer.alloc(64, 7));
  await symlink('/etc/passwd', join(root, 'src/link.ts'));
  // An ignored file is no tracked file: never listed.
  await put('.gitignore', '.env\n');
  await put('.env', 'OPENAI_API_KEY=not-listed\n');
  commit('initial');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('the map index of a commit', () => {
  it('lists the tracked files with their sizes, and the symbols of the small text files', async () => {
    const index = await repoMapIndex(root);
    expect(index.commit).toBe(git(root, 'rev-parse', 'HEAD'));
    const byPath = new Map(index.files.map((file) => [file.path, file]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        '.gitignore',
        'data/blob.bin',
        'docs/guide.md',
        'src/binary.ts',
        'src/evil\nname.ts',
        'src/huge.ts',
        'src/link.ts',
        'src/parser.ts',
      ].sort(),
    );
    expect(byPath.get('src/parser.ts')).toMatchObject({
      path: 'src/parser.ts',
      size: 54,
      symbols: ['function parseTask', 'class Parser'],
    });
    expect(byPath.get('docs/guide.md')?.symbols).toEqual(['# Guide', '## Limits']);
    expect(byPath.get('src/evil\nname.ts')?.symbols).toEqual(['const evil']);
    // Too large, binary, or a link: listed with a size, never read.
    expect(byPath.get('src/huge.ts')?.size).toBeGreaterThan(MAP_FILE_BYTES);
    expect(byPath.get('src/huge.ts')?.symbols).toEqual([]);
    expect(byPath.get('src/binary.ts')?.symbols).toEqual([]);
    expect(byPath.get('src/link.ts')).toMatchObject({ path: 'src/link.ts', size: 11, symbols: [] });
    // Each file's words are worked out once, with the index.
    expect([...byPath.get('src/parser.ts')!.words!.symbols]).toEqual(['parse', 'parser']);
  });

  it('is built once per commit: the same commit is a cache hit, a new one is built again', async () => {
    const first = await repoMapIndex(root);
    expect(await repoMapIndex(root)).toBe(first);
    await put('src/added.ts', 'export type Added = 1;\n');
    commit('second');
    const second = await repoMapIndex(root);
    expect(second).not.toBe(first);
    expect(second.files.find((file) => file.path === 'src/added.ts')?.symbols).toEqual(['type Added']);
    // A file the new commit did not change keeps its symbols (read once, by its blob).
    expect(second.files.find((file) => file.path === 'src/parser.ts')?.symbols).toEqual([
      'function parseTask',
      'class Parser',
    ]);
    expect(await repoMapIndex(root)).toBe(second);
  });

  it('has no files in a repository without a commit, and fails outside a repository', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'aifactory-map-empty-'));
    const outside = await mkdtemp(join(tmpdir(), 'aifactory-map-none-'));
    try {
      git(empty, 'init', '-q');
      expect(await repoMapIndex(empty)).toEqual({ commit: '', files: [] });
      await expect(repoMapIndex(outside)).rejects.toThrow();
    } finally {
      await rm(empty, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reads git listings with submodules and odd entries', () => {
    const listing = [
      '100644 blob aaaa     12\tsrc/a.ts',
      '160000 commit bbbb       -\tvendor/lib',
      'no tab here',
      '120000 blob cccc      5\tlink',
      '',
    ].join('\0');
    expect(parseTreeListing(listing)).toEqual([
      { mode: '100644', oid: 'aaaa', size: 12, path: 'src/a.ts' },
      { mode: '120000', oid: 'cccc', size: 5, path: 'link' },
    ]);
  });
});

describe('the commit checked out', () => {
  it('is read from a loose ref, a packed ref, a detached HEAD and a linked worktree, as git reads it', async () => {
    const head = git(root, 'rev-parse', 'HEAD');
    expect(await headCommit(root)).toBe(head);
    git(root, 'pack-refs', '--all');
    expect(await headCommit(root)).toBe(head);
    const first = git(root, 'rev-list', '--max-parents=0', 'HEAD');
    git(root, 'checkout', '-q', '--detach', first);
    try {
      expect(await headCommit(root)).toBe(first);
    } finally {
      git(root, 'checkout', '-q', 'main');
    }
    const linked = `${root}-linked`;
    git(root, 'worktree', 'add', '-q', '-b', 'other', linked, first);
    try {
      expect(await headCommit(linked)).toBe(first);
      expect((await repoMapIndex(linked)).commit).toBe(first);
    } finally {
      git(root, 'worktree', 'remove', '--force', linked);
    }
  });

  it('asks git when HEAD names something the files do not hold plainly', async () => {
    const odd = await mkdtemp(join(tmpdir(), 'aifactory-head-'));
    try {
      git(odd, 'init', '-q', '-b', 'main');
      expect(await headCommit(odd)).toBeUndefined();
      await writeFile(join(odd, 'a.txt'), 'a\n');
      git(odd, 'add', '-A');
      git(odd, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'a');
      const commit = git(odd, 'rev-parse', 'HEAD');
      // HEAD naming a ref that is not a branch: git resolves it.
      await writeFile(join(odd, '.git/HEAD'), 'ref: refs/remotes/origin/x\n');
      await mkdir(join(odd, '.git/refs/remotes/origin'), { recursive: true });
      await writeFile(join(odd, '.git/refs/remotes/origin/x'), `${commit}\n`);
      expect(await headCommit(odd)).toBe(commit);
      // A branch ref that holds no commit id: git finds no commit either.
      await writeFile(join(odd, '.git/HEAD'), 'ref: refs/heads/main\n');
      await writeFile(join(odd, '.git/refs/heads/main'), 'garbage\n');
      expect(await headCommit(odd)).toBeUndefined();
      await expect(headCommit(join(odd, 'missing'))).rejects.toThrow();
    } finally {
      await rm(odd, { recursive: true, force: true });
    }
  });
});

describe('the map with the task branch over it', () => {
  it('shows the branch’s files as it holds them, and not the files it deleted', () => {
    const files = [
      { path: 'src/a.ts', size: 10, symbols: ['const a'] },
      { path: 'src/gone.ts', size: 10, symbols: [] },
    ];
    const branch = {
      written: new Map([
        ['src/a.ts', 'export const a = 1;\nexport function more() {}\n'],
        ['src/new.md', '# New'],
      ]),
      deleted: ['src/gone.ts'],
    };
    expect(withBranchFiles(files, branch)).toMatchObject([
      { path: 'src/a.ts', size: 46, symbols: ['const a', 'function more'] },
      { path: 'src/new.md', size: 5, symbols: ['# New'] },
    ]);
    expect(withBranchFiles(files, undefined)).toBe(files);
  });

  it('renders the map within the budget, and nothing at 0', async () => {
    const focus = { text: 'parseTask is slow', files: [] };
    const map = await repoMapText(root, focus, 200);
    expect(map).toContain('parser.ts (54 B): function parseTask, class Parser');
    expect(map).toContain('"evil\\nname.ts"');
    expect(map).not.toContain('.env');
    expect(Math.ceil(map.length / 4)).toBeLessThanOrEqual(200);
    expect(await repoMapText(root, focus, 0)).toBe('');
  });
});
