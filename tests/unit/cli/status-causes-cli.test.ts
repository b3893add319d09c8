import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { attempt, record } from '../../fixtures/run-records.ts';
import { createSandboxRepo } from '../../fixtures/sandbox-repo.ts';

let root: string;

beforeAll(async () => {
  ({ root } = await createSandboxRepo([]));
  const records = [
    record('late', {
      state: 'failed',
      updated_at: '2026-12-01T10:00:00Z',
      last_error: { class: 'checks', message: 'not approved with green checks after 3 iterations' },
      attempts: [
        attempt({ kind: 'code', result: 'proposed', agent: 'gpt', model: 'gpt-5' }),
        attempt({ kind: 'checks', result: 'failed', output: 'FAIL tests/late.test.ts' }),
      ],
    }),
    record(
      'wild',
      {
        state: 'rejected',
        updated_at: '2026-12-06T10:00:00Z',
        rejection: { rule: 'github_permission', path: '.github/x.yml', message: 'may not write there' },
        attempts: [attempt({ kind: 'code', result: 'rejected', agent: 'grok-fast', model: 'grok-4' })],
      },
      'grok-fast',
    ),
    record('next', {
      state: 'blocked',
      updated_at: '2026-11-24T10:00:00Z',
      last_error: { class: 'dependency', message: 'dependency "late" ended failed' },
    }),
  ];
  await mkdir(join(root, 'shared/runs'), { recursive: true });
  for (const run of records) {
    await writeFile(join(root, 'shared/runs', `${run.task_id}.json`), JSON.stringify(run));
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('status and its causes', () => {
  it('names the cause of each ended task in the table and in JSON', async () => {
    const table = await runCli(['status'], { cwd: root });
    expect(table.stdout).toMatch(/late\s+failed\s.*checks: FAIL tests\/late\.test\.ts/);
    expect(table.stdout).toMatch(/wild\s+rejected\s.*protocol: github_permission \(\.github\/x\.yml\)/);
    const json = JSON.parse((await runCli(['status', '--json'], { cwd: root })).stdout);
    expect(json.tasks.map((row: { cause?: string }) => row.cause)).toEqual([
      'checks',
      'dependency',
      'protocol',
    ]);
  });

  it('counts causes per agent and per model with --causes', async () => {
    const result = await runCli(['status', '--causes'], { cwd: root });
    expect(result.stdout).toMatch(/AGENT\s+PROTOCOL\s+CHECKS\s+DEPENDENCY/);
    expect(result.stdout).toMatch(/gpt\s+0\s+1\s+1/);
    expect(result.stdout).toMatch(/grok-fast\s+1\s+0\s+0/);
    expect(result.stdout).toMatch(/MODEL\s+PROTOCOL\s+CHECKS\s+DEPENDENCY/);
    expect(result.stdout).toMatch(/\(no model\)\s+0\s+0\s+1/);
    const json = JSON.parse((await runCli(['status', '--causes', '--json'], { cwd: root })).stdout);
    expect(json.models).toContainEqual({ name: 'openai:grok-4', counts: { protocol: 1 } });
  });

  it('counts causes per week, agent and model, newest week first, as the Models page does', async () => {
    const result = await runCli(['status', '--causes'], { cwd: root });
    expect(result.stdout).toContain('By week (the Monday that starts it), the last 8 weeks with any:');
    expect(result.stdout).toMatch(/WEEK\s+AGENT\s+MODEL\s+PROTOCOL\s+CHECKS\s+DEPENDENCY/);
    expect(result.stdout).toMatch(/2026-11-30\s+gpt\s+openai:gpt-5\s+0\s+1\s+0/);
    expect(result.stdout).toMatch(/2026-11-23\s+gpt\s+\(no model\)\s+0\s+0\s+1/);
    const one = await runCli(['status', '--causes', '--weeks', '1'], { cwd: root });
    expect(one.stdout).toContain('the last 1 week with any');
    expect(one.stdout).not.toContain('2026-11-23');
    const json = JSON.parse((await runCli(['status', '--causes', '--json'], { cwd: root })).stdout);
    expect(json.weeks.map((row: { week: string }) => row.week)).toEqual([
      '2026-11-30',
      '2026-11-30',
      '2026-11-23',
    ]);
    const bad = await runCli(['status', '--causes', '--weeks', '0'], { cwd: root });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a whole number');
  });

  it('says so when no task ended badly', async () => {
    const { root: clean } = await createSandboxRepo([]);
    const result = await runCli(['status', '--causes'], { cwd: clean });
    await rm(clean, { recursive: true, force: true });
    expect(result.stdout).toContain('No task ended failed, rejected or blocked.');
  });
});
