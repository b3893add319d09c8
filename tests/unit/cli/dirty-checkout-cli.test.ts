/** A person's uncommitted work in the checkout holds back only the merges it is in the way of. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
let replayDir: string;
beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo([simpleStory('alpha'), simpleStory('beta')]));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const recordOf = async (id: string) =>
  JSON.parse(await readFile(join(root, 'shared/runs', `${id}.json`), 'utf8')) as {
    state: string;
    last_error: { message: string } | null;
  };

describe('run over a checkout with uncommitted changes', () => {
  it('merges the other tasks, keeps the one in the way waiting with that reason, and prints its summary', async () => {
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src/alpha.txt'), 'my own draft\n');
    const result = await runCli(['run', '--once', '--replay', replayDir], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('beta: merged');
    expect(result.stdout).toContain(
      'alpha: waiting: not mergeable yet: the checkout of main has uncommitted changes to src/alpha.txt',
    );
    expect(result.stdout).toContain('Run finished: 2 tasks touched (1 approved, 1 merged)');
    expect(result.stdout).toContain('Still open: alpha.');
    expect(result.stdout).toMatch(/Snapshots: \d+ written/);
    expect(await readFile(join(root, 'src/alpha.txt'), 'utf8')).toBe('my own draft\n');
    const alpha = await recordOf('alpha');
    expect(alpha.state).toBe('approved');
    expect(alpha.last_error?.message).toContain('src/alpha.txt');
    expect(git(root, 'ls-tree', '--name-only', 'main', 'src/')).toBe('src/beta.txt');
  }, 60_000);

  it('merges the waiting task in the next run once the file is out of the way', async () => {
    await rm(join(root, 'src/alpha.txt'));
    const result = await runCli(['run', '--once', '--replay', replayDir], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('alpha: merged');
    expect((await recordOf('alpha')).state).toBe('merged');
    expect(await readFile(join(root, 'src/alpha.txt'), 'utf8')).toBe('alpha v1\n');
  }, 60_000);

  it('still exits 2 when it cannot run at all', async () => {
    await writeFile(join(root, 'aifactory.config.mjs'), 'export default { caps: "none" };\n');
    const result = await runCli(['run', '--once', '--replay', replayDir], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain('Run finished');
    await rm(join(root, 'aifactory.config.mjs'));
  }, 60_000);
});
