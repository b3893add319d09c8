import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY } from '../../../fixtures/secret-canaries.ts';
import { createTrapRepo, makeFifo, removeRepo, SHAPED_KEY, taskOf, toolboxFor } from './tools-fixture.ts';

/**
 * Hostile tool calls, each with its safe outcome: refused under the rule that names the attack,
 * with nothing of what it aimed at in the answer, and nothing written.
 */
interface Hostile {
  name: string;
  tool: string;
  args: unknown;
  rule: string;
  /** Text the answer must not hold (what the attack wanted to see). */
  hides?: string[];
}

const READS: Hostile[] = [
  {
    name: 'a read that climbs out',
    tool: 'read_file',
    args: { path: '../outside.txt' },
    rule: 'parent_segment',
    hides: ['OUTSIDE-SECRET'],
  },
  {
    name: 'a read that climbs out from a folder',
    tool: 'read_file',
    args: { path: 'src/../../outside.txt' },
    rule: 'parent_segment',
    hides: ['OUTSIDE-SECRET'],
  },
  {
    name: 'an absolute read',
    tool: 'read_file',
    args: { path: '/etc/passwd' },
    rule: 'absolute_path',
    hides: ['root:'],
  },
  {
    name: 'a Windows absolute read',
    tool: 'read_file',
    args: { path: 'C:/Windows/win.ini' },
    rule: 'absolute_path',
  },
  {
    name: 'a read of .git/config',
    tool: 'read_file',
    args: { path: '.git/config' },
    rule: 'git_dir',
    hides: ['[core]'],
  },
  {
    name: 'a read of .GIT/config',
    tool: 'read_file',
    args: { path: '.GIT/config' },
    rule: 'git_dir',
    hides: ['[core]'],
  },
  {
    name: 'a read of .git/HEAD through a trailing dot',
    tool: 'read_file',
    args: { path: '.git./HEAD' },
    rule: 'git_dir',
  },
  {
    name: 'a read of the ignored .env holding a key',
    tool: 'read_file',
    args: { path: '.env' },
    rule: 'not_found',
    hides: [SHAPED_KEY],
  },
  {
    name: 'a read of ignored build output',
    tool: 'read_file',
    args: { path: 'build/out.js' },
    rule: 'not_found',
    hides: [SHAPED_KEY],
  },
  {
    name: 'a read of a symlink to /etc/passwd',
    tool: 'read_file',
    args: { path: 'src/link-passwd' },
    rule: 'symlink',
    hides: ['root:'],
  },
  {
    name: 'a read through a symlinked folder',
    tool: 'read_file',
    args: { path: 'src/etc/passwd' },
    rule: 'not_found',
    hides: ['root:'],
  },
  {
    name: 'a read through a link inside the repository',
    tool: 'read_file',
    args: { path: 'docs/alias/app.ts' },
    rule: 'not_found',
  },
  { name: 'a read of a FIFO', tool: 'read_file', args: { path: 'src/pipe' }, rule: 'special_file' },
  {
    name: 'a read of a 2 GB sparse file',
    tool: 'read_file',
    args: { path: 'src/huge.txt' },
    rule: 'binary',
    hides: ['\0'],
  },
  { name: 'a read of a binary', tool: 'read_file', args: { path: 'src/logo.png' }, rule: 'binary' },
  { name: 'a path with a NUL', tool: 'read_file', args: { path: 'src/app.ts\0.md' }, rule: 'nul_byte' },
  { name: 'a path with a backslash', tool: 'read_file', args: { path: 'src\\app.ts' }, rule: 'backslash' },
  { name: 'a listing that climbs out', tool: 'list_files', args: { path: '..' }, rule: 'parent_segment' },
  { name: 'a listing of .git', tool: 'list_files', args: { path: '.git' }, rule: 'git_dir', hides: ['HEAD'] },
  {
    name: 'a listing of an absolute folder',
    tool: 'list_files',
    args: { path: '/etc' },
    rule: 'absolute_path',
  },
  {
    name: 'a search of an absolute folder',
    tool: 'search',
    args: { pattern: 'root', path: '/etc' },
    rule: 'absolute_path',
  },
  { name: 'a search of .git', tool: 'search', args: { pattern: 'core', path: '.git' }, rule: 'git_dir' },
  {
    name: 'a regex with a backreference',
    tool: 'search',
    args: { pattern: '(a)\\1', regex: true },
    rule: 'bad_regex',
  },
  { name: 'a glob that never closes', tool: 'list_files', args: { glob: 'src/{a,b' }, rule: 'bad_glob' },
];

