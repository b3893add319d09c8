/** GitHub out of reach (a closed port on loopback): said as an outage, visible to the scheduler. */

import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

const TOKEN = 'ghp_unreachable0000000000000000000000000'; // aifactory:allow-secret

/** A loopback port nothing listens on: a connection to it is refused. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let root: string;
let replayDir: string;
beforeAll(async () => {
  ({ root, replayDir } = await createSandboxRepo([simpleStory('alpha'), simpleStory('beta')]));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('run --forge github with GitHub out of reach', () => {
  it('says it is a transient outage at GITHUB_API_URL, exits 2, and puts it in the job summary', async () => {
    const api = `http://127.0.0.1:${await closedPort()}`;
    const summaryFile = join(root, '.aifactory-summary.md');
    const result = await runCli(['run', '--once', '--forge', 'github', '--replay', replayDir], {
      cwd: root,
      env: {
        GITHUB_API_URL: api,
        GITHUB_REPOSITORY: 'owner/demo',
        GITHUB_TOKEN: TOKEN,
        AIFACTORY_GITHUB_THROTTLE: 'off',
        GITHUB_STEP_SUMMARY: summaryFile,
      },
      timeoutMs: 120_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.code, output).toBe(2);
    expect(result.stdout).toContain(`could not reach GitHub at ${api}`);
    expect(result.stdout).toContain('GITHUB_API_URL');
    expect(result.stdout).toContain('Stopped early: GitHub is out of reach, a transient outage');
    expect(result.stdout).toContain('Run finished');
    expect(output).not.toContain('branch protection');
    expect(output).not.toContain(TOKEN);
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toContain('> **Stopped early: GitHub is out of reach, a transient outage');
    expect(summary).toContain('this run exits 2');
    expect(summary).not.toContain(TOKEN);
    // The task waits for the next run: paused, not failed.
    const record = JSON.parse(await readFile(join(root, 'shared/runs/alpha.json'), 'utf8'));
    expect(record.state).not.toBe('failed');
    expect(record.last_error).toMatchObject({ class: 'network' });
  }, 120_000);
});
