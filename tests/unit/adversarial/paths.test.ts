import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import { ConfigSchema } from '../../../scripts/core/config.ts';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import { vetProposal } from '../../../scripts/engine/guard/vet.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { createLocalForge, type LocalForge } from '../../../scripts/forge/local/forge.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { createSandboxRepo, git, type TaskStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

/**
 * Hostile paths: each proposal must be refused whole, under the rule that names its attack.
 * The first table goes through vetProposal against a memory forge that holds a link, a
 * submodule, a folder, a file, an ignored folder and a task branch; the second runs the whole
 * factory on a real git sandbox, and checks that nothing reached any branch or pull request.
 */

const file = (path: string) => ({ path, content: 'x\n' });

const VETTED: { name: string; rule: string; paths: string[]; blamed?: string }[] = [
  { name: '.git at the top', rule: 'git_dir', paths: ['.git/config'] },
  { name: '.GIT in another case, deeper', rule: 'git_dir', paths: ['src/.GIT/config'] },
  { name: '.git with a trailing dot', rule: 'git_dir', paths: ['src/.git./hooks/pre-commit'] },
  { name: '.git with trailing spaces', rule: 'git_dir', paths: ['src/.git  /hooks/pre-commit'] },
  { name: '.GIT with dots and spaces', rule: 'git_dir', paths: ['src/.GIT. ./x'] },
  { name: 'the NTFS short name git~1', rule: 'git_dir', paths: ['src/git~1/config'] },
  { name: 'the NTFS short name GIT~2', rule: 'git_dir', paths: ['src/GIT~2/HEAD'] },
  { name: 'an NTFS stream of .git', rule: 'git_dir', paths: ['src/.git::$DATA'] },
  { name: '.git with a zero-width non-joiner', rule: 'git_dir', paths: ['src/.g\u200Cit/config'] },
  { name: '.git behind a byte order mark', rule: 'git_dir', paths: ['src/\uFEFF.git/config'] },
  { name: '.git with a right-to-left override', rule: 'git_dir', paths: ['src/.git\u202E/x'] },
  { name: '.gitmodules', rule: 'gitmodules', paths: ['src/.gitmodules'] },
  { name: '.GITMODULES with a trailing dot', rule: 'gitmodules', paths: ['src/.GITMODULES.'] },
  { name: 'a .gitignore in another case', rule: 'git_file_lookalike', paths: ['src/.GitIgnore'] },
  { name: 'the device name CON', rule: 'reserved_name', paths: ['src/CON'] },
  { name: 'NUL with two extensions', rule: 'reserved_name', paths: ['src/nul.tar.gz'] },
  { name: 'COM1 in mixed case', rule: 'reserved_name', paths: ['src/Com1.ts'] },
  { name: 'LPT with a superscript one', rule: 'reserved_name', paths: ['src/lpt\u00B9.md'] },
  { name: 'a "<" in a name', rule: 'bad_character', paths: ['src/a<b.ts'] },
  { name: 'a "?" in a name', rule: 'bad_character', paths: ['src/what?.md'] },
  { name: 'a control character', rule: 'control_character', paths: ['src/a\u0001b.ts'] },
  { name: 'a newline', rule: 'control_character', paths: ['src/a\nb.ts'] },
  { name: 'a disguised extension', rule: 'invisible_character', paths: ['src/evil\u202Etxt.exe'] },
  { name: 'a trailing dot', rule: 'trailing_dot_or_space', paths: ['src/trailing.'] },
  { name: 'a trailing space', rule: 'trailing_dot_or_space', paths: ['src/trailing '] },
  { name: 'an 8.3 short name', rule: 'short_name', paths: ['src/PROGRA~1/x.ts'] },
  { name: 'a 256-byte name', rule: 'segment_too_long', paths: [`src/${'a'.repeat(256)}`] },
  {
    name: 'a 4 KiB path, blamed by its first 200 characters',
    rule: 'path_too_long',
    paths: [`src/${'d/'.repeat(2100)}x`],
    blamed: `src/${'d/'.repeat(98)}`,
  },
  { name: 'a decomposed accent', rule: 'not_nfc', paths: ['src/cafe\u0301.md'] },
  { name: 'a lone surrogate', rule: 'malformed_unicode', paths: ['src/\uD800.ts'] },
  { name: 'two names differing in case', rule: 'name_collision', paths: ['src/A.ts', 'src/a.ts'] },
  { name: 'accented names differing in case', rule: 'name_collision', paths: ['src/É.md', 'src/é.md'] },
  { name: 'a file and a path inside it', rule: 'file_folder_collision', paths: ['src/lib', 'src/lib/x.ts'] },
  {
    name: 'a clean file beside a bad one',
    rule: 'git_dir',
    paths: ['src/ok.ts', 'src/.git/config'],
    blamed: 'src/.git/config',
  },
  { name: 'a folder that is a symbolic link', rule: 'symlink', paths: ['docs/linked/escape.txt'] },
  { name: 'the symbolic link itself', rule: 'symlink', paths: ['docs/linked'] },
  { name: 'a file inside a submodule', rule: 'submodule', paths: ['src/vendor/patch.c'] },
  { name: 'the submodule itself', rule: 'submodule', paths: ['src/vendor'] },
  { name: 'a file over a folder', rule: 'file_replaces_folder', paths: ['src/dir'] },
  { name: 'a path under a file', rule: 'path_under_file', paths: ['src/file.txt/inner.ts'] },
  { name: 'a path under a file on the task branch', rule: 'path_under_file', paths: ['src/grown.txt/x'] },
  { name: 'an ignored path', rule: 'ignored_path', paths: ['src/build/out.js'] },
];

describe('hostile paths, vetted against a repository', () => {
  const forge = new MemoryForge();
  const context = {
    task: { task_id: 't', description: 'attack', assignee: 'gpt', files: [] },
    agent: BUILTIN_AGENTS.find((agent) => agent.name === 'gpt')!,
    protocol: ConfigSchema.parse({}).protocol,
    plugins: [] as string[],
    forge,
    secrets: new SecretGuard([]),
  };

  beforeAll(async () => {
    forge.main.set('src/file.txt', 'f\n').set('src/dir/keep.txt', 'k\n');
    forge.symlinks.add('docs/linked');
    forge.submodules.add('src/vendor');
    forge.ignored.add('src/build');
    const author = { name: 'gpt', email: 'gpt@agents.aifactory.invalid' };
    await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [file('src/grown.txt')],
      message: 'iteration 1',
      author,
      trailers: {},
    });
  });

  it.each(VETTED)('refuses $name as $rule', async ({ rule, paths, blamed }) => {
    const rejection = await vetProposal(paths.map(file), context);
    expect(rejection).toMatchObject({ rule, path: blamed ?? paths.at(-1) });
    expect(rejection?.message.length).toBeGreaterThan(30);
  });

  it('lets the same repository take honest paths next to every trap', async () => {
    const honest = ['src/file.txt', 'src/dir/new.ts', 'docs/guide.md', 'src/.gitignore', 'src/café.md'];
    expect(await vetProposal(honest.map(file), context)).toBeUndefined();
  });
});