const WRITES: Hostile[] = [
  {
    name: 'a write into tasks/',
    tool: 'write_file',
    args: { path: 'tasks/evil.json', content: '{}' },
    rule: 'control_plane',
  },
  {
    name: 'a write into scripts/',
    tool: 'write_file',
    args: { path: 'scripts/run.ts', content: 'process.exit(0)' },
    rule: 'control_plane',
  },
  {
    name: 'a write of package.json',
    tool: 'write_file',
    args: { path: 'package.json', content: '{}' },
    rule: 'control_plane',
  },
  {
    name: 'a write of a nested lockfile',
    tool: 'write_file',
    args: { path: 'src/package-lock.json', content: '{}' },
    rule: 'control_plane',
  },
  {
    name: 'a write of .gitattributes',
    tool: 'write_file',
    args: { path: '.gitattributes', content: '* filter=evil\n' },
    rule: 'control_plane',
  },
  {
    name: 'a workflow without the grant',
    tool: 'write_file',
    args: { path: '.github/workflows/steal.yml', content: 'on: push\n' },
    rule: 'github_permission',
  },
  {
    name: 'an edit of a workflow without the grant',
    tool: 'edit_file',
    args: { path: '.github/workflows/ci.yml', old_text: 'push', new_text: 'pull_request_target' },
    rule: 'github_permission',
  },
  {
    name: 'a write outside the allowed folders',
    tool: 'write_file',
    args: { path: 'lib/x.ts', content: 'x' },
    rule: 'top_dir',
  },
  {
    name: 'a write into .git',
    tool: 'write_file',
    args: { path: 'src/.git/hooks/pre-commit', content: 'rm -rf /' },
    rule: 'git_dir',
  },
  {
    name: 'a write of .GIT in another case',
    tool: 'write_file',
    args: { path: '.GIT/config', content: 'x' },
    rule: 'git_dir',
  },
  {
    name: 'a write of a .gitignore lookalike',
    tool: 'write_file',
    args: { path: 'src/.GITIGNORE', content: '*' },
    rule: 'git_file_lookalike',
  },
  {
    name: 'a write with a backslash',
    tool: 'write_file',
    args: { path: 'src\\x.ts', content: 'x' },
    rule: 'backslash',
  },
  {
    name: 'a write with a NUL',
    tool: 'write_file',
    args: { path: 'src/a\0b.ts', content: 'x' },
    rule: 'nul_byte',
  },
  {
    name: 'a write that climbs out',
    tool: 'write_file',
    args: { path: 'src/../../outside.txt', content: 'x' },
    rule: 'parent_segment',
  },
  {
    name: 'a write through a symlinked folder',
    tool: 'write_file',
    args: { path: 'src/etc/cron.d/x', content: 'x' },
    rule: 'symlink',
  },
  {
    name: 'a write onto a symlink',
    tool: 'write_file',
    args: { path: 'src/link-passwd', content: 'x' },
    rule: 'symlink',
  },
  {
    name: 'a write onto a FIFO',
    tool: 'write_file',
    args: { path: 'src/pipe', content: 'x' },
    rule: 'special_file',
  },
  {
    name: 'a write of an ignored path',
    tool: 'write_file',
    args: { path: 'src/new.log', content: 'x' },
    rule: 'ignored_path',
  },
  {
    name: 'a secret in new_text',
    tool: 'edit_file',
    args: { path: 'src/app.ts', old_text: 'value1 = 1', new_text: `value1 = "${SHAPED_KEY}"` },
    rule: 'secret',
    hides: [SHAPED_KEY],
  },
  {
    name: "one of the run's secrets in a new file",
    tool: 'write_file',
    args: { path: 'src/leak.ts', content: `// ${CANARY.GITHUB_TOKEN}\n` },
    rule: 'secret',
    hides: [CANARY.GITHUB_TOKEN],
  },
  {
    name: "a run's secret in the path",
    tool: 'write_file',
    args: { path: `src/${CANARY.GITHUB_TOKEN}.ts`, content: 'x' },
    rule: 'secret',
    hides: [CANARY.GITHUB_TOKEN],
  },
  {
    name: 'binary content',
    tool: 'write_file',
    args: { path: 'src/blob.ts', content: 'MZ\0\u0001binary' },
    rule: 'binary_content',
  },
  {
    name: 'a file over the size limit',
    tool: 'write_file',
    args: { path: 'src/big.ts', content: 'x'.repeat(600 * 1024) },
    rule: 'file_too_large',
  },
  {
    name: 'a deletion of a task file',
    tool: 'delete_file',
    args: { path: 'tasks/t1.json' },
    rule: 'control_plane',
  },
  {
    name: 'a deletion of a workflow',
    tool: 'delete_file',
    args: { path: '.github/workflows/ci.yml' },
    rule: 'github_permission',
  },
  {
    name: 'a deletion of the ignore rules',
    tool: 'delete_file',
    args: { path: '.gitignore' },
    rule: 'control_plane',
  },
  {
    name: 'an ambiguous old_text',
    tool: 'edit_file',
    args: { path: 'src/dup.ts', old_text: 'const a = 1;', new_text: 'x' },
    rule: 'ambiguous_match',
  },
  {
    name: 'an empty old_text',
    tool: 'edit_file',
    args: { path: 'src/app.ts', old_text: '', new_text: 'x' },
    rule: 'empty_old_text',
  },
  {
    name: 'a whole-file write that drops most of a file',
    tool: 'write_file',
    args: { path: 'src/app.ts', content: 'export const value1 = 1;\n' },
    rule: 'whole_file_shrink',
  },
  {
    name: 'a whole-file write with an elision marker',
    tool: 'write_file',
    args: {
      path: 'src/app.ts',
      content: `${'export const value1 = 1;\n'.repeat(12)}// ... rest unchanged\n`,
    },
    rule: 'elision_marker',
  },
];

