import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProposal } from '../../../scripts/core/protocol/proposal.ts';
import { runFactory } from '../../../scripts/engine/run/factory.ts';
import { TEST_KEYS } from '../../fixtures/agent-calls.ts';
import { type LlmFixture, startLlmFixture } from '../../fixtures/llm-fixture.ts';
import { createSandboxRepo, simpleStory } from '../../fixtures/sandbox-repo.ts';
import { silentProgress } from '../../fixtures/silent-progress.ts';

/** What a whole run shows of its model calls: retries as they happen, and warnings about the ledger and prices. */
let fixture: LlmFixture;
let root: string;
beforeAll(async () => {
  fixture = await startLlmFixture();
  // gpt's model is overridden with one nobody priced.
  const config = "export default { agents: [{ name: 'gpt', model: 'gpt-5-unpriced' }] };\n";
  ({ root } = await createSandboxRepo([simpleStory('retried')], { config }));
});
afterAll(async () => {
  await fixture.close();
  await rm(root, { recursive: true, force: true });
});

const env = () => ({
  ...TEST_KEYS,
  OPENAI_BASE_URL: fixture.openaiUrl,
  XAI_BASE_URL: fixture.openaiUrl,
  GEMINI_BASE_URL: fixture.geminiUrl,
});

describe('a run', () => {
  it('shows each retry on the task line, and warns once about a forged ledger file and an unpriced model', async () => {
    fixture.fallback = (request) =>
      request.path.includes(':generateContent')
        ? { kind: 'answer', text: JSON.stringify({ verdict: 'approve', summary: 'Good.', comments: [] }) }
        : {
            kind: 'answer',
            text: `Done.\n\n${renderProposal([{ path: 'src/retried.txt', content: 'retried v1\n', lang: 'txt' }])}`,
          };
    fixture.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '0' } });
    await mkdir(join(root, 'shared/budget'), { recursive: true });
    await writeFile(join(root, 'shared/budget/2026-01-01.json'), '{"version": 1, "day": "2025-12-31"}');
    const steps: string[] = [];
    const warnings: string[] = [];
    const summary = await runFactory(
      root,
      { forge: 'local', env: env() },
      {
        step: (id, message) => steps.push(`${id}: ${message}`),
        done: () => undefined,
        warn: (message) => warnings.push(message),
      },
    );
    expect(summary.records.get('retried')?.state).toBe('merged');
    expect(steps).toContain(
      'retried: gpt: openai/gpt-5-unpriced rate-limited (HTTP 429); retry 1 of 3 in 0.0 s',
    );
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^shared\/budget\/2026-01-01\.json is skipped: field "total_usd"/);
    expect(warnings[1]).toMatch(
      /^no price for openai:gpt-5-unpriced: .*set prices: \{ 'openai:gpt-5-unpriced'/,
    );
    // The coder call asked for the coder ceiling; the review call for the reviewer's.
    const coder = fixture.requests.find((request) => request.path.includes('chat/completions'));
    expect(coder?.body.max_completion_tokens).toBe(16_384);
    const review = fixture.requests.find((request) => request.path.includes(':generateContent'));
    expect(review?.body.generationConfig).toMatchObject({ maxOutputTokens: 8192 });
  });

  it('refuses to start with a malformed time limit, naming the variable', async () => {
    await expect(
      runFactory(
        root,
        { forge: 'local', env: { ...env(), AIFACTORY_CALL_DEADLINE_MS: '10m' } },
        silentProgress,
      ),
    ).rejects.toThrow('AIFACTORY_CALL_DEADLINE_MS is "10m"');
  });
});
