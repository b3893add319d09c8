import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordSchema } from '../../../scripts/core/record/run-record.ts';
import { TasksSchema } from '../../../scripts/core/status/snapshot-schema.ts';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
let replayDir: string;

// The checks need a file only a person adds to main, after both tasks failed on them.
const config = `export default { checks: { command: 'test -f fixed.flag', timeout_seconds: 60 } };\n`;

beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo(
    [simpleStory('fresh', { max_iterations: 2 }, 2), simpleStory('kept', { max_iterations: 2 }, 2)],
    { config },
  ));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const recordOf = async (id: string) =>
  RunRecordSchema.parse(JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')));
const run = () => runCli(['run', '--once', '--replay', replayDir], { cwd: root });

describe('retry after a person fixed the default branch', () => {
  it('starts the branch over from main and runs the checks again, unless --keep-branch', async () => {
    await run();
    expect((await recordOf('fresh')).state).toBe('failed');
    expect((await recordOf('kept')).state).toBe('failed');
    const oldHead = git(root, 'rev-parse', 'aifactory/fresh');

    await writeFile(join(root, 'fixed.flag'), 'fixed\n');
    git(root, 'add', 'fixed.flag');
    git(root, 'commit', '-q', '-m', 'fix the checks');
    const fixedMain = git(root, 'rev-parse', 'main');

    const fresh = await runCli(['retry', 'fresh'], { cwd: root });
    expect(fresh.stdout).toContain(
      'fresh: pending again (was failed; 4 attempts kept; its branch starts over',
    );
    const kept = await runCli(['retry', 'kept', '--keep-branch'], { cwd: root });
    expect(kept.stdout).toContain('its branch is kept');
    await run();

    const merged = await recordOf('fresh');
    expect(merged.state).toBe('merged');
    expect(
      merged.attempts.filter((a) => a.kind === 'checks').map((a) => `${a.iteration}:${a.result}`),
    ).toEqual(['1:failed', '2:failed', '3:passed']);
    expect(git(root, 'rev-parse', `${merged.attempts.at(-2)!.commit}^`)).toBe(fixedMain);
    expect(merged.attempts.at(-2)!.commit).not.toBe(oldHead);

    // The kept branch is still on the old base, and the same answer changes nothing there.
    const still = await recordOf('kept');
    expect(still.state).toBe('failed');
    expect(still.attempts.filter((a) => a.kind === 'checks')).toHaveLength(2);
    expect(still.last_error?.message).toContain('the answer changes nothing');
    expect(git(root, 'rev-parse', 'aifactory/kept^')).not.toBe(fixedMain);

    // Counted from the retry: the dashboard reads "2 of at most 2", never "4 of at most 2".
    const rows = TasksSchema.parse(
      JSON.parse(await readFile(join(root, 'shared/status/tasks.json'), 'utf8')),
    );
    expect(rows.tasks.find((row) => row.id === 'kept')?.iteration).toBe(2);
    expect(rows.tasks.find((row) => row.id === 'fresh')?.iteration).toBe(1);
  }, 180_000);

  it('names a task that does not exist instead of calling it pending', async () => {
    const result = await runCli(['retry', 'nope'], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nope: no such task: there is no tasks/nope.json');
    expect(result.stderr).not.toContain('pending already');
  });
});