const CALLS: Hostile[] = [
  {
    name: 'a 10 MB argument',
    tool: 'write_file',
    args: JSON.stringify({ path: 'src/x.ts', content: 'x'.repeat(10 * 1024 * 1024) }),
    rule: 'arguments_too_large',
  },
  {
    name: 'a 10 MB argument as parsed JSON',
    tool: 'search',
    args: { pattern: 'y'.repeat(10 * 1024 * 1024) },
    rule: 'arguments_too_large',
  },
  {
    name: 'arguments that are not JSON',
    tool: 'read_file',
    args: '{"path": "src/app.ts"',
    rule: 'invalid_json',
  },
  {
    name: 'a line number as a string',
    tool: 'read_file',
    args: { path: 'src/app.ts', start_line: '3' },
    rule: 'invalid_arguments',
  },
  {
    name: 'a path as a number',
    tool: 'write_file',
    args: { path: 42, content: 'x' },
    rule: 'invalid_arguments',
  },
  { name: 'arguments as an array', tool: 'list_files', args: '[1,2]', rule: 'invalid_arguments' },
  {
    name: 'an argument the tool does not take',
    tool: 'read_file',
    args: { path: 'src/app.ts', follow_links: true },
    rule: 'invalid_arguments',
  },
  {
    name: 'a tool that does not exist',
    tool: 'run_shell',
    args: { command: 'cat .env' },
    rule: 'unknown_tool',
  },
  { name: 'a tool named after a built-in property', tool: '__proto__', args: {}, rule: 'unknown_tool' },
];

let root: string;
let outside: string;

beforeAll(async () => {
  ({ root, outside } = await createTrapRepo());
  makeFifo(root);
}, 60_000);
afterAll(() => removeRepo(root));

describe.each([
  ['reads', READS],
  ['writes', WRITES],
  ['calls', CALLS],
])('hostile %s', (_, cases) => {
  it.each(cases)('refuses $name ($rule)', async ({ tool, args, rule, hides }) => {
    const { copy, call } = await toolboxFor(root, { task: taskOf() });
    const result = await call(tool, args);
    expect(result).toMatchObject({ ok: false, rule });
    expect(result.text).toContain(`refused (${rule})`);
    for (const hidden of hides ?? []) expect(result.text).not.toContain(hidden);
    // Nothing was recorded for the proposal.
    expect(copy.edits()).toEqual({ changes: [], deletions: [] });
  });
});

describe("a reviewer's read-only toolbox", () => {
  it.each([
    { tool: 'edit_file', args: { path: 'src/app.ts', old_text: 'value1 = 1;', new_text: 'value1 = 9;' } },
    { tool: 'write_file', args: { path: 'src/new.ts', content: 'export {};\n' } },
    { tool: 'delete_file', args: { path: 'src/app.ts' } },
    { tool: 'run_checks', args: {} },
    { tool: 'finish', args: { summary: 'approved by writing' } },
  ])('refuses $tool, which it was never offered, and changes nothing', async ({ tool, args }) => {
    const ran: string[] = [];
    const { copy, call, toolbox } = await toolboxFor(root, {
      offered: ['list_files', 'read_file', 'search'],
      runChecks: async () => {
        ran.push('checks');
        return { code: 0, output: '' };
      },
    });
    const result = await call(tool, args);
    expect(result).toMatchObject({ ok: false, rule: 'not_offered' });
    expect(result.text).toContain('the tools are list_files, read_file, search');
    expect(copy.edits()).toEqual({ changes: [], deletions: [] });
    expect(toolbox.finished).toBeUndefined();
    expect(ran).toEqual([]);
    expect((await call('read_file', { path: 'src/app.ts', end_line: 1 })).text).toContain('value1 = 1;');
  });
});

