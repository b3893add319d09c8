import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { AgentRegistry, BUILTIN_AGENTS } from '../../../scripts/agents/registry.ts';
import type { ToolInput } from '../../../scripts/agents/types.ts';
import { SecretGuard } from '../../../scripts/engine/guard/secret-guard.ts';
import { PromptLibrary } from '../../../scripts/engine/prompts.ts';
import { REPO_ROOT } from '../../fixtures/cli.ts';
import { MemoryForge } from '../../fixtures/memory-forge.ts';
import { proposalOf, runTask, type Script, scriptedServices } from '../../fixtures/scripted-engine.ts';

/** What the engine hands a tool agent: the repository root, and the previous iteration's feedback, redacted. */
const GUARDED = 'guarded-value-for-the-tool-test-0042';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aifactory-tool-input-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a tool agent', () => {
  it('gets the repository root and, from iteration 2, the review feedback with the run’s secrets redacted', async () => {
    const seen: ToolInput[] = [];
    const tool = defineAgent({
      name: 'fixer',
      role: 'tool',
      run: async (input) => {
        seen.push(input);
        return { text: proposalOf({ 'src/a.ts': `v${input.iteration}` }) };
      },
    });
    const script: Script = ({ request }) =>
      request.context.iteration === 1
        ? {
            verdict: 'request_changes',
            summary: `The key ${GUARDED} must not be in the code.`,
            comments: [{ path: 'src/a.ts', body: 'remove it' }],
          }
        : { verdict: 'approve', summary: 'ok', comments: [] };
    const secrets = SecretGuard.fromEnv({ OPENAI_API_KEY: GUARDED });
    const services = {
      ...scriptedServices({
        root,
        forge: new MemoryForge(),
        script,
        registry: new AgentRegistry([...BUILTIN_AGENTS, tool]),
      }),
      secrets,
      prompts: new PromptLibrary(REPO_ROOT, { redact: (text) => secrets.redact(text) }),
    };
    const record = await runTask(
      { task_id: 'fix', description: 'fix it', assignee: 'fixer', reviewer: 'gpt', files: ['src/a.ts'] },
      services,
    );
    expect(record.state).toBe('merged');
    expect(seen.map((input) => [input.root, input.iteration])).toEqual([
      [root, 1],
      [root, 2],
    ]);
    expect(seen[0]?.feedback).toBeUndefined();
    expect(seen[1]?.feedback).toContain('must not be in the code');
    expect(seen[1]?.feedback).toContain('remove it');
    expect(seen[1]?.feedback).not.toContain(GUARDED);
  });
});