/** Stories for the real factory: one hostile proposal each, on a sandbox with traps on main. */
const ATTACKS: { id: string; rule: string; paths: string[]; blamed?: string }[] = [
  { id: 'through-link', rule: 'symlink', paths: ['docs/linked/escape.txt'] },
  { id: 'through-checkout-link', rule: 'symlink', paths: ['src/outside/escape.txt'] },
  { id: 'into-submodule', rule: 'submodule', paths: ['src/vendor/patch.c'] },
  { id: 'onto-submodule', rule: 'submodule', paths: ['src/vendor'] },
  { id: 'over-folder', rule: 'file_replaces_folder', paths: ['src/dir'] },
  { id: 'under-file', rule: 'path_under_file', paths: ['src/file.txt/inner.ts'] },
  { id: 'ignored-log', rule: 'ignored_path', paths: ['src/debug.log'] },
  { id: 'ignored-folder', rule: 'ignored_path', paths: ['src/build/out.js'] },
  { id: 'git-dot', rule: 'git_dir', paths: ['src/.git./hooks/post-checkout'] },
  { id: 'git-short', rule: 'git_dir', paths: ['src/GIT~1/config'] },
  { id: 'git-stream', rule: 'git_dir', paths: ['src/.git::$DATA'] },
  { id: 'git-hfs', rule: 'git_dir', paths: ['src/.g\u200Cit/hooks/pre-commit'] },
  { id: 'gitmodules', rule: 'gitmodules', paths: ['src/.gitmodules'] },
  { id: 'device', rule: 'reserved_name', paths: ['src/con.txt'] },
  { id: 'nfd', rule: 'not_nfc', paths: ['src/Cafe\u0301.md'] },
  { id: 'case-pair', rule: 'name_collision', paths: ['src/Readme.md', 'src/README.md'] },
  { id: 'file-folder', rule: 'file_folder_collision', paths: ['src/lib', 'src/lib/x.ts'] },
];

let root: string;
let outside: string;
let forge: LocalForge;
let mainBefore: string;
let summary: Awaited<ReturnType<typeof runFactory>>;

const ATTRIBUTES_ANSWER = [
  'The file, with attributes my renderer likes:',
  '```md:docs/attr.md title="../../etc/passwd" data-path="src/evil.sh"',
  '# attributes are not paths',
  '```',
  '```sh title="src/evil.sh:1"',
  'echo a sample, not a file',
  '```',
].join('\n');