describe('hostile cases that need more than one rule', () => {
  it('counts at least 40 hostile cases', () => {
    expect(READS.length + WRITES.length + CALLS.length).toBeGreaterThanOrEqual(40);
  });

  it('leaves the files outside and inside the repository untouched by refused writes', async () => {
    const { call } = await toolboxFor(root);
    await call('write_file', { path: 'src/../../outside.txt', content: 'overwritten' });
    await call('write_file', { path: 'tasks/t1.json', content: '{}' });
    expect(await readFile(outside, 'utf8')).toBe('OUTSIDE-SECRET\n');
    expect(await readFile(join(root, 'tasks/t1.json'), 'utf8')).toBe('{"task_id":"t1"}\n');
  });

  it('refuses a write outside the task scope, and takes one inside', async () => {
    const { call } = await toolboxFor(root, { scope: ['src/**'] });
    expect(await call('write_file', { path: 'docs/new.md', content: '# new\n' })).toMatchObject({
      ok: false,
      rule: 'out_of_scope',
    });
    expect(await call('write_file', { path: 'src/new.ts', content: 'export {};\n' })).toMatchObject({
      ok: true,
    });
  });

  it('refuses a write beside the declared files', async () => {
    const { call } = await toolboxFor(root, { task: taskOf({ files: ['src/app.ts'] }) });
    expect(await call('write_file', { path: 'src/other.ts', content: 'x' })).toMatchObject({
      ok: false,
      rule: 'undeclared_file',
    });
  });

  it('lets an agent with the .github grant write a workflow', async () => {
    const { call } = await toolboxFor(root, { agent: 'grok-fast' });
    expect(
      await call('write_file', { path: '.github/workflows/new.yml', content: 'on: push\n' }),
    ).toMatchObject({ ok: true });
  });

  it('never shows the ignored .env, .git or build output in a listing or a search', async () => {
    const { call } = await toolboxFor(root);
    const listing = (await call('list_files', {})).text;
    expect(listing).toContain('src/app.ts');
    expect(listing).not.toMatch(/^\.env$|^\.git\/|^build\//m);
    const found = await call('search', { pattern: SHAPED_KEY.slice(0, 20) });
    expect(found.text).toMatch(/^no matches/);
    expect((await call('search', { pattern: 'root:' })).text).toMatch(/^no matches/);
  });

  it('answers a FIFO and a 2 GB sparse file at once, without reading them', async () => {
    const { call } = await toolboxFor(root);
    const started = performance.now();
    const fifo = await call('read_file', { path: 'src/pipe' });
    const huge = await call('read_file', { path: 'src/huge.txt' });
    expect(fifo.rule).toBe('special_file');
    expect(huge.text).toContain(`${2 * 1024 ** 3} bytes`);
    // A read that blocked on the FIFO or read 2 GB would pass the test's timeout; this is generous.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('matches a catastrophic-backtracking regex in linear time', async () => {
    const { call } = await toolboxFor(root);
    const result = await call('search', {
      pattern: '(a+)+$',
      regex: true,
      path: 'src',
      glob: 'backtrack.txt',
    });
    expect(result).toMatchObject({ ok: true });
    expect(result.text).toMatch(/^no matches/);
  });

  it("redacts checks output that echoes one of the run's keys", async () => {
    const { call } = await toolboxFor(root, {
      runChecks: async () => ({
        code: 1,
        output: `env dump: OPENAI_API_KEY=${CANARY.OPENAI_API_KEY}\nFAIL\n`,
      }),
    });
    const result = await call('run_checks', {});
    expect(result.text).toContain('exit code 1');
    expect(result.text).toContain('[redacted]');
    expect(result.text).not.toContain('LEAKCANARY');
  });

  it('redacts a run secret that a readable file holds', async () => {
    const { copy, call } = await toolboxFor(root);
    copy.write('src/echo.ts', `const token = "${CANARY.GITHUB_TOKEN}";\n`);
    const result = await call('read_file', { path: 'src/echo.ts' });
    expect(result.text).not.toContain('LEAKCANARY');
  });

  it('refuses every call after finish', async () => {
    const { call } = await toolboxFor(root);
    await call('finish', { summary: 'done' });
    expect(await call('write_file', { path: 'src/late.ts', content: 'x' })).toMatchObject({
      ok: false,
      rule: 'finished',
    });
  });
});
