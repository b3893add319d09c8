import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory, type TaskStory } from '../../fixtures/sandbox-repo.ts';

/** `run` under GitHub Actions: the job summary, and the dispatch inputs --max-tasks and --agent. */

const HOSTILE_PATH = 'docs/<img/src=x/onerror=alert(1)>|[click](https://evil.example).md';
const STORIES: TaskStory[] = [
  simpleStory('alpha'),
  simpleStory('beta', { depends_on: ['omega'] }),
  {
    ...simpleStory('omega'),
    iterations: [{ files: [{ path: HOSTILE_PATH, content: 'x\n' }], verdict: 'approve' }],
  },
  simpleStory('zeta'),
];

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('run under GitHub Actions', () => {
  it('appends a job summary: processed, merged, failed and waiting with reasons, tokens and cost against the caps, all escaped', async () => {
    const sandbox = await createSandboxRepo(STORIES, {
      config: 'export default { caps: { daily_usd: 7, per_task_usd: null } };\n',
    });
    root = sandbox.root;
    const summaryFile = join(root, '.aifactory-summary.md');
    const result = await runCli(
      ['run', '--once', '--replay', sandbox.replayDir, '--only', 'alpha', 'omega', 'beta'],
      {
        cwd: root,
        env: { GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_STEP_SUMMARY: summaryFile },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const markdown = await readFile(summaryFile, 'utf8');
    expect(markdown).toContain('### aifactory run\n');
    expect(markdown).toContain('| Tasks processed | 3 |');
    expect(markdown).toContain('| Merged | 1 |');
    expect(markdown).toContain('| Failed, rejected or blocked | 2 |');
    expect(markdown).toMatch(/\| Tokens \(input \/ output\) \| [1-9][\d,]* \/ [1-9][\d,]* \|/);
    expect(markdown).toMatch(/\| Spent today \(UTC\) \| \$0\.\d{4} of \$7\.0000 \|/);
    expect(markdown).toMatch(/\| omega \| rejected \| protocol: .+ \|/);
    expect(markdown).toMatch(/\| beta \| blocked \| dependency: .*omega.* \|/);
    // The forecast the run printed before it started: no history yet, so $0, and the cap's worst case.
    expect(result.stdout).toContain('Forecast for 2 tasks, from the last 30 days of run records:');
    expect(markdown).toContain('**Forecast before the run**');
    expect(markdown).toContain('- worst case the caps allow: \\$7.0000\n');
    // The model chose the path: it shows as text, never as HTML, a link or an extra cell.
    expect(markdown).toContain('&lt;img/src=x/onerror=alert\\(1\\)&gt;\\|\\[click\\]');
    expect(markdown).not.toContain('<img');
    expect(markdown).not.toContain('](');
    const omega = markdown.split('\n').find((line) => line.startsWith('| omega |'))!;
    expect(omega.replaceAll('\\|', '').split('|')).toHaveLength(5);
    // A second run appends its own table.
    await runCli(['run', '--once', '--replay', sandbox.replayDir, '--only', 'alpha'], {
      cwd: root,
      env: { GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_STEP_SUMMARY: summaryFile },
    });
    expect((await readFile(summaryFile, 'utf8')).split('### aifactory run\n')).toHaveLength(3);
  }, 120_000);

  it('starts at most --max-tasks tasks, and --agent hands the chosen tasks to another agent', async () => {
    const sandbox = await createSandboxRepo([simpleStory('alpha'), simpleStory('zeta')]);
    root = sandbox.root;
    const limited = await runCli(
      ['run', '--once', '--replay', sandbox.replayDir, '--max-tasks', '1', '--agent', 'grok-fast'],
      {
        cwd: root,
        env: { CI: 'true' },
      },
    );
    expect(limited.code, limited.stderr).toBe(0);
    expect(limited.stdout).toContain('Run finished: 1 task touched (1 merged)');
    expect(limited.stdout).toContain('Still open: zeta.');
    const alpha = JSON.parse(await readFile(join(root, 'shared/runs/alpha.json'), 'utf8'));
    expect(alpha.attempts.find((attempt: { kind: string }) => attempt.kind === 'code').agent).toBe(
      'grok-fast',
    );
  }, 120_000);

  it('shows each task in the dry run of exactly one shard', async () => {
    const sandbox = await createSandboxRepo(STORIES);
    root = sandbox.root;
    const listed: string[] = [];
    for (const shard of ['1/3', '2/3', '3/3']) {
      const result = await runCli(['run', '--dry-run', '--shard', shard], { cwd: root });
      expect(result.code, result.stderr).toBe(0);
      listed.push(
        ...result.stdout
          .split('\n')
          .filter((line) => /^\w+\s+pending/.test(line))
          .map((line) => line.split(/\s+/)[0]!),
      );
    }
    expect(listed.sort()).toEqual(['alpha', 'beta', 'omega', 'zeta']);
  }, 120_000);

  it('refuses a malformed --shard, --max-tasks or an unknown --agent as bad usage', async () => {
    const sandbox = await createSandboxRepo([simpleStory('alpha')]);
    root = sandbox.root;
    for (const [args, message] of [
      [['--shard', '3/2'], 'shard 3 is not between 1 and 2'],
      [['--shard', 'two'], 'is not a shard'],
      [['--max-tasks', '0'], 'expected a whole number'],
      [['--agent', 'nobody'], 'nobody'],
    ] as const) {
      const result = await runCli(['run', '--once', '--no-snapshot', ...args], { cwd: root });
      expect(result.code, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(message);
    }
  }, 120_000);
});
