import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git, type TaskStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
let replayDir: string;

/** A change to a workflow by the agent granted .github/: approved, then held for a person. */
const held = (id: string): TaskStory => ({
  task: { task_id: id, description: `Add a workflow for ${id}`, assignee: 'grok-fast', files: [] },
  iterations: [
    {
      files: [{ path: `.github/workflows/${id}.yml`, content: 'on: workflow_dispatch\n' }],
      verdict: 'approve',
    },
  ],
});

/** No key of any provider: a run without --replay finds none. */
const NO_KEYS = { OPENAI_API_KEY: undefined, XAI_API_KEY: undefined, GEMINI_API_KEY: undefined };

beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo([
    held('keyless'),
    held('approved'),
    held('closed'),
    held('dirty'),
  ]));
  await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot'], { cwd: root });
}, 90_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The person at the keyboard, as git knows them in the sandbox. */
const me = () => `${git(root, 'config', 'user.name')} <${git(root, 'config', 'user.email')}>`;
const recordOf = async (id: string) =>
  RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')));

describe('a task waiting for a person', () => {
  it('keeps its reason through a run without keys', async () => {
    expect((await recordOf('keyless')).state).toBe('needs_human');
    const result = await runCli(['run', '--once', '--no-snapshot', '--only', 'keyless'], {
      cwd: root,
      env: NO_KEYS,
    });
    expect(result.code).toBe(0);
    const record = await recordOf('keyless');
    expect(record.state).toBe('needs_human');
    expect(record.last_error?.class).toBe('control_plane');
    expect(record.last_error?.message).toContain('a person reviews and merges pull request');
    expect(result.stderr).not.toContain('XAI_API_KEY');
    const status = await runCli(['status'], { cwd: root });
    expect(status.stdout).not.toContain('XAI_API_KEY');
  }, 60_000);
});

describe('aifactory approve and close', () => {
  it('approve merges the pull request as the person, and records it as theirs', async () => {
    const result = await runCli(['approve', 'approved'], { cwd: root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('approved: pull request #');
    expect(git(root, 'show', 'main:.github/workflows/approved.yml')).toBe('on: workflow_dispatch');
    expect(git(root, 'log', '-1', '--format=%an <%ae>|%cn', 'main')).toBe(
      `${me()}|${git(root, 'config', 'user.name')}`,
    );
    const record = await recordOf('approved');
    expect(record).toMatchObject({
      state: 'merged',
      last_error: null,
      merge_commit: git(root, 'rev-parse', 'main'),
    });
    expect(record.attempts.at(-1)).toMatchObject({ kind: 'merge', result: 'merged', agent: null });
    expect(record.attempts.at(-1)?.summary).toBe(`merged by ${me()}`);
    // A second approve finds nothing waiting.
    const again = await runCli(['approve', 'approved'], { cwd: root });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('approved: is merged, not waiting for a person');
  }, 60_000);

  it('close closes it unmerged and the task fails, retryable, with its branch kept', async () => {
    const result = await runCli(['close', 'closed'], { cwd: root });
    expect(result.code).toBe(0);
    const record = await recordOf('closed');
    expect(record.state).toBe('failed');
    expect(record.last_error?.message).toContain(`was closed by ${me()} without merging`);
    expect(git(root, 'ls-tree', '--name-only', 'main', '.github/workflows/')).not.toContain('closed.yml');
    expect(git(root, 'rev-parse', '--verify', 'aifactory/closed')).toMatch(/^[0-9a-f]{40}$/);
    // The next run leaves it failed, and says nothing more on its pull request.
    await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot', '--only', 'closed'], {
      cwd: root,
    });
    expect((await recordOf('closed')).state).toBe('failed');
  }, 60_000);

  it("refuses to merge over the person's uncommitted change to the same file, and leaves the task waiting", async () => {
    await mkdir(join(root, '.github/workflows'), { recursive: true });
    await writeFile(join(root, '.github/workflows/dirty.yml'), 'mine\n');
    git(root, 'add', '.github/workflows/dirty.yml');
    const result = await runCli(['approve', 'dirty'], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('uncommitted changes to .github/workflows/dirty.yml');
    expect(result.stderr).toContain('then run `aifactory approve dirty` again');
    expect((await recordOf('dirty')).state).toBe('needs_human');
    git(root, 'rm', '-q', '--cached', '.github/workflows/dirty.yml');
    await rm(join(root, '.github/workflows/dirty.yml'));
  }, 60_000);

  it('names an unknown task, a task id that is none, and sends GitHub users to GitHub', async () => {
    const unknown = await runCli(['close', 'nope'], { cwd: root });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nope: no run record');
    const hostile = await runCli(['approve', '../../etc/passwd'], { cwd: root });
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toContain('is not a task id');
    const github = await runCli(['approve', 'dirty', '--forge', 'github'], { cwd: root });
    expect(github.code).toBe(2);
    expect(github.stderr).toContain('On GitHub, merge the pull request of dirty on GitHub itself');
    const help = await runCli(['close', '--help'], { cwd: root });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('git branch -D aifactory/<task_id>');
  }, 60_000);
});
