import { execFileSync, spawn } from 'node:child_process';
import { access, chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalForge, type LocalForge } from '../../../../scripts/forge/local/forge.ts';
import { REPO_ROOT } from '../../../fixtures/cli.ts';
import { createSandboxRepo, git } from '../../../fixtures/sandbox-repo.ts';

let root: string;
let forge: LocalForge;
const gpt = { name: 'gpt', email: 'gpt@agents.aifactory.invalid' };
const trailers = { 'Task-Id': 't', Agent: 'gpt', Model: 'openai/gpt-5-mini', Iteration: '1' };

beforeEach(async () => {
  ({ root } = await createSandboxRepo([]));
  forge = await createLocalForge({ root, defaultBranch: 'main' });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const push = (content: string, branch = 'aifactory/t', path = 'src/a.txt') =>
  forge.pushIteration({ branch, changes: [{ path, content }], message: 'Write a', author: gpt, trailers });

/**
 * A move of the checked-out main to a branch writing `content` to src/a.txt, as a crash left it:
 * the marker written, the ref not moved, and `left` in the checkout's src/a.txt when given.
 */
async function cutMove(content: string, left?: string): Promise<{ from: string; to: string }> {
  const from = git(root, 'rev-parse', 'main');
  const to = await push(content, 'aifactory/pending');
  await mkdir(join(root, '.git/aifactory'), { recursive: true });
  await writeFile(join(root, '.git/aifactory/checkout.json'), JSON.stringify({ from, to }));
  if (left !== undefined) {
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src/a.txt'), left);
  }
  return { from, to };
}

describe('local forge', () => {
  it('commits an iteration on the task branch, authored by the agent, with trailers', async () => {
    const commit = await push('one\n');
    expect(git(root, 'rev-parse', 'aifactory/t')).toBe(commit);
    expect(git(root, 'log', '-1', '--format=%an <%ae>|%cn', commit)).toBe(
      'gpt <gpt@agents.aifactory.invalid>|AI Factory OS',
    );
    expect(git(root, 'log', '-1', '--format=%(trailers:only,unfold)', commit)).toContain(
      'Task-Id: t\nAgent: gpt',
    );
    expect(git(root, 'show', `${commit}:src/a.txt`)).toBe('one');
    expect(await forge.readFile('src/a.txt', commit)).toBe('one\n');
    expect(await forge.readFile('src/a.txt')).toBeUndefined();
  });

  it('never touches the working tree or the index, and makes no second commit for the same content', async () => {
    await writeFile(join(root, 'README.md'), '# edited, not committed\n');
    await writeFile(join(root, 'staged.txt'), 'staged\n');
    git(root, 'add', 'staged.txt');
    const before = git(root, 'status', '--porcelain');
    const first = await push('one\n');
    expect(await push('one\n')).toBe(first);
    expect(git(root, 'rev-list', '--count', 'main..aifactory/t')).toBe('1');
    expect(git(root, 'status', '--porcelain')).toBe(before);
    expect(await readFile(join(root, 'README.md'), 'utf8')).toBe('# edited, not committed\n');
  });

  it('opens one pull request per branch and finds it again', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    const again = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: 'b' });
    expect(again.number).toBe(pr.number);
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ number: 1, state: 'open' });
    expect(await forge.findPullRequest('aifactory/none')).toBeUndefined();
    await expect(forge.openPullRequest({ branch: 'aifactory/none', title: '', body: '' })).rejects.toThrow(
      'push first',
    );
  });

  it('merges into the checked-out main like a fast-forward, keeping unrelated local changes', async () => {
    await writeFile(join(root, 'README.md'), '# local edit\n');
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const review = { agent: 'gemini-pro', verdict: 'approve' as const, summary: 'ok', comments: [] };
    await forge.addReview(pr, { ...review, commit: pr.head, iteration: 1 });
    await forge.addReview(pr, { ...review, commit: pr.head, iteration: 1 });
    expect(await forge.findReview(pr, { commit: pr.head, iteration: 1 })).toMatchObject(review);
    expect(await forge.findReview(pr, { commit: pr.head, iteration: 2 })).toBeUndefined();
    const outcome = await forge.merge(pr, { message: 'Merge task t', head: pr.head });
    expect(outcome.kind).toBe('merged');
    const merge = outcome.kind === 'merged' ? outcome.commit : '';
    expect(git(root, 'rev-parse', 'main')).toBe(merge);
    expect(git(root, 'log', '-1', '--format=%P', merge).split(' ')).toHaveLength(2);
    expect(await readFile(join(root, 'src/a.txt'), 'utf8')).toBe('one\n');
    expect(await readFile(join(root, 'README.md'), 'utf8')).toBe('# local edit\n');
    expect(git(root, 'status', '--porcelain')).toBe('M README.md');
    expect(await forge.merge(pr, { message: 'again', head: pr.head })).toEqual({
      kind: 'merged',
      commit: merge,
    });
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ state: 'merged' });
  });

  it('waits, naming the file, rather than merge over an uncommitted change to it, and moves nothing', async () => {
    await push('from the agent\n');
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src/a.txt'), 'mine\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const main = git(root, 'rev-parse', 'main');
    expect(await forge.merge(pr, { message: 'Merge', head: pr.head })).toEqual({
      kind: 'waiting',
      reason:
        'the checkout of main has uncommitted changes to src/a.txt that the merge would overwrite; commit or stash them first',
    });
    expect(git(root, 'rev-parse', 'main')).toBe(main);
    expect(await readFile(join(root, 'src/a.txt'), 'utf8')).toBe('mine\n');
    expect(await forge.findPullRequest('aifactory/t')).toMatchObject({ state: 'open' });
    // Once the person's file is out of the way, the same merge goes through.
    await rm(join(root, 'src/a.txt'));
    expect(await forge.merge(pr, { message: 'Merge', head: pr.head })).toMatchObject({ kind: 'merged' });
    expect(await readFile(join(root, 'src/a.txt'), 'utf8')).toBe('from the agent\n');
  });

  it('still refuses a state commit over an uncommitted change to the same file', async () => {
    await mkdir(join(root, 'shared'), { recursive: true });
    await writeFile(join(root, 'shared/state.json'), 'mine\n');
    await expect(
      forge.commitToDefaultBranch({
        changes: [{ path: 'shared/state.json', content: '{}\n' }],
        message: 'State',
        author: gpt,
      }),
    ).rejects.toThrow('uncommitted changes to shared/state.json');
  });

  it('merges pull requests that wait together with one move of main, one merge commit each', async () => {
    const names = ['p', 'q', 'r', 's'];
    for (const name of names) await push(`${name}\n`, `aifactory/${name}`, `src/${name}.txt`);
    const prs = await Promise.all(
      names.map((name) => forge.openPullRequest({ branch: `aifactory/${name}`, title: name, body: '' })),
    );
    const moves = () => git(root, 'reflog', 'show', '--format=%H', 'refs/heads/main').split('\n').length;
    const movesBefore = moves();
    // A state commit holds main while the merges come in, so all four wait for the same turn.
    const state = forge.commitToDefaultBranch({
      changes: [{ path: 'shared/state.json', content: '{}\n' }],
      message: 'State',
      author: gpt,
    });
    const outcomes = await Promise.all(
      prs.map((pr) => forge.merge(pr, { message: `Merge ${pr.branch}`, head: pr.head })),
    );
    const stateOutcome = await state;
    if (stateOutcome.kind !== 'committed') throw new Error('the state commit made no commit');
    const stateCommit = stateOutcome.commit;
    const commits = outcomes.map((outcome) => (outcome.kind === 'merged' ? outcome.commit : outcome.kind));
    // Each merge commit sits on another (in the order they came in), and main moved once for the four.
    const chain = git(root, 'rev-list', '--first-parent', `${stateCommit}..main`).split('\n');
    expect(chain.toSorted()).toEqual(commits.toSorted());
    expect(moves() - movesBefore).toBe(2);
    for (const name of names) expect(await readFile(join(root, `src/${name}.txt`), 'utf8')).toBe(`${name}\n`);
    expect(git(root, 'status', '--porcelain')).toBe('');
  });

  it('when one merge of a batch would overwrite an uncommitted change, that one alone waits', async () => {
    for (const name of ['p', 'q', 'r']) await push(`${name}\n`, `aifactory/${name}`, `src/${name}.txt`);
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src/q.txt'), 'mine\n');
    const prs = await Promise.all(
      ['p', 'q', 'r'].map((name) =>
        forge.openPullRequest({ branch: `aifactory/${name}`, title: name, body: '' }),
      ),
    );
    const outcomes = await Promise.allSettled(
      prs.map((pr) => forge.merge(pr, { message: `Merge ${pr.branch}`, head: pr.head })),
    );
    const kinds = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.kind : 'thrown'));
    expect(kinds).toEqual(['merged', 'waiting', 'merged']);
    expect(outcomes[1]).toMatchObject({ value: { reason: expect.stringContaining('changes to src/q.txt') } });
    expect(await readFile(join(root, 'src/q.txt'), 'utf8')).toBe('mine\n');
    expect(git(root, 'ls-tree', '--name-only', 'main', 'src/').split('\n')).toEqual([
      'src/p.txt',
      'src/r.txt',
    ]);
  });

  it('reports the conflicting paths when two branches changed the same file', async () => {
    await push('one\n', 'aifactory/x');
    await push('two\n', 'aifactory/y');
    const x = await forge.openPullRequest({ branch: 'aifactory/x', title: 'X', body: '' });
    const y = await forge.openPullRequest({ branch: 'aifactory/y', title: 'Y', body: '' });
    await forge.merge(x, { message: 'Merge x', head: x.head });
    expect(await forge.merge(y, { message: 'Merge y', head: y.head })).toEqual({
      kind: 'conflict',
      paths: ['src/a.txt'],
    });
  });

  it('refuses to merge a head other than the approved one, and starts a branch over on request', async () => {
    const first = await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const second = await push('two\n');
    expect(await forge.merge(pr, { message: 'Merge', head: first })).toEqual({
      kind: 'head_moved',
      head: second,
    });
    const restarted = await forge.pushIteration({
      branch: 'aifactory/t',
      changes: [{ path: 'src/a.txt', content: 'three\n' }],
      message: 'again',
      author: { name: 'gpt', email: 'gpt@agents.aifactory.invalid' },
      trailers: {},
      restart: true,
    });
    expect(git(root, 'rev-parse', `${restarted}^`)).toBe(git(root, 'rev-parse', 'main'));
  });

  it('runs checks in a separate worktree that is removed afterwards, and keeps the output of a failure', async () => {
    const checked = await createLocalForge({
      root,
      defaultBranch: 'main',
      checks: { command: 'cat src/a.txt; test "$(cat src/a.txt)" = good', timeoutSeconds: 30 },
    });
    await push('bad\n');
    const pr = await checked.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    expect(await checked.readChecks(pr)).toEqual({ state: 'failed', output: 'bad\n' });
    await push('good\n');
    const head = (await checked.findPullRequest('aifactory/t'))!;
    expect((await checked.readChecks(head)).state).toBe('passed');
    expect(git(root, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(await forge.readChecks(head)).toEqual({ state: 'none', output: '' });
  });

  it('stops checks that run past their timeout', async () => {
    const slow = await createLocalForge({
      root,
      defaultBranch: 'main',
      checks: { command: 'sleep 20', timeoutSeconds: 1 },
    });
    await push('x\n');
    const pr = await slow.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const report = await slow.readChecks(pr);
    expect(report.state).toBe('failed');
    expect(report.output).toContain('timed out after 1 s');
  });

  it('finds a symbolic link on the path, in the committed tree and in the checkout', async () => {
    await symlink('/etc', join(root, 'docs'));
    git(root, 'add', 'docs');
    git(root, 'commit', '-q', '-m', 'link');
    expect(await forge.inspectPaths(['docs/passwd'])).toEqual(new Map([['docs', '120000']]));
    expect(await forge.inspectPaths(['src/a.txt'])).toEqual(new Map());
    await mkdir(join(root, 'local'));
    await symlink('/tmp', join(root, 'local/tmp'));
    expect(await forge.inspectPaths(['local/tmp/x'])).toEqual(new Map([['local/tmp', '120000']]));
    // The checkout is not a branch's tree: another ref never sees it.
    await push('x\n');
    expect(await forge.inspectPaths(['local/tmp/x'], 'aifactory/t')).toEqual(new Map());
  });

  it('reports every tree entry in the way, for many paths with one git process, on any ref', async () => {
    await mkdir(join(root, 'src/dir'), { recursive: true });
    await writeFile(join(root, 'src/file.txt'), 'f\n');
    await writeFile(join(root, 'src/dir/inner.txt'), 'i\n');
    await writeFile(join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await symlink('file.txt', join(root, 'src/link'));
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'tree');
    git(root, 'update-index', '--add', '--cacheinfo', `160000,${git(root, 'rev-parse', 'HEAD')},src/sub`);
    git(root, 'commit', '-q', '-m', 'submodule');
    const entries = await forge.inspectPaths([
      'src/file.txt/below',
      'src/dir',
      'src/link',
      'src/sub/x.ts',
      'run.sh',
      'src/new/a.ts',
      'src/*',
    ]);
    expect(entries).toEqual(
      new Map([
        // A folder on the way may be reported or left out (Forge.inspectPaths); this forge reports it.
        ['src', '040000'],
        ['src/file.txt', '100644'],
        ['src/dir', '040000'],
        ['src/link', '120000'],
        ['src/sub', '160000'],
        ['run.sh', '100755'],
      ]),
    );
    expect(await forge.inspectPaths([])).toEqual(new Map());
    expect(await forge.inspectPaths(['src/file.txt'], 'aifactory/none')).toEqual(new Map());
  });

  it('lists the whole tree once when the paths are too many for a command line', async () => {
    const deep = Array.from({ length: 40 }, (_, index) => `src/${`d${index}/`.repeat(60)}x.txt`);
    await push('x\n', 'aifactory/t', 'src/d0');
    expect(await forge.inspectPaths(deep, 'aifactory/t')).toEqual(
      new Map([
        ['src', '040000'],
        ['src/d0', '100644'],
      ]),
    );
  });

  it('names the untracked paths that .gitignore ignores, never a tracked one', async () => {
    await writeFile(join(root, '.gitignore'), 'build/\n*.log\n');
    await mkdir(join(root, 'build'));
    await writeFile(join(root, 'build/kept.txt'), 'tracked anyway\n');
    git(root, 'add', '-f', 'build/kept.txt', '.gitignore');
    git(root, 'commit', '-q', '-m', 'ignores');
    expect(
      await forge.ignoredPaths([
        'build/kept.txt',
        'build/new.txt',
        'src/debug.log',
        'src/a.ts',
        ':(top)x.log',
      ]),
    ).toEqual(['build/new.txt', 'src/debug.log', ':(top)x.log']);
    expect(await forge.ignoredPaths(['src/a.ts'])).toEqual([]);
    expect(await forge.ignoredPaths([])).toEqual([]);
  });

  it('ignores nothing in a bare repository, and says when git cannot answer', async () => {
    const bare = `${root}-bare.git`;
    git(root, 'clone', '-q', '--bare', root, bare);
    try {
      const forgeOfBare = await createLocalForge({ root: bare, defaultBranch: 'main' });
      expect(await forgeOfBare.ignoredPaths(['x.log'])).toEqual([]);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
    await mkdir(join(root, 'local'));
    await symlink('/tmp', join(root, 'local/tmp'));
    await expect(forge.ignoredPaths(['local/tmp/x'])).rejects.toThrow('git check-ignore failed');
  });

  it('commits files straight to main, and nothing when they are unchanged', async () => {
    const input = {
      changes: [{ path: 'shared/status/summary.json', content: '{}\n' }],
      message: 'Snapshot',
      author: gpt,
    };
    const outcome = await forge.commitToDefaultBranch(input);
    expect(outcome).toEqual({ kind: 'committed', commit: git(root, 'rev-parse', 'main') });
    expect(await readFile(join(root, 'shared/status/summary.json'), 'utf8')).toBe('{}\n');
    expect(await forge.commitToDefaultBranch(input)).toEqual({ kind: 'unchanged' });
  });

  it('refuses a folder that is not a git repository, or a default branch without commits', async () => {
    await expect(createLocalForge({ root: '/', defaultBranch: 'main' })).rejects.toThrow(
      'not a git repository',
    );
    await expect(createLocalForge({ root, defaultBranch: 'trunk' })).rejects.toThrow('default_branch');
  });

  it('finishes a move of the checked-out main that a crash cut after the checkout', async () => {
    const { from, to } = await cutMove('merged\n');
    git(root, 'read-tree', '-m', '-u', from, to); // the crash came before update-ref
    const outcome = await forge.commitToDefaultBranch({
      changes: [{ path: 'docs/x.md', content: 'x\n' }],
      message: 'next',
      author: gpt,
    });
    expect(outcome.kind === 'committed' && git(root, 'rev-parse', `${outcome.commit}~1`)).toBe(to);
    expect(git(root, 'status', '--porcelain')).toBe('');
  });

  it('undoes a move that a crash cut before the index was written, keeping the ref', async () => {
    await cutMove('half\n', 'half\n'); // written to the checkout, not yet to the index
    await push('other\n', 'aifactory/next', 'docs/next.md');
    const pr = await forge.openPullRequest({ branch: 'aifactory/next', title: 'N', body: '' });
    await forge.merge(pr, { message: 'Merge next', head: pr.head });
    expect(git(root, 'show', 'main:docs/next.md')).toBe('other');
    expect(git(root, 'status', '--porcelain')).toBe('');
  });

  it.each([
    ['created and not yet written', ''],
    ['written in part', 'half wr'],
  ])('undoes a move that a crash cut inside the checkout of a file, %s', async (_, content) => {
    // Git opens a file, then writes it: a kill in between leaves it empty, or with its start.
    await cutMove('half written\n', content);
    await push('other\n', 'aifactory/next', 'docs/next.md');
    const pr = await forge.openPullRequest({ branch: 'aifactory/next', title: 'N', body: '' });
    await forge.merge(pr, { message: 'Merge next', head: pr.head });
    expect(git(root, 'status', '--porcelain')).toBe('');
    // The half-checked-out branch merges later over its own leftovers' place.
    const pending = await forge.openPullRequest({ branch: 'aifactory/pending', title: 'P', body: '' });
    expect(await forge.merge(pending, { message: 'Merge pending', head: pending.head })).toMatchObject({
      kind: 'merged',
    });
    expect(await readFile(join(root, 'src/a.txt'), 'utf8')).toBe('half written\n');
  });

  it("never takes a person's untracked file for a half-written one, even when a proposal starts with its bytes", async () => {
    // A hostile proposal that guessed the start of a person's file: the move is refused before
    // it begins, so no cut move (and no recovery) ever looks at that file.
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src/a.txt'), 'my');
    await push('my notes, overwritten\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    expect(await forge.merge(pr, { message: 'Merge', head: pr.head })).toMatchObject({ kind: 'waiting' });
    await forge.commitToDefaultBranch({
      changes: [{ path: 'docs/x.md', content: 'x\n' }],
      message: 'x',
      author: gpt,
    });
    expect(await readFile(join(root, 'src/a.txt'), 'utf8')).toBe('my');
  });

  it('leaves a file alone after a cut move when its content is neither side nor the start of one', async () => {
    await cutMove('half written\n', 'my own notes\n');
    await forge.commitToDefaultBranch({
      changes: [{ path: 'docs/x.md', content: 'x\n' }],
      message: 'x',
      author: gpt,
    });
    expect(await readFile(join(root, 'src/a.txt'), 'utf8')).toBe('my own notes\n');
  });

  it.each([
    ['a clone', false],
    ['a linked worktree', true],
  ])(
    'clears every lock a run killed inside its move of the checked-out main left, HEAD.lock too, in %s',
    async (_, linked) => {
      // In a linked worktree, the branch's lock is in the shared git folder, HEAD's in the worktree's.
      let checkout = root;
      if (linked) {
        checkout = `${root}-linked`;
        git(root, 'checkout', '-q', '-b', 'elsewhere');
        git(root, 'worktree', 'add', '-q', checkout, 'main');
        forge = await createLocalForge({ root: checkout, defaultBranch: 'main' });
      }
      const gitPath = (path: string) => resolve(checkout, git(checkout, 'rev-parse', '--git-path', path));
      const [refLock, headLock] = [gitPath('refs/heads/main.lock'), gitPath('HEAD.lock')];
      // A git that takes the locks of a move of main and hangs there, as if killed mid-transaction.
      const bin = `${root}-bin`;
      await mkdir(bin);
      const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
      await writeFile(
        join(bin, 'git'),
        `#!/bin/sh\ncase " $* " in *" update-ref --stdin "*) : > '${refLock}'; : > '${headLock}'; exec sleep 60;; esac\nexec ${realGit} "$@"\n`,
      );
      await chmod(join(bin, 'git'), 0o755);
      const main = git(root, 'rev-parse', 'main');
      const next = git(root, 'commit-tree', '-p', main, '-m', 'next', `${main}^{tree}`);
      const script = `${root}-move.mts`;
      await writeFile(
        script,
        `import { RefUpdates } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'scripts/forge/local/locks.ts')).href)};\n` +
          `await new RefUpdates(process.cwd(), ${JSON.stringify({ gitDir: gitPath('.'), commonDir: resolve(checkout, git(checkout, 'rev-parse', '--git-common-dir')) })}).move('refs/heads/main', '${next}', '${main}');\n`,
      );
      const loader = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
      const killed = spawn(process.execPath, ['--import', loader, script], {
        cwd: checkout,
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` },
      });
      const exited = new Promise((resolve) => killed.on('exit', resolve));
      try {
        for (let waited = 0; ; waited += 20) {
          const held = await access(headLock).then(
            () => true,
            () => false,
          );
          if (held) break;
          if (waited > 30_000) throw new Error('the hanging git never took its locks');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        process.kill(-killed.pid!, 'SIGKILL');
        await exited;
        await rm(bin, { recursive: true, force: true });
        await rm(script, { force: true });
      }
      await push('merged\n');
      const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
      const outcome = await forge.merge(pr, { message: 'Merge t', head: pr.head });
      expect(outcome.kind).toBe('merged');
      expect(git(root, 'show', 'main:src/a.txt')).toBe('merged');
      expect(await readFile(join(checkout, 'src/a.txt'), 'utf8')).toBe('merged\n');
      expect(git(checkout, 'status', '--porcelain')).toBe('');
      if (linked) await rm(checkout, { recursive: true, force: true });
    },
    60_000,
  );

  it('refuses to open where another worktree has the default branch checked out, and names it', async () => {
    // From a linked worktree, while the main one has main checked out.
    const linked = `${root}-linked`;
    git(root, 'worktree', 'add', '-q', '-b', 'side', linked);
    try {
      await expect(createLocalForge({ root: linked, defaultBranch: 'main' })).rejects.toThrow(
        `the default branch "main" is checked out in another worktree, ${root};`,
      );
      // From the main worktree, while a linked one has main checked out.
      git(linked, 'checkout', '-q', '--detach');
      git(root, 'checkout', '-q', 'side');
      git(linked, 'checkout', '-q', 'main');
      await expect(createLocalForge({ root, defaultBranch: 'main' })).rejects.toThrow(
        `checked out in another worktree, ${linked};`,
      );
      // A linked worktree deleted without `git worktree remove` holds no checkout.
      await rm(linked, { recursive: true, force: true });
      await expect(createLocalForge({ root, defaultBranch: 'main' })).resolves.toBeDefined();
    } finally {
      await rm(linked, { recursive: true, force: true });
    }
  });

  it('clears a ref lock left by a killed run, but not one held by a live process', async () => {
    await push('one\n');
    const held = join(root, '.git/aifactory/held');
    const lock = join(root, '.git/refs/heads/aifactory/t.lock');
    await mkdir(held, { recursive: true });
    await writeFile(lock, '');
    await writeFile(join(held, 'live.json'), JSON.stringify({ pid: process.pid, lock }));
    await expect(push('two\n')).rejects.toThrow('update-ref failed');
    await rm(join(held, 'live.json'));
    // A note that names anything but a lock file in the git folder has those names ignored.
    const outside = `${root}-precious.lock`;
    await writeFile(outside, 'keep\n');
    await writeFile(
      join(held, 'forged.json'),
      JSON.stringify({ pid: 2 ** 22 + 12346, locks: [outside, join(root, 'README.md'), '../x.lock'] }),
    );
    await writeFile(join(held, 'dead.json'), JSON.stringify({ pid: 2 ** 22 + 12345, lock }));
    const commit = await push('two\n');
    expect(git(root, 'rev-parse', 'aifactory/t')).toBe(commit);
    expect(await readFile(outside, 'utf8')).toBe('keep\n');
    expect(await readFile(join(root, 'README.md'), 'utf8')).not.toBe('');
    await rm(outside);
  });

  it('refuses a damaged pull request record with an error naming the file, the field and what to do', async () => {
    await push('one\n');
    const pr = await forge.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const file = join(root, '.git/aifactory/pulls', `${pr.number}.json`);
    await writeFile(file, '{"number": 1, "branch"');
    await expect(forge.merge(pr, { message: 'm', head: pr.head })).rejects.toMatchObject({
      errorClass: 'forge',
      message: `${file} is not valid JSON; restore it from a backup, or remove it to forget pull request #${pr.number}`,
    });
    // Valid JSON of the wrong shape: the title is missing.
    const untitled = { number: pr.number, branch: pr.branch, body: '', state: 'open', head: pr.head };
    await writeFile(file, JSON.stringify({ ...untitled, merge_commit: null, reviews: [] }));
    await expect(forge.merge(pr, { message: 'm', head: pr.head })).rejects.toMatchObject({
      errorClass: 'forge',
      message: expect.stringContaining(`${file}: field "title": `),
    });
  });

  it('refuses a checkout marker whose ids are not commit ids, and never hands them to git', async () => {
    await mkdir(join(root, '.git/aifactory'), { recursive: true });
    const marker = join(root, '.git/aifactory/checkout.json');
    await writeFile(marker, JSON.stringify({ from: '--output=/tmp/aifactory-pwned', to: 'HEAD' }));
    await expect(
      forge.commitToDefaultBranch({
        changes: [{ path: 'shared/x.json', content: '{}\n' }],
        message: 'm',
        author: gpt,
      }),
    ).rejects.toMatchObject({
      errorClass: 'forge',
      message: expect.stringContaining(
        `${marker}: field "from": a commit id; a move of main was interrupted`,
      ),
    });
    await expect(access('/tmp/aifactory-pwned')).rejects.toThrow();
    expect(await readFile(marker, 'utf8')).toContain('--output');
  });

  it('runs the checks again when their cached report is damaged', async () => {
    const checked = await createLocalForge({
      root,
      defaultBranch: 'main',
      checks: { command: 'test "$(cat src/a.txt)" = good', timeoutSeconds: 30 },
    });
    const head = await push('good\n');
    const pr = await checked.openPullRequest({ branch: 'aifactory/t', title: 'T', body: '' });
    const cache = join(root, '.git/aifactory/checks', `${head}.json`);
    for (const damaged of ['{"state": "pas', JSON.stringify({ state: 'green', output: '' })]) {
      await mkdir(join(root, '.git/aifactory/checks'), { recursive: true });
      await writeFile(cache, damaged);
      expect(await checked.readChecks(pr)).toEqual({ state: 'passed', output: '' });
      expect(JSON.parse(await readFile(cache, 'utf8'))).toEqual({ state: 'passed', output: '' });
    }
  });
});