beforeAll(async () => {
  const stories: TaskStory[] = [
    ...ATTACKS.map((attack) => ({
      task: { task_id: attack.id, description: `attack: ${attack.rule}`, assignee: 'gpt', files: [] },
      iterations: [{ files: attack.paths.map(file), verdict: 'approve' as const }],
    })),
    {
      // Clean on main; only the task's own branch, after iteration 1, holds src/grow.txt as a file.
      task: { task_id: 'grow', description: 'grow', assignee: 'gpt', files: [] },
      iterations: [
        { files: [file('src/grow.txt')], verdict: 'request_changes' },
        { files: [file('src/grow.txt/more.txt')], verdict: 'approve' },
      ],
    },
    {
      task: { task_id: 'attributes', description: 'attributes', assignee: 'gpt', files: [] },
      iterations: [{ files: [], verdict: 'approve', text: ATTRIBUTES_ANSWER }],
    },
    {
      task: { task_id: 'samples-only', description: 'samples', assignee: 'gpt', files: [] },
      iterations: [{ files: [], verdict: 'approve', text: '```ts title="src/x.ts:1"\nexport {};\n```' }],
    },
  ];
  ({ root } = await createSandboxRepo(stories));
  const replayDir = join(root, '.replay');
  outside = await mkdtemp(join(tmpdir(), 'aifactory-outside-'));
  // The traps, committed on main: a link out, a submodule, a folder, a file, ignore rules.
  await mkdir(join(root, 'docs'), { recursive: true });
  await mkdir(join(root, 'src/dir'), { recursive: true });
  await symlink(outside, join(root, 'docs/linked'));
  await writeFile(join(root, 'src/dir/keep.txt'), 'keep\n');
  await writeFile(join(root, 'src/file.txt'), 'file\n');
  await writeFile(join(root, '.gitignore'), '.aifactory/\n.replay/\n*.log\nsrc/build/\n');
  git(root, 'add', '-A');
  git(root, 'update-index', '--add', '--cacheinfo', `160000,${git(root, 'rev-parse', 'HEAD')},src/vendor`);
  git(root, 'commit', '-q', '-m', 'traps');
  // Only in the checkout: a link out, and the user's own ignored file.
  await symlink(outside, join(root, 'src/outside'));
  await writeFile(join(root, 'src/debug.log'), 'mine\n');
  mainBefore = git(root, 'rev-parse', 'main');
  forge = await createLocalForge({ root, defaultBranch: 'main' });
  summary = await runFactory(root, { forge: 'local', replayDir }, silentProgress);
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function recordOf(id: string) {
  return RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')));
}

describe('hostile paths through the factory and the local forge', () => {
  it.each(ATTACKS)(
    'rejects $id as $rule, with no branch and no pull request',
    async ({ id, rule, paths, blamed }) => {
      const record = await recordOf(id);
      expect(record.state).toBe('rejected');
      expect(record.rejection).toMatchObject({ rule, path: blamed ?? paths.at(-1) });
      expect(git(root, 'branch', '--list', `aifactory/${id}`)).toBe('');
      expect(await forge.findPullRequest(`aifactory/${id}`)).toBeUndefined();
    },
  );

  it('refuses a path under a file that only the task branch holds, leaving the branch as it was', async () => {
    const record = await recordOf('grow');
    expect(record).toMatchObject({ state: 'rejected', iteration: 2 });
    expect(record.rejection).toMatchObject({ rule: 'path_under_file', path: 'src/grow.txt/more.txt' });
    expect(record.rejection?.message).toContain('branch aifactory/grow');
    // The pull request of iteration 1 is told why the task ended, and closed; its branch stays.
    const pr = await forge.findPullRequest('aifactory/grow');
    expect(pr?.state).toBe('closed');
    expect(record.pull_request).toMatchObject({ number: pr?.number, closed: true });
    const pull = JSON.parse(await readFile(join(root, '.git/aifactory/pulls', `${pr?.number}.json`), 'utf8'));
    expect(pull.comments).toEqual([
      expect.objectContaining({
        key: 'rejected-2',
        body: expect.stringContaining('path_under_file (src/grow.txt/more.txt)'),
      }),
    ]);
    expect(git(root, 'rev-list', '--count', 'main..aifactory/grow')).toBe('1');
    expect(git(root, 'ls-tree', '-r', '--name-only', 'aifactory/grow', 'src/grow.txt')).toBe('src/grow.txt');
  });

  it('never lets info-string attributes become a path, and merges the real file', async () => {
    expect(summary.records.get('attributes')?.state).toBe('merged');
    expect(git(root, 'show', 'main:docs/attr.md')).toBe('# attributes are not paths');
    expect(git(root, 'ls-tree', '-r', '--name-only', 'main', 'src/evil.sh')).toBe('');
    const record = await recordOf('samples-only');
    expect(record.state).toBe('failed');
    expect(record.last_error).toMatchObject({ class: 'bad_output' });
  });

  it('wrote nothing to main but records and the merged file, and nothing outside or ignored', async () => {
    const changed = git(root, 'diff', '--name-only', mainBefore, 'main').split('\n');
    expect(changed.filter((path) => !path.startsWith('shared/'))).toEqual(['docs/attr.md']);
    expect(
      git(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/aifactory/').split('\n'),
    ).toEqual(['aifactory/attributes', 'aifactory/grow']);
    expect(await readdir(outside)).toEqual([]);
    expect(await readFile(join(root, 'src/debug.log'), 'utf8')).toBe('mine\n');
    expect(git(root, 'ls-tree', 'main', 'src/vendor')).toMatch(/^160000 commit /);
  });
});
