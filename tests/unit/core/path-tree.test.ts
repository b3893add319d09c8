import { describe, expect, it } from 'vitest';
import {
  checkTreeEntries,
  pathPrefixes,
  type TreeMode,
  treeModeOf,
} from '../../../scripts/core/path-tree.ts';

const tree = (entries: Record<string, TreeMode>) => new Map(Object.entries(entries));

describe('checkTreeEntries', () => {
  it('allows writing a new file, or over a file, below plain folders', () => {
    const entries = tree({ src: '040000', 'src/a.ts': '100644', 'src/run.sh': '100755' });
    expect(checkTreeEntries(['src/a.ts', 'src/run.sh', 'src/new/b.ts'], entries, 'main')).toBeUndefined();
  });

  it.each([
    ['src/link/x.ts', { 'src/link': '120000' }, 'symlink', 'src/link'],
    ['src/link', { 'src/link': '120000' }, 'symlink', 'src/link'],
    ['vendor/lib/x.c', { 'vendor/lib': '160000' }, 'submodule', 'vendor/lib'],
    ['vendor/lib', { 'vendor/lib': '160000' }, 'submodule', 'vendor/lib'],
    ['src/dir', { 'src/dir': '040000' }, 'file_replaces_folder', 'src/dir'],
    ['src/a.ts/x', { 'src/a.ts': '100644' }, 'path_under_file', 'src/a.ts'],
    ['src/run.sh/x', { 'src/run.sh': '100755' }, 'path_under_file', 'src/run.sh'],
  ] as const)('refuses %j over %j as %s, naming %s', (path, entries, rule, prefix) => {
    const violation = checkTreeEntries([path], tree(entries), 'branch aifactory/t');
    expect(violation).toMatchObject({ rule, path });
    expect(violation?.message).toContain(`"${prefix}"`);
    expect(violation?.message).toContain('on branch aifactory/t');
  });

  it('reports the outermost entry in the way', () => {
    const entries = tree({ a: '120000', 'a/b': '100644' });
    expect(checkTreeEntries(['a/b/c'], entries, 'main')?.message).toContain('"a" is a symbolic link');
  });
});

describe('tree modes and prefixes', () => {
  it('reads git modes, odd file modes as plain files', () => {
    expect(['100644', '100755', '120000', '160000', '040000', '40000', '100664'].map(treeModeOf)).toEqual([
      '100644',
      '100755',
      '120000',
      '160000',
      '040000',
      '040000',
      '100644',
    ]);
  });

  it('lists each parent folder, then the path', () => {
    expect(pathPrefixes('a/b/c')).toEqual(['a', 'a/b', 'a/b/c']);
  });
});
