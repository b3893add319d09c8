import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../../../scripts/core/config.ts';
import {
  checkPathSet,
  checkPathShape,
  checkWrite,
  type PathPolicy,
} from '../../../../scripts/core/protocol/protocol.ts';

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

  it.each([
    ['a/b'.repeat(1366), 'path_too_long'],
    ['src/a\uD800b.ts', 'malformed_unicode'],
    ['src/cafe\u0301.md', 'not_nfc'],
    ['src/.gitmodules', 'gitmodules'],
    ['src/.GitModules ', 'gitmodules'],
    ['src/.GITIGNORE', 'git_file_lookalike'],
    ['src/.gitattributes.', 'git_file_lookalike'],
    ['src/a\u0085b', 'control_character'],
    ['src/a\u2028b', 'control_character'],
    ['src/a\u00ADb', 'invisible_character'],
    ['src/a*b', 'bad_character'],
    ['src/COM\u00B9.txt', 'reserved_name'],
    ['src/conout$', 'reserved_name'],
    ['src/PROGRA~1', 'short_name'],
    ['src/foo~12.txt', 'short_name'],
    ['src/~1', 'short_name'],
    ['src/a ', 'trailing_dot_or_space'],
    [`src/${'é'.repeat(128)}`, 'segment_too_long'],
  ])('rejects %j as %s', (path, rule) => {
    expect(checkPathShape(path)?.rule).toBe(rule);
  });

  it('names git first when a segment breaks other rules too', () => {
    expect(checkPathShape('src/a*b/.git./x')?.rule).toBe('git_dir');
  });

  it('says what is wrong and what to do, naming the character by its code point', () => {
    expect(checkPathShape('src/a\tb')?.message).toBe(
      '"a\\tb" holds the control character U+0009; names are one line of printable text',
    );
    expect(checkPathShape('src/a\u202Eb')?.message).toContain('U+202E');
    expect(checkPathShape('src/nul.tar.gz')?.message).toContain('device name NUL');
    expect(checkPathShape(`src/${'x'.repeat(256)}`)?.message).toContain('256 bytes');
  });

  it('keeps a huge path out of the violation it reports', () => {
    const violation = checkPathShape('x'.repeat(100_000));
    expect(violation).toMatchObject({ rule: 'path_too_long', path: 'x'.repeat(200) });
  });

  it.each([
    'src/a..b/.gitignore',
    'docs/.gitattributes',
    '.github/workflows/ci.yml',
    'src/.mailmap',
    'src/.gitkeep',
    'src/.git~',
    'src/git~x',
    'src/console.ts',
    'src/com10.txt',
    'src/lpt.md',
    'src/backup~',
    'src/naïve café.md',
    'src/日本語/ファイル.ts',
    `src/${'é'.repeat(127)}`,
    `src/${'a/'.repeat(2000)}end`,
  ])('accepts %j', (path) => {
    expect(checkPathShape(path)).toBeUndefined();
  });
});

describe('.git and its look-alikes (git verify_path with protectNTFS and protectHFS)', () => {
  it.each([
    '.git',
    '.GIT',
    '.Git/config',
    'src/.git',
    'src/deep/.git/hooks/pre-commit',
    '.git./config',
    '.git../x',
    'src/.git ./x',
    'src/.GIT. ./x',
    'src/.git::$DATA',
    'src/.git:stream/x',
    'git~1/config',
    'src/GIT~1/hooks',
    'src/git~7',
    'src/git~1.',
    'src/git~1::$INDEX_ALLOCATION',
    ...[
      0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x206a, 0x206b, 0x206c, 0x206d,
      0x206e, 0x206f, 0xfeff,
    ].map((code) => `src/.g${String.fromCharCode(code)}it/config`),
    'src/\u200C.git',
    'src/.git\u200D',
    'src/.\u200Cg\u200Di\u200Et\u200F. /x',
  ])('rejects %j as git_dir', (path) => {
    expect(checkPathShape(path)?.rule).toBe('git_dir');
  });
});

describe('checkPathSet', () => {
  it('accepts paths that live side by side anywhere', () => {
    expect(checkPathSet(['src/a.ts', 'src/b.ts', 'src/ab/c.ts', 'src/a.tsx'])).toBeUndefined();
  });

  it.each([
    [['src/A.ts', 'src/a.ts'], 'name_collision', 'src/a.ts'],
    [['src/café.md', 'src/cafe\u0301.md'], 'name_collision', 'src/cafe\u0301.md'],
    [['SRC/x', 'src/x'], 'name_collision', 'src/x'],
    [['src/a', 'src/a'], 'name_collision', 'src/a'],
    [['src/a/b', 'src/a'], 'file_folder_collision', 'src/a/b'],
    [['src/A', 'src/a/b/c'], 'file_folder_collision', 'src/a/b/c'],
  ])('rejects %j as %s, on the later path', (paths, rule, path) => {
    const violation = checkPathSet(paths);
    expect(violation).toMatchObject({ rule, path });
    expect(violation?.message).toMatch(/write (just )?(one|only one) of them/);
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
