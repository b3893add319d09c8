import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../../scripts/core/config.ts';
import { checkPathShape, checkWrite, type PathPolicy } from '../../../scripts/core/protocol.ts';

const policy: PathPolicy = {
  allowedDirs: DEFAULT_ALLOWED_TOP_DIRS,
  declaredFiles: [],
  grants: [],
  plugins: [],
  agent: 'gpt',
};

describe('checkPathShape', () => {
  it.each([
    ['', 'empty_path'],
    ['a\0b', 'nul_byte'],
    ['a\\b', 'backslash'],
    ['/abs', 'absolute_path'],
    ['c:/x', 'absolute_path'],
    ['a/../../b', 'parent_segment'],
    ['..', 'parent_segment'],
    ['a/./b', 'unclean_path'],
    ['a/', 'unclean_path'],
    ['src/.GIT/config', 'git_dir'],
  ])('rejects %j as %s', (path, rule) => {
    expect(checkPathShape(path)?.rule).toBe(rule);
  });

  it('accepts a clean relative path, dots inside names included', () => {
    expect(checkPathShape('src/a..b/.gitignore')).toBeUndefined();
  });
});

describe('checkWrite', () => {
  it('allows a clean path in an allowed folder', () => {
    expect(checkWrite('docs/guide.md', policy)).toBeUndefined();
  });

  it('rejects a folder outside every allowed one', () => {
    expect(checkWrite('other/x.md', policy)?.rule).toBe('top_dir');
    expect(checkWrite('other/x.md', policy)?.message).toContain('allowed: src, docs');
  });

  it('allows a nested allowed folder, and nothing beside it in its parent', () => {
    expect(checkWrite('shared/proposals/idea.md', policy)).toBeUndefined();
    expect(checkWrite('shared/proposalsx/idea.md', policy)?.rule).toBe('control_plane');
  });

  it('rejects .github/ for an agent without the permission and allows it with', () => {
    expect(checkWrite('.github/workflows/ci.yml', policy)?.message).toContain('agent "gpt"');
    expect(checkWrite('.github/workflows/ci.yml', { ...policy, grants: ['.github'] })).toBeUndefined();
  });

  it('confines a task with declared files to them', () => {
    const declared = { ...policy, declaredFiles: ['src/a.ts'] };
    expect(checkWrite('src/a.ts', declared)).toBeUndefined();
    expect(checkWrite('src/b.ts', declared)?.rule).toBe('undeclared_file');
  });
});
