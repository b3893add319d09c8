// The CLI from any folder of a repository, on an old Node, and under a supervisor's signals.
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../scripts/io/repo-root.ts';
import { CLI_BIN, REPO_ROOT, runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

const OLD_NODE = join(REPO_ROOT, 'tests/fixtures/old-node.mjs');

let root: string;
let replayDir: string;
let deep: string;
beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo([simpleStory('alpha')]));
  deep = join(root, 'src', 'nested', 'deeper');
  await mkdir(deep, { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the repository root', () => {
  it('is the nearest folder upward that holds .git, as git finds it', () => {
    expect(findRepoRoot(deep)).toBe(root);
    expect(findRepoRoot(root)).toBe(root);
  });

  it('is none outside any repository', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'aifactory-norepo-'));
    expect(findRepoRoot(bare)).toBeUndefined();
    await rm(bare, { recursive: true });
  });
});

describe('every command from a subfolder', () => {
  it('validates the tasks of the root, and a path typed relative to the subfolder', async () => {
    const all = await runCli(['validate'], { cwd: deep });
    expect(all.stdout).toContain('✓ 1 task file valid');
    expect(all.code).toBe(0);
    const one = await runCli(['validate', '../../../tasks/alpha.json'], { cwd: deep });
    expect(one.stdout).toContain('✓ 1 task file valid');
  });

  it('writes a new task into the root tasks/, not into the subfolder', async () => {
    const made = await runCli(['new', 'beta', '--assignee', 'gpt', '--description', 'Write src/b.md'], {
      cwd: deep,
    });
    expect(made.stderr).toBe('');
    expect(await readFile(join(root, 'tasks/beta.json'), 'utf8')).toContain('"task_id": "beta"');
    await rm(join(root, 'tasks/beta.json'));
  });

  it('runs, snapshots and shows status for the root', async () => {
    const ran = await runCli(
      ['run', '--once', '--forge', 'local', '--replay', replayDir, '--only', 'alpha'],
      {
        cwd: deep,
      },
    );
    expect(ran.code).toBe(0);
    const status = await runCli(['status', '--json'], { cwd: deep });
    const tasks = JSON.parse(status.stdout) as { tasks: { task_id: string; state: string }[] };
    expect(tasks.tasks.find((task) => task.task_id === 'alpha')?.state).toBe('merged');
    expect(JSON.parse(await readFile(join(root, 'shared/status/summary.json'), 'utf8'))).toBeTruthy();
  });
});

function node(args: readonly string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, FORCE_COLOR: '0' } },
      (error, _out, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

describe('the bin on an old Node', () => {
  it('says in one line which Node it needs and how to get it, with no npm script a user lacks', async () => {
    // The bin as a package installs it: no pinned Node beside it.
    const installed = await mkdtemp(join(tmpdir(), 'aifactory-bin-'));
    await mkdir(join(installed, 'bin'));
    await copyFile(CLI_BIN, join(installed, 'bin', 'aifactory.mjs'));
    const result = await node(
      ['--import', OLD_NODE, join(installed, 'bin', 'aifactory.mjs'), 'status'],
      root,
    );
    await rm(installed, { recursive: true });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^aifactory needs Node\.js 22 or newer and this is v20\.20\.2: install Node\.js 24/,
      ),
    ]);
    expect(result.stderr).not.toContain('npm run');
  });
});

/** The pids of `pid`'s children, from /proc (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.platform === 'linux')('the bin that runs the CLI in a child process', () => {
  it('passes SIGTERM on to `watch` and waits for it: no process outlives it', async () => {
    // On an old Node the bin hands over to the pinned Node 24 in a child process.
    const wrapper = spawn(process.execPath, ['--import', OLD_NODE, CLI_BIN, 'watch', '--interval', '5'], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', OPENAI_API_KEY: undefined, GEMINI_API_KEY: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    wrapper.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => wrapper.on('exit', (code) => resolve(code)));
    for (let tries = 0; tries < 200 && !output.includes('touched'); tries += 1) await sleep(100);
    const [worker] = await childrenOf(wrapper.pid!);
    expect(worker).toBeGreaterThan(0);
    try {
      wrapper.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (let tries = 0; tries < 50 && alive(worker!); tries += 1) await sleep(100);
      expect(alive(worker!)).toBe(false);
      expect(output).toContain('watch stopped.');
    } finally {
      // A worker left behind by a broken bin is not left running on the machine.
      if (worker && alive(worker)) process.kill(worker, 'SIGKILL');
    }
  }, 60_000);
});
