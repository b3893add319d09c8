import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
let replayDir: string;

beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo([
    {
      task: { task_id: 'second-try', description: 'write src/ok.txt', assignee: 'gpt', files: [] },
      iterations: [
        { files: [{ path: 'etc/outside.txt', content: 'x' }], verdict: 'approve' },
        { files: [{ path: 'src/ok.txt', content: 'fine\n' }], verdict: 'approve' },
      ],
    },
    simpleStory('done'),
  ]));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const recordOf = async (id: string) =>
  RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')));

describe('aifactory retry', () => {
  it('puts a rejected task back to pending with its history, and the next run takes it on', async () => {
    await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot'], { cwd: root });
    expect((await recordOf('second-try')).state).toBe('rejected');
    const retried = await runCli(['retry', 'second-try'], { cwd: root });
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('second-try: pending again (was rejected; 1 attempt kept;');
    const reopened = await recordOf('second-try');
    expect(reopened).toMatchObject({ state: 'pending', last_error: null, rejection: null, retry_base: 1 });
    expect(reopened.attempts).toHaveLength(1);
    await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot'], { cwd: root });
    const merged = await recordOf('second-try');
    expect(merged.state).toBe('merged');
    expect(
      merged.attempts.map((attempt) => `${attempt.iteration}:${attempt.kind}:${attempt.result}`),
    ).toEqual(['1:code:rejected', '2:code:proposed', '2:review:approved', '2:merge:merged']);
    expect(git(root, 'show', 'main:src/ok.txt')).toBe('fine');
  }, 120_000);

  it('refuses a merged task, a task that never ran and an unknown one, naming each, and exits 1', async () => {
    // A task file that no run has taken on yet.
    const never = { task_id: 'never-ran', description: 'd', assignee: 'gpt', files: [] };
    await writeFile(join(root, 'tasks/never-ran.json'), JSON.stringify(never));
    const result = await runCli(['retry', 'done', 'never-ran', 'nope'], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('done: is merged; only failed, rejected or blocked tasks can be retried');
    expect(result.stderr).toContain('never-ran: no run record');
    expect(result.stderr).toContain('the task has not run, so it is pending already');
    expect(result.stderr).toContain('nope: no such task');
    expect((await recordOf('done')).state).toBe('merged');
  });

  it('says why `run --only` on a finished task does nothing', async () => {
    const result = await runCli(['run', '--once', '--replay', replayDir, '--no-snapshot', '--only', 'done'], {
      cwd: root,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('done: nothing to do, it is merged.');
  });

  it('exits 2 without a task id', async () => {
    expect((await runCli(['retry'], { cwd: root })).code).toBe(2);
  });
});
