import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
let replayDir: string;
const stories = [
  simpleStory('alpha', {}, 2),
  simpleStory('beta', { depends_on: ['alpha'], assignee: 'grok-fast' }),
];

beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo(stories));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('aifactory run, status and snapshot', () => {
  it('names each missing key and the agent that needs it before any task starts; those tasks wait', async () => {
    const result = await runCli(['run', '--once', '--no-snapshot'], {
      cwd: root,
      env: { OPENAI_API_KEY: 'sk-test-0000', XAI_API_KEY: undefined, GEMINI_API_KEY: undefined },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('agent "gemini-pro" (provider gemini) needs GEMINI_API_KEY');
    expect(result.stderr).toContain('its tasks wait: alpha');
    expect(result.stdout).toContain('Still open: alpha, beta.');
    const record = JSON.parse(await readFile(join(root, 'shared/runs/alpha.json'), 'utf8'));
    expect(record).toMatchObject({ state: 'pending', attempts: [], last_error: { class: 'auth' } });
    await rm(join(root, 'shared'), { recursive: true, force: true });
  });

  it('rejects a forge it does not have as bad usage', async () => {
    const result = await runCli(['run', '--once', '--forge', 'gitlab'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Allowed choices are local');
  });

  it('shows the plan on --dry-run and changes nothing', async () => {
    const result = await runCli(['run', '--once', '--dry-run'], { cwd: root });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/alpha\s+pending\s+run\s+gpt → review by gemini-pro/);
    expect(result.stdout).toMatch(/beta\s+pending\s+wait: waiting for alpha to merge/);
    expect(git(root, 'status', '--porcelain')).toBe('');
  });

  it('runs every task to a stable state, writes records and snapshots, and a second run changes nothing', async () => {
    const first = await runCli(['run', '--once', '--replay', replayDir], { cwd: root, env: { CI: 'true' } });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('alpha: merged');
    expect(first.stdout).toContain('Run finished: 2 tasks touched (2 merged)');
    expect(first.stdout).toMatch(/Snapshots: \d+ written/);
    const summary = JSON.parse(await readFile(join(root, 'shared/status/summary.json'), 'utf8'));
    expect(summary.by_state.merged).toBe(2);
    const second = await runCli(['run', '--once', '--replay', replayDir], { cwd: root });
    expect(second.stdout).toContain('Run finished: 0 tasks touched');
    expect(second.stdout).toMatch(/Snapshots: 0 written, \d+ unchanged/);
  });

  it('prints the task table, and the same rows as JSON', async () => {
    const table = await runCli(['status'], { cwd: root });
    expect(table.stdout).toMatch(/alpha\s+merged\s+gpt\s+gemini-pro\s+2\s+#1/);
    const json = JSON.parse((await runCli(['status', '--json'], { cwd: root })).stdout);
    expect(
      json.tasks.map((row: { task_id: string; state: string }) => `${row.task_id}:${row.state}`),
    ).toEqual(['alpha:merged', 'beta:merged']);
  });

  it('writes snapshots on demand, the same bytes when nothing changed', async () => {
    const result = await runCli(['snapshot', '--json'], { cwd: root });
    expect(JSON.parse(result.stdout).written).toEqual([]);
  });

  it('groups progress per task under GitHub Actions', async () => {
    const { root: other, replayDir: cassettes } = await createSandboxRepo([simpleStory('solo')]);
    const result = await runCli(['run', '--once', '--replay', cassettes, '--no-snapshot'], {
      cwd: other,
      env: { CI: 'true', GITHUB_ACTIONS: 'true' },
    });
    expect(result.stdout).toMatch(/::group::solo: merged \(PR #1\)\n[\s\S]*::endgroup::/);
    await rm(other, { recursive: true, force: true });
  });
});

describe('aifactory watch', () => {
  it('runs on an interval and stops cleanly on SIGTERM, exit 0', async () => {
    const { root: other, replayDir: cassettes } = await createSandboxRepo([simpleStory('solo')]);
    const loader = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        loader,
        join(REPO_ROOT, 'scripts/cli.ts'),
        'watch',
        '--interval',
        '5',
        '--replay',
        cassettes,
      ],
      { cwd: other, env: { ...process.env, CI: 'true', GITHUB_ACTIONS: undefined } },
    );
    let output = '';
    let signalled = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!signalled && output.includes('tasks touched')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output).toBe(0);
    expect(output).toContain('— run 1');
    expect(output).toContain('SIGTERM: stopping after the current step');
    expect(output).toContain('watch stopped.');
    await rm(other, { recursive: true, force: true });
  });
});
