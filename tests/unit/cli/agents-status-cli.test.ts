import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStatusFileSchema, type RunFile } from '../../../scripts/core/status/agent-status.ts';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;

beforeAll(async () => {
  ({ root } = await createSandboxRepo([simpleStory('alpha')], {
    config: 'export default { caps: { per_agent_daily_usd: 1, daily_usd: 10 } };\n',
  }));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const observation = (name: string, keyEnv: string, extra: Partial<RunFile['agents'][number]> = {}) => ({
  name,
  key_env: keyEnv,
  key_configured: true,
  requests: 4,
  tokens: { input: 1200, output: 300 },
  working_on: [],
  last_answer: null,
  last_failure: null,
  ...extra,
});

describe('aifactory agents --status', () => {
  it('names each missing key by its variable after a run without keys; the tasks wait', async () => {
    const env = { OPENAI_API_KEY: undefined, GEMINI_API_KEY: undefined, XAI_API_KEY: undefined };
    const run = await runCli(['run', '--once'], { cwd: root, env });
    expect(run.code, run.stderr).toBe(0);
    const status = await runCli(['agents', '--status'], { cwd: root, env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/gpt\s+OPENAI_API_KEY \(missing\)\s+no key: set OPENAI_API_KEY/);
    expect(status.stdout).toContain('Last run: local, started');
    const table = await runCli(['status'], { cwd: root });
    expect(table.stdout).toMatch(/^TASK\s+STATE\s+ASSIGNEE\s+REVIEWER\s+ITER\s+PR\s+COST\s+NOTE/);
    expect(table.stdout).toMatch(/alpha\s+pending\s+gpt\s+gemini-pro\s+0\s+—\s+\$0\s/);
    expect(table.stdout).toContain('\n1 task: 1 pending');
  });

  it('shows a local agent without LOCAL_API_KEY as needing no key, never as a missing key', async () => {
    const { root: local } = await createSandboxRepo([simpleStory('beta', { assignee: 'qwen' })], {
      config: `export default {
  agents: [
    { name: 'qwen', role: 'coder', provider: 'local', model: 'qwen2.5-coder' },
    { name: 'llama', role: 'reviewer', provider: 'local', model: 'llama3.1' },
  ],
};\n`,
    });
    const env = { LOCAL_API_KEY: undefined, LOCAL_BASE_URL: 'http://127.0.0.1:9/v1' };
    await runCli(['run', '--once', '--no-snapshot'], { cwd: local, env });
    const status = await runCli(['agents', '--status'], { cwd: local, env });
    await rm(local, { recursive: true, force: true });
    expect(status.stdout).toMatch(/qwen\s+no key needed\s/);
    expect(status.stdout).not.toMatch(/qwen.*(missing|no key: set)/);
  });

  it('shows working, rate-limited and budget-paused agents, the fallback that answered, and spend against caps', async () => {
    const file: RunFile = {
      version: 1,
      trigger: 'schedule',
      replay: false,
      started_at: '2026-12-02T10:00:00.000Z',
      finished_at: null,
      last_scheduled_at: '2026-12-02T10:00:00.000Z',
      agents: [
        observation('gpt', 'OPENAI_API_KEY', {
          working_on: ['alpha'],
          last_answer: {
            provider: 'openai',
            model: 'gpt-4.1-mini',
            fallback: true,
            at: '2026-12-02T10:01:00.000Z',
          },
        }),
        observation('grok-fast', 'XAI_API_KEY', {
          last_failure: {
            class: 'rate_limit',
            message: 'rate-limited',
            at: '2026-12-02T10:02:00.000Z',
            until: '2026-12-02T10:03:00.000Z',
          },
        }),
        observation('gemini-pro', 'GEMINI_API_KEY'),
      ],
    };
    await writeFile(join(root, 'shared/status/run.json'), JSON.stringify(file));
    await mkdir(join(root, 'shared/budget'), { recursive: true });
    await writeFile(
      join(root, 'shared/budget/2026-12-02.json'),
      JSON.stringify({
        version: 1,
        day: '2026-12-02',
        total_usd: 1.25,
        calls: 3,
        by_agent: { 'gemini-pro': 1.2, gpt: 0.05 },
        by_task: { alpha: 1.25 },
        by_model: { 'gemini:gemini-2.5-pro': 1.2, 'openai:gpt-5-mini': 0.05 },
      }),
    );
    const table = await runCli(['agents', '--status'], { cwd: root });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /gpt\s+OPENAI_API_KEY \(set\)\s+working on alpha\s+\$0\.05 of \$1\.00\s+4 req, 1,500 tok\s+openai:gpt-4\.1-mini/,
    );
    expect(table.stdout).toMatch(
      /grok-fast\s+XAI_API_KEY \(set\)\s+rate-limited until 2026-12-02 10:03 UTC\s+\$0 of \$1\.00/,
    );
    expect(table.stdout).toMatch(
      /gemini-pro\s+.*paused by budget until 2026-12-03 00:00 UTC\s+\$1\.20 of \$1\.00/,
    );
    expect(table.stdout).toContain('Last run: schedule, started 2026-12-02 10:00 UTC, still under way.');
    expect(table.stdout).toContain('Spent on 2026-12-02 (UTC) by all agents: $1.25 of $10.00.');
    const json = await runCli(['agents', '--status', '--json'], { cwd: root });
    const parsed = AgentStatusFileSchema.parse(JSON.parse(json.stdout));
    expect(parsed.agents.map((agent) => [agent.name, agent.state])).toEqual([
      ['gemini-pro', 'budget_paused'],
      ['gpt', 'working'],
      ['grok-fast', 'rate_limited'],
    ]);
  });

  it('warns about a damaged run file, naming it, and shows every agent idle', async () => {
    await writeFile(join(root, 'shared/status/run.json'), '{"version": 1');
    const result = await runCli(['agents', '--status'], { cwd: root });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning: shared/status/run.json is not valid JSON');
    expect(result.stdout).toMatch(/gpt\s+OPENAI_API_KEY\s+idle/);
    expect(result.stdout).toContain('No run has been recorded yet.');
  });
});
