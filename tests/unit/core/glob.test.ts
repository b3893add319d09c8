import { describe, expect, it } from 'vitest';
import { compileGlob, globMatches, MAX_GLOB_LENGTH } from '../../../scripts/core/glob.ts';
import { checkWrite, type PathPolicy } from '../../../scripts/core/protocol/protocol.ts';

function matches(glob: string, path: string): boolean {
  const compiled = compileGlob(glob);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.test(path);
}

describe('compileGlob', () => {
  it('keeps * and ? inside one name, and lets ** span folders', () => {
    expect(matches('src/*.ts', 'src/a.ts')).toBe(true);
    expect(matches('src/*.ts', 'src/x/a.ts')).toBe(false);
    expect(matches('src/?.ts', 'src/a.ts')).toBe(true);
    expect(matches('src/?.ts', 'src/ab.ts')).toBe(false);
    expect(matches('src/**', 'src/x/y/z.ts')).toBe(true);
    expect(matches('src/**', 'tests/a.ts')).toBe(false);
    expect(matches('**/x.ts', 'x.ts')).toBe(true);
    expect(matches('**/x.ts', 'a/b/x.ts')).toBe(true);
    expect(matches('src/**/x.ts', 'src/x.ts')).toBe(true);
    expect(matches('a**b', 'a/c/b')).toBe(true);
  });

  it('reads braces as alternatives, nested too, and a stray "}" or "," as itself', () => {
    expect(matches('*.{ts,md}', 'a.md')).toBe(true);
    expect(matches('*.{ts,md}', 'a.js')).toBe(false);
    expect(matches('{src,tests/{unit,e2e}}/**', 'tests/e2e/a.ts')).toBe(true);
    expect(matches('a}b,c', 'a}b,c')).toBe(true);
  });

  it('reads [set] and [!set] as one character, never a slash for a negated set', () => {
    expect(matches('[ab].ts', 'a.ts')).toBe(true);
    expect(matches('[ab].ts', 'c.ts')).toBe(false);
    expect(matches('x[!ab]y', 'xcy')).toBe(true);
    expect(matches('x[^ab]y', 'x/y')).toBe(false);
    expect(matches('[]]', ']')).toBe(true);
  });

  it('matches regex characters literally', () => {
    expect(matches('a.b(c)+$', 'a.b(c)+$')).toBe(true);
    expect(matches('a.b', 'axb')).toBe(false);
  });

  it('refuses an empty, an overlong or an unbalanced glob with the reason', () => {
    expect(compileGlob('')).toEqual({ ok: false, error: 'the glob is empty' });
    expect(compileGlob('a'.repeat(MAX_GLOB_LENGTH + 1))).toMatchObject({
      ok: false,
      error: expect.stringContaining('at most'),
    });
    expect(compileGlob('src/{a,b')).toMatchObject({
      ok: false,
      error: expect.stringContaining('never closed by "}"'),
    });
    expect(compileGlob('src/[ab')).toMatchObject({
      ok: false,
      error: expect.stringContaining('never closed by "]"'),
    });
    expect(compileGlob('[z-a]')).toMatchObject({
      ok: false,
      error: expect.stringContaining('cannot be read'),
    });
  });

  it('matches a backtracking trap in linear time', () => {
    const glob = '*a*a*a*a*a*a*a*a*a*a*b';
    const path = 'a'.repeat(4000);
    const started = performance.now();
    expect(matches(glob, path)).toBe(false);
    // A backtracking matcher takes longer than the test's timeout here; RE2 takes milliseconds.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('globMatches', () => {
  it('answers from the cache and matches nothing for a glob that cannot compile', () => {
    expect(globMatches('src/**', 'src/a.ts')).toBe(true);
    expect(globMatches('src/**', 'src/b.ts')).toBe(true);
    expect(globMatches('src/{a', 'src/{a')).toBe(false);
  });

  it('clears its cache when it is full, and still answers', () => {
    for (let index = 0; index < 1001; index += 1) globMatches(`f${index}.ts`, 'x');
    expect(globMatches('f0.ts', 'f0.ts')).toBe(true);
  });
});

describe('checkWrite with a scope', () => {
  const policy: PathPolicy = {
    allowedDirs: ['src', 'tests', 'docs'],
    declaredFiles: [],
    scope: ['src/**', 'tests/**'],
    grants: [],
    plugins: [],
    agent: 'gpt',
  };

  it('allows a path inside the scope', () => {
    expect(checkWrite('src/a/b.ts', policy)).toBeUndefined();
  });

  it('refuses an allowed-folder path outside the scope, naming the scope', () => {
    const refused = checkWrite('docs/a.md', policy);
    expect(refused?.rule).toBe('out_of_scope');
    expect(refused?.message).toContain('src/**, tests/**');
  });

  it('leaves the decision to declared files when the task has them', () => {
    expect(checkWrite('docs/a.md', { ...policy, declaredFiles: ['docs/a.md'] })).toBeUndefined();
  });

  it('never widens past the control plane or the allowed folders', () => {
    expect(checkWrite('scripts/x.ts', { ...policy, scope: ['**'] })?.rule).toBe('control_plane');
    expect(checkWrite('lib/x.ts', { ...policy, scope: ['**'] })?.rule).toBe('top_dir');
  });

  it('allows any allowed path when the scope is empty', () => {
    expect(checkWrite('docs/a.md', { ...policy, scope: [] })).toBeUndefined();
  });
});
