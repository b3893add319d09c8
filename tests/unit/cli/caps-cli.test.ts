/** Spending caps: safe defaults in code, `null` written for none, and shown where a person looks. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

let root: string;
beforeAll(async () => {
  ({ root } = await createSandboxRepo([simpleStory('alpha')]));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (text: string) => writeFile(join(root, 'aifactory.config.mjs'), text);

describe('caps', () => {
  it('are $10 a day and $2 a task in a config that names none, shown by agents and run --dry-run', async () => {
    await config('export default { concurrency: 2 };\n');
    const agents = await runCli(['agents'], { cwd: root });
    expect(agents.code, agents.stderr).toBe(0);
    expect(agents.stdout).toContain(
      'Spending caps: $10.00 a day for all agents, $2.00 per task, no per-agent daily cap.',
    );
    expect(agents.stdout).toMatch(/^gpt .* \$2\/task /m);
    const dry = await runCli(['run', '--dry-run'], { cwd: root });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Spending caps: $10.00 a day for all agents, $2.00 per task');
    // One task up to its per-task cap: the worst case is bounded.
    expect(dry.stdout).toContain('worst case the caps allow: $2.0000');
    const status = JSON.parse((await runCli(['agents', '--status', '--json'], { cwd: root })).stdout);
    expect(status.daily_cap_usd).toBe(10);
    expect(status.agents.find((agent: { name: string }) => agent.name === 'gpt')).toMatchObject({
      per_task_cap_usd: 2,
    });
  }, 60_000);

  it('are none only where the config writes null, and every view says "no cap"', async () => {
    await config('export default { caps: { daily_usd: null, per_task_usd: null } };\n');
    const agents = await runCli(['agents'], { cwd: root });
    expect(agents.stdout).toContain(
      'Spending caps: no daily cap (daily_usd: null), no per-task cap (per_task_usd: null), no per-agent daily cap.',
    );
    const dry = await runCli(['run', '--dry-run'], { cwd: root });
    expect(dry.stdout).toContain('worst case the caps allow: unbounded');
    const status = JSON.parse((await runCli(['agents', '--status', '--json'], { cwd: root })).stdout);
    expect(status.daily_cap_usd).toBeNull();
    expect(status.agents.find((agent: { name: string }) => agent.name === 'gpt').per_task_cap_usd).toBeNull();
    expect((await runCli(['agents', '--status'], { cwd: root })).stdout).toMatch(/^gpt .* \$0 \(no cap\) /m);
  }, 60_000);

  it('refuses a cap of zero or a negative one, naming the field', async () => {
    await config('export default { caps: { daily_usd: 0 } };\n');
    const result = await runCli(['agents'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('caps.daily_usd');
    await rm(join(root, 'aifactory.config.mjs'));
  }, 60_000);
});
