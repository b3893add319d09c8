/** A provider out of reach: the run names the endpoint it tried, never the key. */
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../fixtures/cli.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';

const KEY = 'sk-unreachable-test-key-000000000000'; // aifactory:allow-secret

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
beforeAll(async () => {
  ({ root } = await createSandboxRepo([simpleStory('alpha')]));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('run with a provider out of reach', () => {
  it('says which endpoint it could not reach on every retry and in the reason', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const result = await runCli(['run', '--once', '--only', 'alpha', '--no-snapshot'], {
      cwd: root,
      env: {
        OPENAI_API_KEY: KEY,
        OPENAI_BASE_URL: url,
        GEMINI_API_KEY: 'AIza-unused',
        XAI_API_KEY: 'xai-unused',
      },
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`lost the connection to ${url}`);
    expect(result.stdout).toContain(`endpoint ${url} (OPENAI_BASE_URL)`);
    expect(`${result.stdout}${result.stderr}`).not.toContain(KEY);
    const record = await readFile(join(root, 'shared/runs/alpha.json'), 'utf8');
    expect(record).toContain(`endpoint ${url} (OPENAI_BASE_URL)`);
    expect(record).not.toContain(KEY);
  }, 120_000);
});
