import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git } from '../../fixtures/sandbox-repo.ts';

let root: string;

beforeAll(async () => {
  ({ root } = await createSandboxRepo([]));
  // The demo as `npm start` runs it: this repository's tasks and recorded answers.
  await cp(join(REPO_ROOT, 'tasks'), join(root, 'tasks'), { recursive: true });
  await cp(join(REPO_ROOT, 'examples/replay'), join(root, 'examples/replay'), { recursive: true });
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'demo');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let run: Awaited<ReturnType<typeof runCli>>;

describe('the demo', () => {
  beforeAll(async () => {
    run = await runCli(['run', '--once', '--replay', '--no-snapshot'], { cwd: root });
  });

  it('ends as it always has: 7 merged, 1 waiting for a person, 1 rejected', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Run finished: 9 tasks touched (7 merged, 1 needs_human, 1 rejected).');
  });

  it('gives every task it leaves failed, rejected or blocked a cause class', async () => {
    const { tasks } = JSON.parse((await runCli(['status', '--json'], { cwd: root })).stdout);
    const ended = tasks.filter((row: { state: string }) =>
      ['failed', 'rejected', 'blocked'].includes(row.state),
    );
    expect(ended.length).toBeGreaterThan(0);
    for (const row of ended) expect(row.cause, row.task_id).toBeDefined();
    // The demo's one rejected task wrote outside its declared files.
    expect(ended.map((row: { task_id: string; cause: string }) => `${row.task_id}:${row.cause}`)).toEqual([
      'demo-duration:protocol',
    ]);
  });

  it('does one task through tools, and shows the session in the run and in `show`', async () => {
    expect(run.stdout).toContain(
      'demo-changelog: 5 tool calls in 4 turns (search, read_file, write_file, edit_file, finish); `aifactory show demo-changelog` prints them',
    );
    const show = await runCli(['show', 'demo-changelog'], { cwd: root });
    expect(show.stdout).toContain('state: merged');
    expect(show.stdout).toMatch(
      /turn 1: 1,450 tokens in, 38 out\n\s+search \{"pattern":"export ","path":"src\/demo"\} → \d+ bytes/,
    );
    expect(show.stdout).toMatch(/edit_file \{"path":"docs\/demo\/getting-started.md",.*\} → \d+ bytes/);
    expect(show.stdout).toContain('the agent called finish (4 turns, 5 tool calls)');
    // The merge is the session's edits: a new changelog and one line in the guide.
    expect(git(root, 'diff', '--numstat', 'main~1', 'main')).toBe(
      '14\t0\tdocs/demo/CHANGELOG.md\n1\t0\tdocs/demo/getting-started.md',
    );
  });
});
