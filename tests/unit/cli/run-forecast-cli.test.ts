import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../scripts/core/record/run-record.ts';
import { runCli } from '../../fixtures/cli.ts';
import { attempt, costedRecord, record } from '../../fixtures/run-records.ts';
import { createSandboxRepo, git, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
const daysAgo = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString();

/** A merged task coded by `agent` `days` ago. */
const history = (
  id: string,
  agent: string,
  days: number,
  costs: readonly (number | 'request')[],
): RunRecord => costedRecord(id, agent, daysAgo(days), costs);

beforeAll(async () => {
  ({ root } = await createSandboxRepo(
    [
      simpleStory('fresh', { priority: 3 }),
      simpleStory('again', { priority: 2 }),
      simpleStory('other', { priority: 1, assignee: 'grok-fast' }),
    ],
    { config: 'export default { caps: { daily_usd: 1, per_task_usd: 0.6 } };\n' },
  ));
  const records = [
    history('h1', 'gpt', 2, [0.1]),
    history('h2', 'gpt', 3, [0.3, 'request', 0.05]),
    history('h3', 'gpt', 4, [0.15, 0.05]),
    history('h4', 'grok-fast', 5, [0.4]),
    history('old', 'gpt', 40, [5]), // outside the 30 days
    record('again', {
      state: 'changes_requested',
      iteration: 1,
      attempts: [
        attempt({
          n: 1,
          kind: 'code',
          result: 'proposed',
          cost_usd: 0.02,
          started_at: daysAgo(0),
          finished_at: daysAgo(0),
        }),
        attempt({
          n: 2,
          kind: 'review',
          result: 'changes_requested',
          started_at: daysAgo(0),
          finished_at: daysAgo(0),
        }),
      ],
    }),
  ];
  await mkdir(join(root, 'shared/runs'), { recursive: true });
  for (const run of records) {
    await writeFile(join(root, 'shared/runs', `${run.task_id}.json`), JSON.stringify(run));
  }
  const today = new Date().toISOString().slice(0, 10);
  await mkdir(join(root, 'shared/budget'), { recursive: true });
  await writeFile(
    join(root, 'shared/budget', `${today}.json`),
    JSON.stringify({
      version: 1,
      day: today,
      total_usd: 0.5,
      calls: 2,
      by_agent: { gpt: 0.5 },
      by_task: { again: 0.02, h1: 0.48 },
      by_model: { 'openai:gpt-5': 0.5 },
    }),
  );
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'history');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('run --dry-run forecast', () => {
  it('prints the figures a hand computation gives from the records, and what waits for tomorrow', async () => {
    const result = await runCli(['run', '--dry-run'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    // gpt fresh: 0.1, 0.35 (h2: 0.3 + 0.05), 0.2 (h3) → median 0.2, p90 (3rd of 3) 0.35.
    // gpt changes requested: h2 after the request, 0.05. grok-fast fresh: 0.4. `old` is 40 days old.
    // Run order: fresh (gpt, 0.2), again (gpt, changes requested, 0.05), other (grok-fast, 0.4).
    // Daily cap 1 − 0.5 spent = 0.5 left: 0.2 + 0.05 fits, + 0.4 passes it, so `other` waits.
    // Worst case: per task 0.6 + (0.6 − 0.02) + 0.6 = 1.78, bounded by the 0.5 left today.
    const forecast = result.stdout.slice(result.stdout.indexOf('Forecast'));
    expect(forecast).toBe(
      [
        'Forecast for 3 tasks, from the last 30 days of run records:',
        '  gpt (changes_requested): median $0.0500, p90 $0.0500 over 1 task',
        '  gpt (fresh): median $0.2000, p90 $0.3500 over 3 tasks',
        '  grok-fast (fresh): median $0.4000, p90 $0.4000 over 1 task',
        '  this run: median $0.6500, p90 $0.8000',
        '  worst case the caps allow: $0.5000',
        "  the forecast passes the remaining daily cap ($0.5000 left today) or an agent's: left for tomorrow: other",
        'Spending caps: $1.00 a day for all agents, $0.60 per task, no per-agent daily cap.',
        '',
        'Dry run: nothing was called, written or committed.',
        '',
      ].join('\n'),
    );
    expect(git(root, 'status', '--porcelain')).toBe('');
  });

  it('prices only the chosen tasks, with the agent --agent names', async () => {
    const result = await runCli(['run', '--dry-run', '--only', 'other', '--agent', 'gpt'], { cwd: root });
    expect(result.stdout).toContain('Forecast for 1 task');
    expect(result.stdout).toContain('  this run: median $0.2000, p90 $0.3500');
    expect(result.stdout).not.toContain('left for tomorrow');
  });
});

describe('a run whose forecast passes the remaining daily cap', () => {
  it('starts only the tasks that fit, in run order, and says which wait for tomorrow', async () => {
    // The hand computation above: 0.5 left today; fresh (0.2) and again (0.05) fit, other (0.4) does not.
    const result = await runCli(['run', '--once', '--replay', '.replay'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const said = `${result.stdout}\n${result.stderr}`;
    expect(said).toContain(
      "the cost forecast passes today's cap (`run --dry-run` shows it): left for tomorrow: other",
    );
    expect(result.stdout).toContain(
      "Left for tomorrow, as the forecast said (their median cost would pass today's cap): other.",
    );
    // `other` was never started: no record, no branch. `fresh` ran to its merge.
    expect(existsSync(join(root, 'shared/runs/other.json'))).toBe(false);
    expect(git(root, 'branch', '--list', 'aifactory/other')).toBe('');
    const fresh = JSON.parse(await readFile(join(root, 'shared/runs/fresh.json'), 'utf8'));
    expect(fresh.state).toBe('merged');
  });
});
