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

describe('the demo', () => {
  it('gives every task it leaves failed, rejected or blocked a cause class', async () => {
    const run = await runCli(['run', '--once', '--replay', '--no-snapshot'], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
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
});
