import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BudgetLedger } from '../../../scripts/agents/budget/ledger.ts';
import { invokeAgent } from '../../../scripts/agents/invoke.ts';
import { BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import { ConfigSchema } from '../../../scripts/core/config.ts';
import { toErrorInfo } from '../../../scripts/core/errors.ts';
import { createProvider } from '../../../scripts/providers/index.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';

/**
 * Key-shaped canaries, put together at run time so that no key-shaped string is ever literal in the
 * source (`aifactory security-scan` checks every tracked file for them).
 */
const canary = (prefix: string, body: string): string => `${prefix}${body}`;
const CANARIES = {
  OPENAI_API_KEY: canary('sk-', 'LEAKCANARYopenai0123456789abcdefABCDEF'),
  XAI_API_KEY: canary('xai-', 'LEAKCANARYxai0123456789abcdefABCDEF'),
  GEMINI_API_KEY: canary('AIza', 'LEAKCANARYgemini0123456789abcdefABC'),
};
const secrets = Object.values(CANARIES);

let fixture: LlmFixture;
let root: string;
beforeAll(async () => {
  fixture = await startLlmFixture();
  root = await mkdtemp(join(tmpdir(), 'aifactory-leak-'));
});
afterAll(async () => {
  await fixture.close();
  await rm(root, { recursive: true, force: true });
});

describe('a planted key', () => {
  it('appears in no error, no log line and no ledger file, even when the server echoes it', async () => {
    const logged: string[] = [];
    const capture = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    const spies = (['log', 'error', 'warn', 'info', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(capture),
    );
    const env = {
      ...CANARIES,
      OPENAI_BASE_URL: fixture.openaiUrl,
      XAI_BASE_URL: fixture.openaiUrl,
      GEMINI_BASE_URL: fixture.geminiUrl,
    };
    const ledger = await BudgetLedger.open(root, { config: ConfigSchema.parse({}) });
    const thrown: unknown[] = [];
    for (const agent of BUILTIN_AGENTS) {
      const key =
        agent.provider === 'gemini'
          ? CANARIES.GEMINI_API_KEY
          : agent.provider === 'xai'
            ? CANARIES.XAI_API_KEY
            : CANARIES.OPENAI_API_KEY;
      for (const behaviour of [
        { kind: 'status' as const, status: 401, message: `Incorrect API key provided: ${key}` },
        { kind: 'status' as const, status: 500, message: `internal error for key ${key}` },
        { kind: 'malformed' as const },
        { kind: 'reset' as const },
      ]) {
        fixture.fallback = () => behaviour;
        await invokeAgent(
          { ...agent, fallbacks: [] },
          {
            system: 'x',
            messages: [{ role: 'user', content: 'y' }],
            context: { taskId: 'leak', agent: agent.name, role: 'coder', iteration: 1 },
          },
          {
            providerFor: (ref) =>
              createProvider(ref.provider, {
                env,
                retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
                timeoutMs: 2000,
              }),
            ledger,
          },
        ).catch((error: unknown) => thrown.push(error));
      }
      fixture.fallback = () => ({ kind: 'answer', text: `echo ${key}` });
      await invokeAgent(
        { ...agent, fallbacks: [] },
        {
          system: 'x',
          messages: [{ role: 'user', content: 'y' }],
          context: { taskId: 'leak', agent: agent.name, role: 'coder', iteration: 1 },
        },
        { providerFor: (ref) => createProvider(ref.provider, { env }), ledger },
      );
    }
    for (const spy of spies) spy.mockRestore();
    expect(thrown).toHaveLength(12);
    const ledgerFiles = await readdir(join(root, 'shared/budget'));
    const ledgerText = (
      await Promise.all(ledgerFiles.map((name) => readFile(join(root, 'shared/budget', name), 'utf8')))
    ).join('');
    const surfaces = [
      ...thrown.map((error) => String(error)),
      ...thrown.map((error) => (error as Error).message),
      ...thrown.map((error) => JSON.stringify(toErrorInfo(error))),
      ...thrown.map((error) => (error as Error).stack ?? ''),
      ...logged,
      ledgerText,
    ];
    for (const surface of surfaces) {
      for (const secret of secrets) expect(surface).not.toContain(secret);
      expect(surface).not.toContain('LEAKCANARY');
    }
    // The key did travel, in the header, to the server that needed it.
    const sent = fixture.requests.map(
      (request) => `${request.headers.authorization}${request.headers['x-goog-api-key']}`,
    );
    expect(sent.join('')).toContain(CANARIES.OPENAI_API_KEY);
    expect(sent.join('')).toContain(CANARIES.GEMINI_API_KEY);
  });
});

describe('a planted key in a whole run', () => {
  it('appears in no run record, snapshot, commit or log of the repository', async () => {
    const { createSandboxRepo, simpleStory } = await import('../../fixtures/sandbox-repo.ts');
    const { runFactory } = await import('../../../scripts/engine/run/factory.ts');
    const { writeSnapshots } = await import('../../../scripts/engine/report/snapshot-writer.ts');
    const { spawnSync } = await import('node:child_process');
    const { root: repo } = await createSandboxRepo([
      simpleStory('leaky-gpt'),
      simpleStory('leaky-grok', { assignee: 'grok-fast' }),
      simpleStory('leaky-gemini', { assignee: 'gemini-pro' }),
    ]);
    fixture.fallback = (request) => {
      const key = String(request.headers.authorization ?? request.headers['x-goog-api-key'] ?? '');
      return {
        kind: 'status',
        status: 401,
        message: `Incorrect API key provided: ${key.replace('Bearer ', '')}`,
      };
    };
    const env = {
      ...CANARIES,
      OPENAI_BASE_URL: fixture.openaiUrl,
      XAI_BASE_URL: fixture.openaiUrl,
      GEMINI_BASE_URL: fixture.geminiUrl,
    };
    const lines: string[] = [];
    const summary = await runFactory(
      repo,
      { forge: 'local', env },
      {
        step: (id, message) => lines.push(`${id} ${message}`),
        done: (record) => lines.push(JSON.stringify(record)),
      },
    );
    await writeSnapshots(repo);
    // A refused key pauses the tasks (they go on once the key is fixed) and says why.
    const reasons = [...summary.records.values()].map((record) => record.last_error?.class);
    expect(reasons).toEqual(['auth', 'auth', 'auth']);
    // grep exits 1 when it finds nothing: no file under the repository (records, snapshots,
    // budget, .git objects and pull request records included) holds the key.
    const search = spawnSync('grep', ['-r', '-l', 'LEAKCANARY', repo], { encoding: 'utf8' });
    expect(search.stdout).toBe('');
    expect(search.status).toBe(1);
    for (const line of lines) expect(line).not.toContain('LEAKCANARY');
    await rm(repo, { recursive: true, force: true });
  }, 60_000);
});
